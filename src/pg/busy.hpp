/*
 * on_busy => 'error': a lock that was busy, or not granted in time, as an
 * error (SQLSTATE 55P03, lock_not_available) naming the key and its holders.
 */
#pragma once

#include "core/wait_policy.hpp"
#include "pg/lock_table.hpp"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace pglocks::pg {

struct Busy {
	const char *key;		/* the key as the caller gave it (key_display()) */
	KeyLocks	locks;		/* whose holders the DETAIL lists */
	int			slots;		/* a semaphore's slot count; 0 for a lock */
	core::WaitPolicy policy; /* Try, or Millis: how long it waited */
};

/* Called with nothing of the key held by the attempt that failed. */
[[noreturn]] void raise_busy(const Busy &busy);

} // namespace pglocks::pg
