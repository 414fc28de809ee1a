// How long an acquire may wait, from the `wait` and `timeout` arguments.
#pragma once

#include <cstdint>
#include <optional>

namespace pglocks::core {

// An SQL interval, field by field (PostgreSQL's Interval).
struct IntervalParts {
	std::int32_t months;
	std::int32_t days;
	std::int64_t microseconds;
};

struct WaitPolicy {
	enum class Kind {
		Try,	 // take the lock only if it is free now
		Forever, // wait as long as it takes (lock_timeout still applies)
		Millis,	 // wait at most `millis`, then give up without an error
	};
	Kind kind;
	int millis; // only for Kind::Millis; 1 .. INT_MAX

	static constexpr WaitPolicy try_once() { return {Kind::Try, 0}; }
	static constexpr WaitPolicy forever() { return {Kind::Forever, 0}; }
};

// Throws Error(InvalidArgument) for a negative timeout, or a timeout with
// wait = false. A month counts 30 days and a day 24 hours, as in PostgreSQL's
// own interval arithmetic. A zero timeout means try once; anything shorter
// than a millisecond waits one millisecond (lock_timeout's resolution), and
// anything longer than lock_timeout can express is cut to its limit, INT_MAX
// milliseconds (about 24.8 days).
WaitPolicy wait_policy(bool wait, const std::optional<IntervalParts> &timeout);

} // namespace pglocks::core
