// Expected ids come from an independent implementation (Python's hashlib and
// zlib), not from pglocks: they pin the published key hashing spec.
#include "core/key_hash.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace {

using pglocks::core::crc32_key_id;
using pglocks::core::key_id;

std::int64_t id(const std::string &key) { return key_id(key.data(), key.size()); }
std::int64_t crc(const std::string &key) { return crc32_key_id(key.data(), key.size()); }

struct Vector {
	const char *name;
	std::string key;
	std::int64_t key_id;
	std::int64_t crc32_key_id;
};

class KeyHashVectors : public testing::TestWithParam<Vector> {};

TEST_P(KeyHashVectors, MatchTheReference) {
	EXPECT_EQ(id(GetParam().key), GetParam().key_id);
	EXPECT_EQ(crc(GetParam().key), GetParam().crc32_key_id);
}

INSTANTIATE_TEST_SUITE_P(
	Spec, KeyHashVectors,
	testing::Values(
		Vector{"SomeLock", "some lock", -1292339565357005894, -205618829},
		Vector{"Empty", "", 1449310910991872227, 0},
		Vector{"Ascii", "orders:42", 260941440247488394, 218055877},
		Vector{"NonAsciiNfc", "caf\xc3\xa9", -8503059731156496507, -1733475659},		  // NFC
		Vector{"NonAsciiNfd", "cafe\xcc\x81", -4058419682770227327, 911280202},		  // NFD
		Vector{"Cjk", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", -6643004304765849225, -1475652891},
		Vector{"AstralPlane", "\xf0\x9f\x94\x92", -1544007693426826902, 1514244864},		  // astral plane
		Vector{"Bytes55", std::string(55, 'a'), -2797565688979373153, -1428167858}, // one SHA-256 block
		Vector{"Bytes56", std::string(56, 'a'), 5190802832801486003, 2037976375},	  // padding spills
		Vector{"Bytes64", std::string(64, 'a'), 7911663989264015615, -1984666283},
		Vector{"Bytes1000", std::string(1000, 'x'), 268709184000096324, 994167270}),
	[](const testing::TestParamInfo<Vector> &info) { return std::string(info.param.name); });

TEST(KeyHash, NormalizationIsNotApplied) {
	EXPECT_NE(id("caf\xc3\xa9"), id("cafe\xcc\x81"));
}

TEST(KeyHash, EmbeddedBytesAllCount) {
	std::string with_nul("a\0b", 3);
	EXPECT_NE(id(with_nul), id("a"));
	EXPECT_NE(id(with_nul), id("ab"));
}

TEST(KeyHash, ReusedContextGivesTheSameIdEveryTime) {
	for (int i = 0; i < 1000; i++)
		ASSERT_EQ(id("some lock"), -1292339565357005894);
}

// key_id remembers the last key it hashed: it must never answer for another.
TEST(KeyHash, RememberedKeyNeverAnswersForAnother) {
	const std::string a = "some lock", b = "orders:42";
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(id(a), -1292339565357005894);
		EXPECT_EQ(id(b), 260941440247488394);
	}
	EXPECT_EQ(id("some lock"), -1292339565357005894);
	EXPECT_EQ(id("some loc"), id(std::string("some loc")));
	EXPECT_NE(id("some loc"), -1292339565357005894);   // a prefix
	EXPECT_NE(id("some lockX"), -1292339565357005894); // an extension
	EXPECT_NE(id("some locK"), -1292339565357005894);  // same length
	EXPECT_EQ(id(""), 1449310910991872227);
	EXPECT_EQ(key_id(nullptr, 0), 1449310910991872227);
	EXPECT_EQ(id(std::string(55, 'a')), -2797565688979373153);
}

TEST(KeyHash, LongKeysAreHashedEveryTime) {
	const std::string k1000(1000, 'x'), k129(129, 'y');
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(id(k1000), 268709184000096324);
		std::string other = k1000;
		other.back() = 'z';
		EXPECT_NE(id(other), 268709184000096324);
		EXPECT_EQ(id(k129), id(std::string(129, 'y')));
	}
}

TEST(KeyHash, ThreadsDoNotShareState) {
	std::int64_t a = 0, b = 0;
	std::thread t1([&] { for (int i = 0; i < 10000; i++) a = id("some lock"); });
	std::thread t2([&] { for (int i = 0; i < 10000; i++) b = id(""); });
	t1.join();
	t2.join();
	EXPECT_EQ(a, -1292339565357005894);
	EXPECT_EQ(b, 1449310910991872227);
}

TEST(KeyHash, NullPointerWithZeroLengthIsTheEmptyKey) {
	EXPECT_EQ(key_id(nullptr, 0), 1449310910991872227);
	EXPECT_EQ(crc32_key_id(nullptr, 0), 0);
}

} // namespace
