#include "pg/with_lock.hpp"

namespace pglocks::pg {

bool
run_under_lock(const AdvisoryLock &lock, Scope scope, core::WaitPolicy policy,
			   const BodyCall &body)
{
	if (!acquire(lock, scope, policy))
		return false;

	if (scope == Scope::Transaction)
	{
		call_body(body);
		return true;
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
	return true;
}

} // namespace pglocks::pg
