#include "core/on_busy.hpp"

#include "core/error.hpp"

#include <string>

#include "core/cpp_only.hpp"

namespace pglocks::core {

OnBusy on_busy(std::string_view value) {
	if (value == "false")
		return OnBusy::ReturnFalse;
	if (value == "error")
		return OnBusy::Raise;
	throw Error(Error::Kind::InvalidArgument,
				"on_busy must be 'false' or 'error', not '" + std::string(value) + "'",
				"Pass on_busy => 'error' to raise an error when the lock is busy, or omit it to get false.");
}

} // namespace pglocks::core
