#include "pg/busy.hpp"

namespace pglocks::pg {

void
raise_busy(const Busy &busy)
{
	int			n;
	int			n_waiting = 0;
	char	   *holders = conflicting_holders(busy.locks, false, &n);
	/* with no holder in the way, a waiter queued ahead made it busy */
	char	   *waiters = n > 0 ? NULL : conflicting_holders(busy.locks, true, &n_waiting);
	bool		timed_out = busy.policy.kind == core::WaitPolicy::Kind::Millis;

	ereport(ERROR,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 busy.slots == 0
			 ? (timed_out
				? errmsg("timed out after %d ms waiting for the advisory lock on key %s",
						 busy.policy.millis, busy.key)
				: errmsg("advisory lock on key %s is busy", busy.key))
			 : (timed_out
				? errmsg_plural("timed out after %d ms waiting for the slot of the semaphore on key %s (%d slot)",
								"timed out after %d ms waiting for a slot of the semaphore on key %s (%d slots)",
								busy.slots, busy.policy.millis, busy.key, busy.slots)
				: errmsg_plural("semaphore on key %s has no free slot (%d slot)",
								"semaphore on key %s has no free slot (%d slots)",
								busy.slots, busy.key, busy.slots)),
			 n > 0 ? errdetail_plural("Held by process %s.", "Held by processes %s.", n, holders)
			 : n_waiting > 0 ? errdetail_plural("Process %s waits for it ahead of this request.",
												"Processes %s wait for it ahead of this request.",
												n_waiting, waiters)
			 : errdetail("No other session holds it now: it was released as the attempt ended."),
			 errhint("Retry later, or pass on_busy => 'false' to get %s instead of an error.",
					 busy.slots == 0 ? "false" : "NULL")));
	pg_unreachable();
}

} // namespace pglocks::pg
