// What a lock function does when the lock is busy or its timeout runs out.
#pragma once

#include <string_view>

namespace pglocks::core {

enum class OnBusy {
	ReturnFalse, // 'false': return false (NULL for acquire_slot)
	Raise,		 // 'error': raise SQLSTATE 55P03
};

// Throws Error(InvalidArgument) for anything but 'false' and 'error'.
OnBusy on_busy(std::string_view value);

} // namespace pglocks::core
