/*
 * Running a body under a lock: with_lock, with_xact_lock, with_semaphore and
 * with_locks.
 */
#pragma once

#include "pg/advisory.hpp"
#include "pg/body.hpp"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace pglocks::pg {

/* Run the body, then give_back(), also when the body raises. */
template <typename GiveBack>
void
call_then_give_back(FunctionCallInfo body, GiveBack &give_back)
{
	PG_TRY();
	{
		call_body(body);
	}
	PG_CATCH();
	{
		give_back();
		PG_RE_THROW();
	}
	PG_END_TRY();
	give_back();
}

/*
 * Check the body `fn` and its arguments (first_arg.. of the outer call),
 * then take() the lock(s) and run the body; false, without running it, if
 * take() returned false. Everything that can fail before the body runs fails
 * before anything is taken. In session scope give_back() runs when the body
 * returns or raises (cancel and statement_timeout included); a transaction's
 * locks stay until it ends. take and give_back are lambdas whose captures
 * are references or trivially destructible values.
 */
template <typename Take, typename GiveBack>
bool
run_under(Take take, GiveBack give_back, Scope scope, FunctionCallInfo outer, Oid fn,
		  int first_arg, const char *func)
{
	BodySite   *site = choose_body(outer, fn, first_arg, func);
	volatile bool acquired = false;

	PG_TRY();
	{
		FunctionCallInfo body = bind_body(site, outer, first_arg);

		acquired = take();
		if (acquired && scope == Scope::Transaction)
			call_body(body);
		else if (acquired)
			call_then_give_back(body, give_back);
	}
	PG_CATCH();
	{
		body_failed(site);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return acquired;
}

/* run_under() one advisory lock. */
bool run_under_lock(const AdvisoryLock &lock, Scope scope, core::WaitPolicy policy,
					FunctionCallInfo outer, Oid fn, int first_arg, const char *func);

} // namespace pglocks::pg
