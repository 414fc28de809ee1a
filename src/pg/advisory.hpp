/*
 * Taking and releasing advisory locks: the same LOCKTAGs as PostgreSQL's
 * pg_advisory_* functions, so both see the same locks.
 */
#pragma once

#include "core/lock_key.hpp"
#include "core/wait_policy.hpp"

extern "C" {
#include "postgres.h"
#include "storage/lock.h"
}

namespace pglocks::pg {

enum class Scope {
	Session,	 /* held until unlocked or the session ends */
	Transaction, /* held by CurrentResourceOwner: until the (sub)transaction ends */
};

struct AdvisoryLock {
	LOCKTAG tag;
	LOCKMODE mode; /* ShareLock or ExclusiveLock, as pg_advisory_lock[_shared] */
};

AdvisoryLock advisory_lock(core::LockKey key, bool shared);

/*
 * true once held; false, holding nothing more, if the lock was busy (Try) or
 * the time ran out (Millis: not in parallel mode, where it is an ERROR).
 */
bool acquire(const AdvisoryLock &lock, Scope scope, core::WaitPolicy policy);

/* Release one session-level hold; false, with PostgreSQL's warning, if none. */
bool release(const AdvisoryLock &lock);

/* Release one session hold, if there is one; never a transaction hold, never a warning. */
void release_session_hold(const AdvisoryLock &lock);

bool is_held(const AdvisoryLock &lock);

void release_all_session_locks();

} // namespace pglocks::pg
