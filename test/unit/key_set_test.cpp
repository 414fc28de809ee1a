// lock_all's order: ascending signed ids, each once, traced to the caller's list.
#include "core/key_set.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace {

using pglocks::core::order_keys;

TEST(KeySet, SortsAscendingAsSignedValues) {
	std::int64_t ids[] = {5, -1, std::numeric_limits<std::int64_t>::min(), 0};
	int origin[4];
	ASSERT_EQ(order_keys(ids, origin, 4), 4u);
	EXPECT_EQ(ids[0], std::numeric_limits<std::int64_t>::min());
	EXPECT_EQ(ids[1], -1);
	EXPECT_EQ(ids[2], 0);
	EXPECT_EQ(ids[3], 5);
	EXPECT_EQ(origin[0], 2);
	EXPECT_EQ(origin[1], 1);
	EXPECT_EQ(origin[2], 3);
	EXPECT_EQ(origin[3], 0);
}

TEST(KeySet, DropsRepeatsKeepingTheFirstPosition) {
	std::int64_t ids[] = {7, 3, 7, 3, 3};
	int origin[5];
	ASSERT_EQ(order_keys(ids, origin, 5), 2u);
	EXPECT_EQ(ids[0], 3);
	EXPECT_EQ(ids[1], 7);
	EXPECT_EQ(origin[0], 1);
	EXPECT_EQ(origin[1], 0);
}

TEST(KeySet, OneKeyAndNone) {
	std::int64_t one[] = {42};
	int origin[1];
	EXPECT_EQ(order_keys(one, origin, 1), 1u);
	EXPECT_EQ(one[0], 42);
	EXPECT_EQ(origin[0], 0);
	EXPECT_EQ(order_keys(nullptr, nullptr, 0), 0u);
}

TEST(KeySet, SameSetInAnyOrderGivesTheSameSequence) {
	std::int64_t a[] = {9, 1, 4, 1};
	std::int64_t b[] = {4, 9, 9, 1};
	int oa[4], ob[4];
	std::size_t na = order_keys(a, oa, 4), nb = order_keys(b, ob, 4);
	ASSERT_EQ(na, nb);
	for (std::size_t i = 0; i < na; i++)
		EXPECT_EQ(a[i], b[i]);
}

} // namespace
