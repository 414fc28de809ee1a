// Text keys to 64-bit lock ids. The spec is in README ("Key hashing"); every
// client library reproduces it, so it must never change.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pglocks::core {

// First 8 bytes of SHA-256 over the key's UTF-8 bytes, read as a
// little-endian two's-complement signed integer (django-pglock's lock id).
std::int64_t key_id(const char *utf8, std::size_t len);

// django-pglocks 1.x: zlib CRC-32 of the UTF-8 bytes as a signed 32-bit value.
std::int64_t crc32_key_id(const char *utf8, std::size_t len);

} // namespace pglocks::core
