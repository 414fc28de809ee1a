/*
 * One time limit shared by several waits: lock_all's keys, a semaphore's gate
 * and slots.
 */
#pragma once

#include "core/wait_policy.hpp"

#include <type_traits>

extern "C" {
#include "postgres.h"
#include "datatype/timestamp.h"
}

namespace pglocks::pg {

class Deadline {
public:
	/* From now on. */
	explicit Deadline(core::WaitPolicy policy);

	/*
	 * The policy for the next wait: Try and Forever as given; for Millis what
	 * is left of it, rounded up, or Try once it has run out.
	 */
	core::WaitPolicy left() const;

	/* Millis, and no time left. */
	bool passed() const;

private:
	core::WaitPolicy policy_;
	TimestampTz end_;
};

/* Kept across PG_TRY blocks an error can longjmp out of: nothing to destroy. */
static_assert(std::is_trivially_destructible_v<Deadline>);

} // namespace pglocks::pg
