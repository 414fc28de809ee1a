#include "core/semaphore.hpp"

#include "core/error.hpp"
#include "core/lock_key.hpp"

#include <string>

#include "core/cpp_only.hpp"

namespace pglocks::core {

void check_slot_count(int slots) {
	if (slots < 1 || slots > max_slots)
		throw Error(Error::Kind::InvalidArgument,
					"slots must be between 1 and " + std::to_string(max_slots) + ", not " +
						std::to_string(slots),
					"Pass how many sessions may hold the semaphore at once.");
}

void check_slot_number(int slot) {
	if (slot < 0 || slot >= max_slots)
		throw Error(Error::Kind::InvalidArgument,
					"slot must be between 0 and " + std::to_string(max_slots - 1) + ", not " +
						std::to_string(slot),
					"Pass the slot number that acquire_slot returned.");
}

} // namespace pglocks::core
