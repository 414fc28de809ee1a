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
		Vector{"SomeLock", "some lock", -5006958056254205714, -205618829},
		Vector{"Empty", "", -2039914840885289964, 0},
		Vector{"Ascii", "orders:42", -8476019149258318077, 218055877},
		Vector{"NonAsciiNfc", "caf\xc3\xa9", -8858723660289998967, -1733475659},		  // NFC
		Vector{"NonAsciiNfd", "cafe\xcc\x81", -9084035275619258937, 911280202},		  // NFD
		Vector{"Cjk", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 8606672379249086371, -1475652891},
		Vector{"AstralPlane", "\xf0\x9f\x94\x92", 7701668758205862634, 1514244864},		  // astral plane
		Vector{"Bytes55", std::string(55, 'a'), -6970568399872315943, -1428167858}, // one SHA-256 block
		Vector{"Bytes56", std::string(56, 'a'), -5524727463446378168, 2037976375},	  // padding spills
		Vector{"Bytes64", std::string(64, 'a'), -8913747294762131, -1984666283},
		Vector{"Bytes1000", std::string(1000, 'x'), 4969780757471279619, 994167270}),
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
		ASSERT_EQ(id("some lock"), -5006958056254205714);
}

// key_id remembers the last key it hashed: it must never answer for another.
TEST(KeyHash, RememberedKeyNeverAnswersForAnother) {
	const std::string a = "some lock", b = "orders:42";
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(id(a), -5006958056254205714);
		EXPECT_EQ(id(b), -8476019149258318077);
	}
	EXPECT_EQ(id("some lock"), -5006958056254205714);
	EXPECT_EQ(id("some loc"), id(std::string("some loc")));
	EXPECT_NE(id("some loc"), -5006958056254205714);   // a prefix
	EXPECT_NE(id("some lockX"), -5006958056254205714); // an extension
	EXPECT_NE(id("some locK"), -5006958056254205714);  // same length
	EXPECT_EQ(id(""), -2039914840885289964);
	EXPECT_EQ(key_id(nullptr, 0), -2039914840885289964);
	EXPECT_EQ(id(std::string(55, 'a')), -6970568399872315943);
}

TEST(KeyHash, LongKeysAreHashedEveryTime) {
	const std::string k1000(1000, 'x'), k129(129, 'y');
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(id(k1000), 4969780757471279619);
		std::string other = k1000;
		other.back() = 'z';
		EXPECT_NE(id(other), 4969780757471279619);
		EXPECT_EQ(id(k129), id(std::string(129, 'y')));
	}
}

TEST(KeyHash, ThreadsDoNotShareState) {
	std::int64_t a = 0, b = 0;
	std::thread t1([&] { for (int i = 0; i < 10000; i++) a = id("some lock"); });
	std::thread t2([&] { for (int i = 0; i < 10000; i++) b = id(""); });
	t1.join();
	t2.join();
	EXPECT_EQ(a, -5006958056254205714);
	EXPECT_EQ(b, -2039914840885289964);
}

TEST(KeyHash, NullPointerWithZeroLengthIsTheEmptyKey) {
	EXPECT_EQ(key_id(nullptr, 0), -2039914840885289964);
	EXPECT_EQ(crc32_key_id(nullptr, 0), 0);
}

} // namespace
