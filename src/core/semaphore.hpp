// A semaphore's arguments: how many slots it has, which slot is meant.
#pragma once

namespace pglocks::core {

// Throws Error(InvalidArgument) unless 1 <= slots <= max_slots (lock_key.hpp).
void check_slot_count(int slots);

// Throws Error(InvalidArgument) unless 0 <= slot < max_slots.
void check_slot_number(int slot);

} // namespace pglocks::core
