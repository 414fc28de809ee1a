// Where a key lives in PostgreSQL's advisory lock space. These are the fields
// pg_advisory_lock() puts in its LOCKTAG (lockfuncs.c), so that pglocks and
// PostgreSQL's own functions take the same lock for the same key; pg_locks
// shows them as classid, objid and objsubid.
#pragma once

#include <cstdint>

namespace pglocks::core {

struct LockKey {
	std::uint32_t high;	  // bigint: high 32 bits; pair: key1
	std::uint32_t low;	  // bigint: low 32 bits;  pair: key2
	std::uint16_t space;  // 1 for a bigint key, 2 for a pair of ints
};

constexpr LockKey bigint_key(std::int64_t key) {
	auto bits = static_cast<std::uint64_t>(key);
	return {static_cast<std::uint32_t>(bits >> 32), static_cast<std::uint32_t>(bits), 1};
}

constexpr LockKey pair_key(std::int32_t key1, std::int32_t key2) {
	return {static_cast<std::uint32_t>(key1), static_cast<std::uint32_t>(key2), 2};
}

} // namespace pglocks::core
