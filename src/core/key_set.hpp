// The keys of lock_all and friends, in the one order every caller takes them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pglocks::core {

// Sorts ids[0..n) ascending (as signed bigints), dropping repeats, and keeps
// origin[] in step with it (origin[i]: where ids[i] was in the caller's
// list, its first occurrence for a repeat). Returns how many remain. Two
// callers whose key sets overlap take the shared keys in the same order, so
// neither can hold one while waiting for another the other holds.
std::size_t order_keys(std::int64_t *ids, int *origin, std::size_t n);

} // namespace pglocks::core
