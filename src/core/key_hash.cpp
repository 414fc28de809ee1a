#include "core/key_hash.hpp"

#include "core/error.hpp"

#include <openssl/evp.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>

#include "core/cpp_only.hpp"

namespace pglocks::core {
namespace {

// One digest context per thread, reused: creating one per call, or letting
// OpenSSL 3 fetch the algorithm per call, costs more than the hash itself.
class Sha256 {
public:
	Sha256() : md_(fetch()), ctx_(EVP_MD_CTX_new()) {
		if (md_ == nullptr || ctx_ == nullptr) {
			release();
			throw Error(Error::Kind::Library, "could not initialize OpenSSL's SHA-256");
		}
	}
	~Sha256() { release(); }
	Sha256(const Sha256 &) = delete;
	Sha256 &operator=(const Sha256 &) = delete;

	void digest(const char *data, std::size_t len, unsigned char (&out)[EVP_MAX_MD_SIZE]) {
		unsigned int out_len = 0;
		if (init() != 1 || EVP_DigestUpdate(ctx_, data, len) != 1 ||
			EVP_DigestFinal_ex(ctx_, out, &out_len) != 1 || out_len != 32)
			throw Error(Error::Kind::Library, "OpenSSL's SHA-256 failed");
	}

private:
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	static EVP_MD *fetch() { return EVP_MD_fetch(nullptr, "SHA256", nullptr); }
	int init() { return EVP_DigestInit_ex2(ctx_, md_, nullptr); }
	void release() {
		EVP_MD_CTX_free(ctx_);
		EVP_MD_free(md_);
	}
	EVP_MD *md_;
#else
	static const EVP_MD *fetch() { return EVP_sha256(); }
	int init() { return EVP_DigestInit_ex(ctx_, md_, nullptr); }
	void release() { EVP_MD_CTX_free(ctx_); }
	const EVP_MD *md_;
#endif
	EVP_MD_CTX *ctx_;
};

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
	thread_local Sha256 sha256;
	unsigned char digest[EVP_MAX_MD_SIZE];
	sha256.digest(utf8, len, digest);

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
