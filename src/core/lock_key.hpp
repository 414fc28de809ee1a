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
	std::uint16_t space;  // 1 for a bigint key, 2 for a pair of ints, 3.. pglocks' own
};

// pglocks' own lock spaces. PostgreSQL's functions only ever use 1 and 2, so
// a semaphore's locks can never be taken by pg_advisory_lock(): the gate its
// waiters queue on is space 3, and slot s is space 4 + s.
constexpr std::uint16_t gate_space = 3;
constexpr std::uint16_t first_slot_space = 4;
constexpr int max_slots = 10000;

constexpr LockKey bigint_key(std::int64_t key) {
	auto bits = static_cast<std::uint64_t>(key);
	return {static_cast<std::uint32_t>(bits >> 32), static_cast<std::uint32_t>(bits), 1};
}

constexpr LockKey in_space(LockKey key, std::uint16_t space) {
	key.space = space;
	return key;
}

// The gate of the semaphore with this (bigint or hashed text) key.
constexpr LockKey gate_key(std::int64_t key) {
	return in_space(bigint_key(key), gate_space);
}

// Slot `slot` (0 .. max_slots - 1) of the semaphore with this key.
constexpr LockKey slot_key(std::int64_t key, int slot) {
	return in_space(bigint_key(key), static_cast<std::uint16_t>(first_slot_space + slot));
}

constexpr LockKey pair_key(std::int32_t key1, std::int32_t key2) {
	return {static_cast<std::uint32_t>(key1), static_cast<std::uint32_t>(key2), 2};
}

} // namespace pglocks::core
