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
 * Wait as long as it takes: one trip through the lock manager, as for
 * pg_advisory_lock. An error (cancel, statement_timeout, lock_timeout,
 * deadlock) can end the wait just as the lock is granted; a transaction lock
 * goes with the transaction, but a session lock would outlive the error, so
 * give it back.
 */
void
wait_for(const AdvisoryLock &lock, Scope scope)
{
	if (scope == Scope::Transaction)
	{
		(void) LockAcquire(&lock.tag, lock.mode, false, false);
		return;
	}

	PG_TRY();
	{
		(void) LockAcquire(&lock.tag, lock.mode, true, false);
		/* An interrupt that arrived as the lock was granted is still pending. */
		CHECK_FOR_INTERRUPTS();
	}
	PG_CATCH();
	{
		/* Records a grant that raced with the error, as abort would. */
		LockErrorCleanup();
		release_if_held(lock, Scope::Session);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * Wait at most `millis` for a lock that was busy a moment ago. The wait is
 * PostgreSQL's own: a place in the lock queue, under the deadlock detector,
 * ended by lock_timeout, set for this one acquire.
 *
 * The lock timeout's error is turned into `false` without a subtransaction,
 * which a PARALLEL RESTRICTED function may not start (it runs in the leader
 * of a parallel query, in parallel mode). That is safe for this one error
 * only: ProcessInterrupts raises it from the wait loop after LockErrorCleanup
 * has taken us off the wait queue, and at that point nothing else (LWLock,
 * buffer, memory beyond the error's own) is held. Every other error
 * propagates. A lock granted just as the timeout fired is given back.
 */
bool
wait_within(const AdvisoryLock &lock, Scope scope, int millis)
{
	MemoryContext cxt = CurrentMemoryContext;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), millis);
	int			nest_level = NewGUCNestLevel();
	char		value[32];
	volatile bool timed_out = false;

	snprintf(value, sizeof(value), "%d", millis);
	(void) set_config_option("lock_timeout", value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	PG_TRY();
	{
		(void) LockAcquire(&lock.tag, lock.mode, scope == Scope::Session, false);
		/* A timeout that fired just as the lock was granted is still pending. */
		CHECK_FOR_INTERRUPTS();
	}
	PG_CATCH();
	{
		ErrorData  *error;

		MemoryContextSwitchTo(cxt);
		error = CopyErrorData();
		/* Records a grant that raced with the error, as abort would. */
		LockErrorCleanup();

		/*
		 * The first try failed, so no hold existed: whatever is held now is
		 * this call's, and must not outlive a call that returns false or
		 * fails (a session lock would even outlive the transaction).
		 */
		release_if_held(lock, scope);

		/*
		 * Ours only once our time is up: a parallel worker's lock timeout,
		 * re-thrown in the leader while it waits here, is not.
		 */
		timed_out = error->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
			GetCurrentTimestamp() >= deadline;
		FreeErrorData(error);
		if (!timed_out)
			PG_RE_THROW();
		FlushErrorState();
	}
	PG_END_TRY();

	AtEOXact_GUC(true, nest_level);
	return !timed_out;
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
			wait_for(lock, scope);
			return true;
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
