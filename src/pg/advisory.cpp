#include "pg/advisory.hpp"

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/resowner.h"

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
		release_if_held(lock);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * Wait at most `millis` for a lock that was busy a moment ago. The wait is
 * PostgreSQL's own: a place in the lock queue, under the deadlock detector.
 * lock_timeout, set for this one acquire, ends it with an error that an
 * internal subtransaction turns into `false`, as a PL/pgSQL EXCEPTION block
 * would, so the caller's transaction goes on unharmed.
 */
bool
wait_within(const AdvisoryLock &lock, Scope scope, int millis)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool acquired = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);

	PG_TRY();
	{
		char		value[32];
		int			nest_level = NewGUCNestLevel();

		snprintf(value, sizeof(value), "%d", millis);
		(void) set_config_option("lock_timeout", value, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		(void) LockAcquire(&lock.tag, lock.mode, scope == Scope::Session, false);

		/* A timeout that fired just as the lock was granted is still pending. */
		CHECK_FOR_INTERRUPTS();

		AtEOXact_GUC(true, nest_level);
		ReleaseCurrentSubTransaction(); /* a transaction lock moves to `owner` */
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		acquired = true;
	}
	PG_CATCH();
	{
		ErrorData  *error;

		MemoryContextSwitchTo(cxt);
		error = CopyErrorData();
		FlushErrorState();

		/* Also releases a transaction lock granted as the wait ended. */
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;

		/*
		 * A session lock survives the rollback. It was not held before (the
		 * first try failed), so whatever hold exists now is this call's.
		 */
		if (scope == Scope::Session)
			release_if_held(lock);

		if (error->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			ReThrowError(error);
		FreeErrorData(error);
	}
	PG_END_TRY();

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
			wait_for(lock, scope);
			return true;
		case core::WaitPolicy::Kind::Millis:
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
release_if_held(const AdvisoryLock &lock)
{
	if (pglocks_lock_held(&lock.tag, lock.mode))
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
