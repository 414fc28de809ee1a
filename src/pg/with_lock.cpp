#include "pg/with_lock.hpp"

namespace pglocks::pg {

bool
run_under_lock(const AdvisoryLock &lock, Scope scope, core::WaitPolicy policy,
			   FunctionCallInfo outer, Oid fn, int first_arg, const char *func)
{
	return run_under([&] { return acquire(lock, scope, policy); },
					 /* unless the body released it itself (pg_advisory_unlock_all()...) */
					 [&] { release_session_hold(lock); },
					 scope, outer, fn, first_arg, func);
}

} // namespace pglocks::pg
