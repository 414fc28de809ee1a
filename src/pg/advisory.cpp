#include "pg/advisory.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "pg/compat.h"
}

namespace pglocks::pg {
namespace {

bool
try_now(const AdvisoryLock &lock, Scope scope)
{
	return LockAcquire(&lock.tag, lock.mode, scope == Scope::Session, true) !=
		   LOCKACQUIRE_NOT_AVAIL;
}

/*
 * Wait in PostgreSQL's lock queue, under the deadlock detector: one trip
 * through the lock manager, as for pg_advisory_lock. An error (cancel,
 * statement_timeout, lock_timeout, deadlock) can end the wait just as the
 * lock is granted, and the hold this call added would then outlive the
 * error if it is a session one: give it back. (A transaction lock goes with
 * the transaction, so a plain wait for one needs no catch.)
 *
 * With a deadline (lock_timeout set to it by the caller), the lock timeout
 * becomes `false`, leaving no hold in either scope, without a subtransaction, which a PARALLEL RESTRICTED
 * function may not start (it runs in the leader of a parallel query, in
 * parallel mode). That is safe for this one error only: ProcessInterrupts
 * raises it from the wait loop after LockErrorCleanup has taken us off the
 * wait queue, and nothing else (LWLock, buffer, memory beyond the error's
 * own) is held then. It is ours only once our time is up: a parallel
 * worker's lock timeout, re-thrown in the leader while it waits, is not.
 */
bool
wait_in_queue(const AdvisoryLock &lock, Scope scope, TimestampTz deadline = DT_NOEND)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool timed_out = false;

	if (scope == Scope::Transaction && deadline == DT_NOEND)
	{
		(void) LockAcquire(&lock.tag, lock.mode, false, false);
		return true;
	}

	PG_TRY();
	{
		(void) LockAcquire(&lock.tag, lock.mode, scope == Scope::Session, false);
		/* An interrupt that arrived as the lock was granted is still pending. */
		CHECK_FOR_INTERRUPTS();
	}
	PG_CATCH();
	{
		/* Records a grant that raced with the error, as abort would. */
		LockErrorCleanup();
		release_if_held(lock, scope);

		if (deadline != DT_NOEND)
		{
			ErrorData  *error;

			MemoryContextSwitchTo(cxt);
			error = CopyErrorData();
			timed_out = error->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
				GetCurrentTimestamp() >= deadline;
			FreeErrorData(error);
		}
		if (!timed_out)
			PG_RE_THROW();
		FlushErrorState();
	}
	PG_END_TRY();
	return !timed_out;
}

/* Wait at most `millis` for a lock that was busy a moment ago. */
bool
wait_within(const AdvisoryLock &lock, Scope scope, int millis)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), millis);
	int			nest_level = NewGUCNestLevel();
	char		value[32];
	bool		acquired;

	snprintf(value, sizeof(value), "%d", millis);
	(void) set_config_option("lock_timeout", value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	acquired = wait_in_queue(lock, scope, deadline);
	/* On an error, abort pops the nest level, as for fmgr_security_definer. */
	AtEOXact_GUC(true, nest_level);
	return acquired;
}

} // namespace

AdvisoryLock
advisory_lock(core::LockKey key, bool shared)
{
	AdvisoryLock lock;

	SET_LOCKTAG_ADVISORY(lock.tag, MyDatabaseId, key.high, key.low, key.space);
	lock.mode = shared ? ShareLock : ExclusiveLock;
	return lock;
}

bool
acquire(const AdvisoryLock &lock, Scope scope, core::WaitPolicy policy)
{
	switch (policy.kind)
	{
		case core::WaitPolicy::Kind::Try:
			return try_now(lock, scope);
		case core::WaitPolicy::Kind::Forever:
			return wait_in_queue(lock, scope);
		case core::WaitPolicy::Kind::Millis:
			/* A free lock costs one try, not a GUC nest level. */
			return try_now(lock, scope) || wait_within(lock, scope, policy.millis);
	}
	pg_unreachable();
}

bool
release(const AdvisoryLock &lock)
{
	return LockRelease(&lock.tag, lock.mode, true);
}

void
release_if_held(const AdvisoryLock &lock, Scope scope)
{
	if (pglocks_lock_held(&lock.tag, lock.mode))
		LockRelease(&lock.tag, lock.mode, scope == Scope::Session);
}

bool
is_held(const AdvisoryLock &lock)
{
	return pglocks_lock_held(&lock.tag, lock.mode);
}

void
release_all_session_locks()
{
	LockReleaseSession(USER_LOCKMETHOD);
}

} // namespace pglocks::pg
