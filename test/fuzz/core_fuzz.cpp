// libFuzzer target over the pure C++ core: key hashing against independent
// reference computations, the wait policy against its documented bounds, and
// lock_all's key order against a reference (std::set).
// Any mismatch aborts, which libFuzzer reports with the input that caused it.
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <endian.h>
#include <optional>
#include <set>
#include <vector>

#include <openssl/sha.h>

#include "core/error.hpp"
#include "core/key_hash.hpp"
#include "core/key_set.hpp"
#include "core/lock_key.hpp"
#include "core/wait_policy.hpp"

namespace core = pglocks::core;

namespace {

void require(bool ok, const char *what) {
	if (!ok) {
		std::fprintf(stderr, "core_fuzz: %s\n", what);
		std::abort();
	}
}

// The spec, computed another way: OpenSSL's one-shot SHA256(), then the
// first 8 bytes copied into an integer whose byte order is pinned to
// little-endian (le64toh), rather than folded byte by byte.
std::int64_t reference_key_id(const std::uint8_t *data, std::size_t size) {
	unsigned char digest[SHA256_DIGEST_LENGTH];
	SHA256(data, size, digest);
	std::uint64_t raw;
	std::memcpy(&raw, digest, sizeof raw);
	return static_cast<std::int64_t>(le64toh(raw));
}

// CRC-32 (IEEE 802.3, reflected, as zlib computes it), bit by bit.
std::int64_t reference_crc32_key_id(const std::uint8_t *data, std::size_t size) {
	std::uint32_t crc = 0xFFFFFFFFu;
	for (std::size_t i = 0; i < size; ++i) {
		crc ^= data[i];
		for (int bit = 0; bit < 8; ++bit)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return static_cast<std::int32_t>(~crc);
}

template <typename T> T take(const std::uint8_t *&data, std::size_t &size) {
	T value{};
	std::size_t n = size < sizeof value ? size : sizeof value;
	std::memcpy(&value, data, n);
	data += n;
	size -= n;
	return value;
}

void check_hashing(const std::uint8_t *data, std::size_t size) {
	const char *text = reinterpret_cast<const char *>(data);
	std::int64_t id = core::key_id(text, size);
	require(id == reference_key_id(data, size), "key_id differs from the reference");
	require(core::crc32_key_id(text, size) == reference_crc32_key_id(data, size),
			"crc32_key_id differs from the reference");
	// key_id remembers the last key: another key in between, and a prefix of
	// this one, must not change the answer.
	if (size > 0)
		require(core::key_id(text, size - 1) == reference_key_id(data, size - 1),
				"key_id of a prefix differs from the reference");
	require(core::key_id(text, size) == id, "key_id is not stable");

	core::LockKey key = core::bigint_key(id);
	require(key.space == 1, "bigint key in the wrong space");
	require(static_cast<std::int64_t>((std::uint64_t{key.high} << 32) | key.low) == id,
			"bigint key does not split into its two halves");
}

void check_wait_policy(const std::uint8_t *data, std::size_t size) {
	auto flags = take<std::uint8_t>(data, size);
	core::IntervalParts parts{take<std::int32_t>(data, size), take<std::int32_t>(data, size),
							  take<std::int64_t>(data, size)};
	bool wait = flags & 1;
	std::optional<core::IntervalParts> timeout;
	if (flags & 2)
		timeout = parts;
	__int128 micros = (__int128{parts.months} * 30 + parts.days) * 86400000000LL +
					  parts.microseconds;
	try {
		core::WaitPolicy policy = core::wait_policy(wait, timeout);
		require(!timeout || micros >= 0, "negative timeout accepted");
		require(wait || !timeout, "timeout accepted with wait = false");
		switch (policy.kind) {
		case core::WaitPolicy::Kind::Try:
			require(!wait || micros == 0, "Try without wait = false or a zero timeout");
			break;
		case core::WaitPolicy::Kind::Forever:
			require(wait && !timeout, "Forever although a timeout was given");
			break;
		case core::WaitPolicy::Kind::Millis:
			require(timeout && policy.millis >= 1, "Millis below one millisecond");
			require(__int128{policy.millis} * 1000 >= micros || policy.millis == INT_MAX,
					"Millis shorter than the timeout");
			require(__int128{policy.millis - 1} * 1000 < micros, "Millis rounded up too far");
			break;
		}
	} catch (const core::Error &e) {
		require(e.kind() == core::Error::Kind::InvalidArgument, "unexpected error kind");
		require(timeout && (micros < 0 || !wait), "valid arguments refused");
	}
}

// order_keys(): the distinct ids, ascending, each traced to its first
// position in the input.
void check_key_order(const std::uint8_t *data, std::size_t size) {
	std::vector<std::int64_t> given;
	size = size < 64 ? size : 64;
	while (size > 0)
		given.push_back(take<std::int8_t>(data, size)); // small values: many repeats
	std::vector<std::int64_t> ids(given);
	std::vector<int> origin(given.size());
	std::size_t n = core::order_keys(ids.data(), origin.data(), ids.size());
	std::set<std::int64_t> reference(given.begin(), given.end());
	require(n == reference.size(), "order_keys kept a different number of keys");
	std::size_t i = 0;
	for (std::int64_t id : reference) {
		require(ids[i] == id, "order_keys: not the distinct ids in ascending order");
		require(given[origin[i]] == id, "order_keys: origin points at another key");
		for (int j = 0; j < origin[i]; j++)
			require(given[j] != id, "order_keys: origin is not the first occurrence");
		i++;
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
	check_hashing(data, size);
	check_wait_policy(data, size);
	check_key_order(data, size);
	return 0;
}
