/* Running a body under an advisory lock: pglocks.with_lock and with_xact_lock. */
#pragma once

#include "core/wait_policy.hpp"
#include "pg/advisory.hpp"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace pglocks::pg {

/*
 * Check the body `fn` and its arguments (first_arg.. of the outer call),
 * acquire the lock and run the body; false, without running it, if the lock
 * was not acquired. Everything that can fail before the body runs fails
 * before the lock is taken. A session lock is released when the body
 * returns or raises (cancel and statement_timeout included); a transaction
 * lock stays until the transaction ends.
 */
bool run_under_lock(const AdvisoryLock &lock, Scope scope, core::WaitPolicy policy,
					FunctionCallInfo outer, Oid fn, int first_arg, const char *func);

} // namespace pglocks::pg
