#include "core/key_hash.hpp"

#include "core/error.hpp"

#include <openssl/sha.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>

#include "core/cpp_only.hpp"

namespace pglocks::core {
namespace {

// The last short key hashed on this thread and its id: lock(k) and unlock(k),
// or a loop over one key, hash once.
class LastKey {
public:
	bool find(const char *key, std::size_t len, std::int64_t &id) const {
		if (len != len_ || (len > 0 && std::memcmp(key, bytes_, len) != 0))
			return false;
		id = id_;
		return true;
	}
	void remember(const char *key, std::size_t len, std::int64_t id) {
		if (len > sizeof(bytes_))
			return;
		if (len > 0)
			std::memcpy(bytes_, key, len);
		len_ = len;
		id_ = id;
	}

private:
	char bytes_[128];
	std::size_t len_ = SIZE_MAX; // nothing remembered yet
	std::int64_t id_ = 0;
};

std::int64_t sha256_id(const char *utf8, std::size_t len) {
	// OpenSSL's SHA256_* functions, not EVP: one short key is one compression
	// block, and EVP costs as much again around it (OpenSSL 3 allocates and
	// frees the digest's context on every EVP_DigestInit_ex2). OpenSSL 3.0
	// deprecates them in favour of EVP but keeps them in every 3.x release.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	SHA256_CTX ctx;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, utf8, len) != 1 ||
		SHA256_Final(digest, &ctx) != 1)
		throw Error(Error::Kind::Library, "OpenSSL's SHA-256 failed");
#pragma GCC diagnostic pop

	std::uint64_t id = 0; // little-endian: digest[0] is the least significant byte
	for (int i = 7; i >= 0; i--)
		id = (id << 8) | digest[i];
	return static_cast<std::int64_t>(id);
}

} // namespace

std::int64_t key_id(const char *utf8, std::size_t len) {
	thread_local LastKey last;
	std::int64_t id;

	if (!last.find(utf8, len, id)) {
		id = sha256_id(utf8, len);
		last.remember(utf8, len, id);
	}
	return id;
}

std::int64_t crc32_key_id(const char *utf8, std::size_t len) {
	auto crc = static_cast<std::uint32_t>(
		crc32_z(0, reinterpret_cast<const Bytef *>(utf8), len));
	return static_cast<std::int32_t>(crc);
}

} // namespace pglocks::core
