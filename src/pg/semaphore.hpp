/*
 * Semaphores: at most `slots` holders of a key at once. Slot s of a key is
 * an exclusive advisory lock in pglocks' own lock space (core/lock_key.hpp);
 * its waiters queue, one behind the other, on the key's gate.
 */
#pragma once

#include "core/wait_policy.hpp"
#include "pg/advisory.hpp"
#include "pg/lock_table.hpp"

namespace pglocks::pg {

AdvisoryLock slot_lock(int64 key, int slot);

/* Every slot of the key: for an on_busy error's holders. */
KeyLocks semaphore_locks(int64 key, int slots);

/*
 * Take a free slot of the semaphore, one this session does not hold already:
 * its number, or -1 if none was free (Try) or none freed in time (Millis).
 * A slot granted as the time ran out is given back, as lock() does.
 */
int acquire_slot(int64 key, int slots, Scope scope, core::WaitPolicy policy);

} // namespace pglocks::pg
