#include "pg/semaphore.hpp"

#include "core/lock_key.hpp"
#include "pg/deadline.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/timestamp.h"

#include "pg/compat.h"
}

namespace pglocks::pg {
namespace {

/* Where this session's next scan starts: sessions start apart and move on. */
uint32		next_turn = 0;

AdvisoryLock
gate_lock(int64 key)
{
	return advisory_lock(core::gate_key(key), false);
}

/* One pass over the slots this session does not hold: the slot taken, or -1. */
int
try_slots(int64 key, int slots, Scope scope, int *not_held)
{
	int			start;

	if (next_turn == 0)
		next_turn = (uint32) MyProcPid;
	start = (int) (next_turn++ % (uint32) slots);
	*not_held = -1;
	for (int i = 0; i < slots; i++)
	{
		int			slot = (start + i) % slots;
		AdvisoryLock lock = slot_lock(key, slot);

		if (is_held(lock))
			continue;
		if (*not_held < 0)
			*not_held = slot;
		if (acquire(lock, scope, core::WaitPolicy::try_once()))
			return slot;
	}
	return -1;
}

/*
 * The slot to queue for: one whose holder is not waiting for a lock itself
 * (were it waiting for this session, the deadlock detector would see a
 * cycle through that one slot, though another slot may free), else `fallback`.
 */
int
slot_to_queue_for(int64 key, int slots, int fallback)
{
	static uint32 queued = 0;	/* round the candidates, slice by slice */
	int			space = held_by_a_running_session(semaphore_locks(key, slots), queued++);

	return space < 0 ? fallback : space - core::first_slot_space;
}

/*
 * The gate's holder waits for a slot. With one slot, in its queue, as lock()
 * waits. With more, in the lock queue of one slot, so that it is granted
 * that slot the moment it frees and the deadlock detector sees the wait, for
 * a slice that doubles from 10 ms to just over deadlock_timeout, then scans
 * every slot again (another may have freed first). Only the gate's holder
 * scans; the other waiters sleep in the gate's queue. `lock_timeout` is the
 * caller's own, which a wait without a timeout honours.
 */
int
wait_holding_gate(int64 key, int slots, Scope scope, const Deadline &deadline,
				  const Deadline &lock_timeout)
{
	int64		slice = 10;
	int64		cap = Min((int64) DeadlockTimeout + 100, (int64) INT_MAX);

	for (;;)
	{
		int			candidate;
		int			slot = try_slots(key, slots, scope, &candidate);
		core::WaitPolicy left = deadline.left();

		if (slot >= 0)
			return slot;
		if (candidate < 0)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_DEADLOCK_DETECTED),
					 errmsg("deadlock detected: this session holds every slot of the semaphore it waits for"),
					 errhint("Release a slot with pglocks.release_slot() before asking for another.")));
		if (left.kind == core::WaitPolicy::Kind::Try)
			return -1;
		if (slots == 1)
			return acquire(slot_lock(key, candidate), scope, left) ? candidate : -1;
		if (left.kind == core::WaitPolicy::Kind::Forever)
		{
			if (lock_timeout.passed())
				ereport(ERROR,
						(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						 errmsg("canceling statement due to lock timeout")));
			left = lock_timeout.left();
			if (left.kind == core::WaitPolicy::Kind::Forever)
				left = {core::WaitPolicy::Kind::Millis, (int) slice};
		}
		left.millis = (int) Min((int64) left.millis, slice);
		candidate = slot_to_queue_for(key, slots, candidate);
		if (acquire(slot_lock(key, candidate), scope, left))
			return candidate;
		slice = Min(slice * 2, cap);
	}
}

} // namespace

AdvisoryLock
slot_lock(int64 key, int slot)
{
	return advisory_lock(core::slot_key(key, slot), false);
}

KeyLocks
semaphore_locks(int64 key, int slots)
{
	AdvisoryLock first = slot_lock(key, 0);

	return {first.tag, (uint16) (core::first_slot_space + slots - 1), first.mode};
}

int
acquire_slot(int64 key, int slots, Scope scope, core::WaitPolicy policy)
{
	int			candidate;
	int			slot = try_slots(key, slots, scope, &candidate);

	if (slot >= 0 || policy.kind == core::WaitPolicy::Kind::Try)
		return slot;

	Deadline	deadline(policy);
	Deadline	lock_timeout(LockTimeout > 0
							 ? core::WaitPolicy{core::WaitPolicy::Kind::Millis, LockTimeout}
							 : core::WaitPolicy::forever());
	AdvisoryLock gate = gate_lock(key);
	volatile int taken = -1;

	/* Waiters line up on the gate, first come first served. */
	if (!acquire(gate, Scope::Session, deadline.left()))
		return -1;
	PG_TRY();
	{
		taken = wait_holding_gate(key, slots, scope, deadline, lock_timeout);
	}
	PG_FINALLY();
	{
		release_session_hold(gate);
	}
	PG_END_TRY();
	return taken;
}

} // namespace pglocks::pg
