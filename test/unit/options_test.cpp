// on_busy and a semaphore's slot arguments: accepted values and clear errors.
#include "core/error.hpp"
#include "core/lock_key.hpp"
#include "core/on_busy.hpp"
#include "core/semaphore.hpp"

#include <gtest/gtest.h>

namespace {

using namespace pglocks::core;

TEST(OnBusy, AcceptsFalseAndError) {
	EXPECT_EQ(on_busy("false"), OnBusy::ReturnFalse);
	EXPECT_EQ(on_busy("error"), OnBusy::Raise);
}

TEST(OnBusy, RejectsAnythingElse) {
	for (const char *bad : {"", "Error", "true", "raise", "false "}) {
		try {
			on_busy(bad);
			FAIL() << bad;
		} catch (const Error &e) {
			EXPECT_EQ(e.kind(), Error::Kind::InvalidArgument);
			EXPECT_NE(std::string(e.what()).find("on_busy must be"), std::string::npos);
		}
	}
}

TEST(Semaphore, SlotCountBounds) {
	EXPECT_NO_THROW(check_slot_count(1));
	EXPECT_NO_THROW(check_slot_count(max_slots));
	EXPECT_THROW(check_slot_count(0), Error);
	EXPECT_THROW(check_slot_count(-3), Error);
	EXPECT_THROW(check_slot_count(max_slots + 1), Error);
}

TEST(Semaphore, SlotNumberBounds) {
	EXPECT_NO_THROW(check_slot_number(0));
	EXPECT_NO_THROW(check_slot_number(max_slots - 1));
	EXPECT_THROW(check_slot_number(-1), Error);
	EXPECT_THROW(check_slot_number(max_slots), Error);
}

TEST(Semaphore, SlotsAndGateLiveOutsideTheBuiltInSpaces) {
	EXPECT_EQ(gate_key(42).space, 3);
	EXPECT_EQ(slot_key(42, 0).space, 4);
	EXPECT_EQ(slot_key(42, max_slots - 1).space, 4 + max_slots - 1);
	EXPECT_EQ(slot_key(-1, 5).high, 0xFFFFFFFFu);
	EXPECT_EQ(slot_key(-1, 5).low, 0xFFFFFFFFu);
}

} // namespace
