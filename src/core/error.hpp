// The one exception type the pure C++ core throws for bad input or a failing
// library. The PostgreSQL side maps `Kind` to a SQLSTATE (src/pg/core_call.hpp).
#pragma once

#include <stdexcept>
#include <string>

namespace pglocks::core {

class Error : public std::runtime_error {
public:
	enum class Kind {
		InvalidArgument, // the caller passed a value the API rejects
		Library,		 // a library we rely on (OpenSSL, zlib) failed
	};

	Error(Kind kind, const std::string &message, std::string hint = {})
		: std::runtime_error(message), kind_(kind), hint_(std::move(hint)) {}

	Kind kind() const noexcept { return kind_; }
	const std::string &hint() const noexcept { return hint_; }

private:
	Kind kind_;
	std::string hint_;
};

} // namespace pglocks::core
