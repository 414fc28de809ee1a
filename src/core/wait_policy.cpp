#include "core/wait_policy.hpp"

#include "core/error.hpp"

#include <climits>

#include "core/cpp_only.hpp"

namespace pglocks::core {
namespace {

constexpr __int128 usecs_per_day = 86'400'000'000;
constexpr __int128 days_per_month = 30;

// 128 bits hold any interval exactly, so nothing here can overflow.
__int128 total_microseconds(const IntervalParts &t) {
	return t.microseconds + (t.days + t.months * days_per_month) * usecs_per_day;
}

} // namespace

WaitPolicy wait_policy(bool wait, const std::optional<IntervalParts> &timeout) {
	if (!timeout)
		return wait ? WaitPolicy::forever() : WaitPolicy::try_once();
	if (!wait)
		throw Error(Error::Kind::InvalidArgument, "timeout cannot be combined with wait => false",
					"Omit timeout to try once, or pass wait => true to wait up to the timeout.");

	__int128 usecs = total_microseconds(*timeout);
	if (usecs < 0)
		throw Error(Error::Kind::InvalidArgument, "timeout must not be negative",
					"Pass NULL to wait without limit, or '0' to try once without waiting.");
	if (usecs == 0)
		return WaitPolicy::try_once();

	__int128 millis = (usecs + 999) / 1000;
	return {WaitPolicy::Kind::Millis, static_cast<int>(millis > INT_MAX ? INT_MAX : millis)};
}

} // namespace pglocks::core
