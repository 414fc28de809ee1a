#include "pg/with_lock.hpp"

#include "pg/body.hpp"

namespace pglocks::pg {
namespace {

/* Run the body under a lock already held; a session lock is released after it. */
void
call_holding(const AdvisoryLock &lock, Scope scope, FunctionCallInfo body)
{
	if (scope == Scope::Transaction)
	{
		call_body(body);
		return;
	}
	PG_TRY();
	{
		call_body(body);
	}
	PG_FINALLY();
	{
		/*
		 * Unless the body released it itself (pg_advisory_unlock_all()...),
		 * whatever the session holds in transaction scope.
		 */
		release_session_hold(lock);
	}
	PG_END_TRY();
}

} // namespace

bool
run_under_lock(const AdvisoryLock &lock, Scope scope, core::WaitPolicy policy,
			   FunctionCallInfo outer, Oid fn, int first_arg, const char *func)
{
	BodySite   *site = choose_body(outer, fn, first_arg, func);
	volatile bool acquired = false;

	PG_TRY();
	{
		FunctionCallInfo body = bind_body(site, outer, first_arg);

		acquired = acquire(lock, scope, policy);
		if (acquired)
			call_holding(lock, scope, body);
	}
	PG_CATCH();
	{
		body_failed(site);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return acquired;
}

} // namespace pglocks::pg
