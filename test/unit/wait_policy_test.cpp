#include "core/error.hpp"
#include "core/wait_policy.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <limits>

namespace {

using pglocks::core::Error;
using pglocks::core::IntervalParts;
using pglocks::core::wait_policy;
using Kind = pglocks::core::WaitPolicy::Kind;

constexpr std::int64_t usecs_per_day = 86'400'000'000;

IntervalParts usecs(std::int64_t n) { return {0, 0, n}; }

TEST(WaitPolicy, NoTimeoutWaitsOrTriesOnce) {
	EXPECT_EQ(wait_policy(true, std::nullopt).kind, Kind::Forever);
	EXPECT_EQ(wait_policy(false, std::nullopt).kind, Kind::Try);
}

TEST(WaitPolicy, ZeroTimeoutTriesOnce) {
	EXPECT_EQ(wait_policy(true, usecs(0)).kind, Kind::Try);
	EXPECT_EQ(wait_policy(true, IntervalParts{1, -30, 0}).kind, Kind::Try);
}

TEST(WaitPolicy, MillisecondsRoundUp) {
	auto one_us = wait_policy(true, usecs(1));
	EXPECT_EQ(one_us.kind, Kind::Millis);
	EXPECT_EQ(one_us.millis, 1);
	EXPECT_EQ(wait_policy(true, usecs(2'000'000)).millis, 2000);
	EXPECT_EQ(wait_policy(true, usecs(2'000'001)).millis, 2001);
}

TEST(WaitPolicy, DaysAndMonthsCountAsInPostgreSQL) {
	EXPECT_EQ(wait_policy(true, IntervalParts{0, 1, 0}).millis, 86'400'000);
	// one day minus one hour: the fields add up, signs and all
	EXPECT_EQ(wait_policy(true, IntervalParts{0, 1, -3'600'000'000}).millis, 82'800'000);
}

TEST(WaitPolicy, LongTimeoutsStopAtLockTimeoutsLimit) {
	EXPECT_EQ(wait_policy(true, IntervalParts{1, 0, 0}).millis, INT_MAX);		  // a month
	EXPECT_EQ(wait_policy(true, IntervalParts{12'000, 0, 0}).millis, INT_MAX);	  // 1000 years
	EXPECT_EQ(wait_policy(true, usecs(std::int64_t{INT_MAX} * 1000)).millis, INT_MAX);
	EXPECT_EQ(wait_policy(true, usecs(std::int64_t{INT_MAX} * 1000 - 1000)).millis, INT_MAX - 1);
}

TEST(WaitPolicy, ExtremeFieldsDoNotOverflow) {
	auto max = std::numeric_limits<std::int32_t>::max();
	auto max64 = std::numeric_limits<std::int64_t>::max();
	EXPECT_EQ(wait_policy(true, IntervalParts{max, max, max64}).millis, INT_MAX);  // +infinity
	auto min = std::numeric_limits<std::int32_t>::min();
	auto min64 = std::numeric_limits<std::int64_t>::min();
	EXPECT_THROW(wait_policy(true, IntervalParts{min, min, min64}), Error);		  // -infinity
	EXPECT_EQ(wait_policy(true, IntervalParts{max, min, 0}).millis, INT_MAX);
}

TEST(WaitPolicy, NegativeTimeoutIsAnInvalidArgument) {
	try {
		wait_policy(true, usecs(-1));
		FAIL() << "a negative timeout was accepted";
	} catch (const Error &e) {
		EXPECT_EQ(e.kind(), Error::Kind::InvalidArgument);
		EXPECT_STREQ(e.what(), "timeout must not be negative");
		EXPECT_FALSE(e.hint().empty());
	}
	EXPECT_THROW(wait_policy(true, IntervalParts{0, -1, usecs_per_day - 1}), Error);
}

TEST(WaitPolicy, TimeoutWithoutWaitingIsAnInvalidArgument) {
	EXPECT_THROW(wait_policy(false, usecs(1000)), Error);
	EXPECT_THROW(wait_policy(false, usecs(0)), Error);
}

} // namespace
