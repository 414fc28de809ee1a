#include "pg/advisory.hpp"

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/resowner.h"
#include "utils/timeout.h"

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
 * How many session holds this backend has on the lock. LockHeldByMe()
 * cannot tell a session hold from a transaction one, so this reads the
 * backend's own entry for the lock, which it finds by adding a hold that
 * is given back at once (both stay in backend-local memory: the lock is
 * held already).
 */
int64
session_holds(const AdvisoryLock &lock)
{
	LOCALLOCK  *local;
	int64		holds = 0;

	if (!pglocks_lock_held(&lock.tag, lock.mode))
		return 0;
	(void) pglocks_lock_acquire_local(&lock.tag, lock.mode, &local);
	for (int i = 0; i < local->numLockOwners; i++)
		if (local->lockOwners[i].owner == NULL)
			holds += local->lockOwners[i].nLocks;
	LockRelease(&lock.tag, lock.mode, true);
	return holds - 1;
}

/*
 * Wait in PostgreSQL's lock queue, under the deadlock detector: one trip
 * through the lock manager, as for pg_advisory_lock. An error (cancel,
 * statement_timeout, lock_timeout, deadlock) can end the wait just as the
 * lock is granted; a session hold would then outlive the error, so give it
 * back. (A transaction hold goes with the transaction.)
 */
bool
wait_in_queue(const AdvisoryLock &lock, Scope scope)
{
	if (scope == Scope::Transaction)
	{
		(void) LockAcquire(&lock.tag, lock.mode, false, false);
		return true;
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
		release_session_hold(lock);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return true;
}

/*
 * Was `error` our own lock timeout? In the wait's subtransaction, outside
 * parallel mode, only the lock timeout raises 55P03. Nothing else is lost
 * with it, unless statement_timeout ran out too: ProcessInterrupts() reports
 * one of the two and forgets the other, so the statement must still fail, as
 * it would for pg_advisory_lock under lock_timeout. A cancel that arrives in
 * the same instant as the lock timeout cannot be told apart from it, by
 * PostgreSQL either (README, "How a timeout works").
 */
bool
is_our_timeout(const ErrorData *error, bool statement_timeout_armed)
{
	return error->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
		   !(statement_timeout_armed && !get_timeout_active(STATEMENT_TIMEOUT));
}

/*
 * Wait at most `millis` for a lock that was busy a moment ago, with
 * lock_timeout set to it, in an internal subtransaction: the lock timeout
 * is an ERROR, and only rolling back a subtransaction recovers from one
 * safely (as a PL/pgSQL EXCEPTION block does). A transaction lock is taken
 * for the caller's resource owner, as pg_advisory_xact_lock's is (a cursor's
 * portal, say, which outlives ROLLBACK TO SAVEPOINT), not the
 * subtransaction's. A lock granted as the wait ended in an error is given
 * back: this backend did not hold it in this mode before the wait.
 */
bool
wait_within(const AdvisoryLock &lock, Scope scope, int millis)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ResourceOwner subxact_owner;
	bool		statement_timeout_armed = get_timeout_active(STATEMENT_TIMEOUT);
	volatile bool acquired = true;
	char		value[32];

	snprintf(value, sizeof(value), "%d", millis);
	BeginInternalSubTransaction(NULL);
	subxact_owner = CurrentResourceOwner;
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		/* Saved in the subtransaction's GUC nest level: restored at its end. */
		(void) set_config_option("lock_timeout", value, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		CurrentResourceOwner = owner;
		(void) LockAcquire(&lock.tag, lock.mode, scope == Scope::Session, false);
		CurrentResourceOwner = subxact_owner;
		CHECK_FOR_INTERRUPTS();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *error;

		/*
		 * ProcessInterrupts() clears InterruptPending before it raises a
		 * timeout; whatever else was pending with it (a barrier, a request
		 * to log memory contexts, ...) must still be seen.
		 */
		InterruptPending = true;
		CurrentResourceOwner = subxact_owner;
		MemoryContextSwitchTo(cxt);
		error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (scope == Scope::Session)
			release_session_hold(lock);
		else if (pglocks_lock_held(&lock.tag, lock.mode))
			LockRelease(&lock.tag, lock.mode, false);
		if (!is_our_timeout(error, statement_timeout_armed))
			ReThrowError(error);
		FreeErrorData(error);
		acquired = false;
	}
	PG_END_TRY();
	if (!acquired)
		CHECK_FOR_INTERRUPTS();
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
			/* Refused whether or not the lock is free: no surprise later. */
			if (IsInParallelMode())
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
						 errmsg("cannot wait for an advisory lock with a timeout during a parallel operation"),
						 errhint("Mark the function that calls it PARALLEL UNSAFE, or wait without a timeout.")));
			/* A free lock costs one try, not a subtransaction. */
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
release_session_hold(const AdvisoryLock &lock)
{
	if (session_holds(lock) > 0)
		LockRelease(&lock.tag, lock.mode, true);
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
