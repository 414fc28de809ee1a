/*
 * What the shared lock table says of one key's locks held by other sessions,
 * read as pg_locks reads it (GetLockStatusData()): for is_free() and for the
 * holders an on_busy error names.
 */
#pragma once

#include "pg/advisory.hpp"

extern "C" {
#include "postgres.h"
#include "storage/lock.h"
}

namespace pglocks::pg {

/* The locks of one key in spaces tag.locktag_field4 .. last_space, wanted in `mode`. */
struct KeyLocks {
	LOCKTAG		tag;
	uint16		last_space;
	LOCKMODE	mode;
};

KeyLocks locks_of(const AdvisoryLock &lock);

/*
 * Could this session take the lock now without waiting, as a try would? Not
 * if another session holds it in a conflicting mode, or waits for it in one
 * (a new request queues behind a conflicting waiter), unless this session
 * holds it in the other mode and the lock manager lets its try go ahead of
 * the waiters (compat.h). A lock this session holds in this mode can always
 * be taken again.
 */
bool is_free(const AdvisoryLock &lock);

/*
 * The pids of other sessions holding one of the locks (or, with `waiters`,
 * waiting for one) in a mode that conflicts with locks.mode, ascending and
 * each once: "12, 345", and how many in *n.
 */
char *conflicting_holders(const KeyLocks &locks, bool waiters, int *n);

/*
 * The space of one of the locks held by another session that is not itself
 * waiting for any lock (the turn-th such, counting round), or -1 if there is
 * none: the lock a waiter can queue for without the deadlock detector seeing
 * a cycle through a holder that is waiting for it.
 */
int held_by_a_running_session(const KeyLocks &locks, uint32 turn);

} // namespace pglocks::pg
