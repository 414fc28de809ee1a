// The lock-space layout must be lockfuncs.c's, or pglocks.lock(42) and
// pg_advisory_lock(42) would be different locks.
#include "core/lock_key.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace {

using pglocks::core::bigint_key;
using pglocks::core::pair_key;

TEST(LockKey, BigintSplitsIntoHighAndLowHalves) {
	auto key = bigint_key(0x0000000100000002);
	EXPECT_EQ(key.high, 1u);
	EXPECT_EQ(key.low, 2u);
	EXPECT_EQ(key.space, 1);
}

TEST(LockKey, NegativeBigintKeepsItsBits) {
	auto key = bigint_key(-1);
	EXPECT_EQ(key.high, 0xFFFFFFFFu);
	EXPECT_EQ(key.low, 0xFFFFFFFFu);

	auto min = bigint_key(std::numeric_limits<std::int64_t>::min());
	EXPECT_EQ(min.high, 0x80000000u);
	EXPECT_EQ(min.low, 0u);
}

TEST(LockKey, PairKeepsBothKeysAsTheyAre) {
	auto key = pair_key(-2, 7);
	EXPECT_EQ(key.high, 0xFFFFFFFEu);
	EXPECT_EQ(key.low, 7u);
	EXPECT_EQ(key.space, 2);
}

TEST(LockKey, BigintAndPairSpacesNeverMeet) {
	// Same 64 bits, different lock: field4 tells them apart, as in PostgreSQL.
	auto a = bigint_key((std::int64_t{1} << 32) | 2);
	auto b = pair_key(1, 2);
	EXPECT_EQ(a.high, b.high);
	EXPECT_EQ(a.low, b.low);
	EXPECT_NE(a.space, b.space);
}

} // namespace
