/* Running a body under an advisory lock: pglocks.with_lock and with_xact_lock. */
#pragma once

#include "core/wait_policy.hpp"
#include "pg/advisory.hpp"
#include "pg/body.hpp"

namespace pglocks::pg {

/*
 * Acquire the lock and run the body; false, without running it, if the lock
 * was not acquired. A session lock is released when the body returns or
 * raises (cancel and statement_timeout included); a transaction lock stays
 * until the transaction ends.
 */
bool run_under_lock(const AdvisoryLock &lock, Scope scope, core::WaitPolicy policy,
					const BodyCall &body);

} // namespace pglocks::pg
