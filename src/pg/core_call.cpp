#include "pg/core_call.hpp"

extern "C" {
#include "utils/memutils.h"
}

namespace pglocks::pg {
namespace {

/* Copy without ever raising: this runs inside a C++ catch block. */
const char *
copy_or(const char *text, const char *fallback) noexcept
{
	size_t len = strlen(text);
	char *copy = static_cast<char *>(palloc_extended(len + 1, MCXT_ALLOC_NO_OOM));

	if (copy == NULL)
		return fallback;
	memcpy(copy, text, len + 1);
	return copy;
}

int
sqlstate_of(core::Error::Kind kind) noexcept
{
	switch (kind)
	{
		case core::Error::Kind::InvalidArgument:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case core::Error::Kind::Library:
			return ERRCODE_SYSTEM_ERROR;
	}
	return ERRCODE_INTERNAL_ERROR;
}

} // namespace

CoreFailure
capture_failure(const core::Error &error) noexcept
{
	return {sqlstate_of(error.kind()),
			copy_or(error.what(), "pglocks: invalid request"),
			error.hint().empty() ? NULL : copy_or(error.hint().c_str(), NULL)};
}

CoreFailure
capture_failure(const std::exception &error) noexcept
{
	if (dynamic_cast<const std::bad_alloc *>(&error) != nullptr)
		return {ERRCODE_OUT_OF_MEMORY, "out of memory", NULL};
	return {ERRCODE_INTERNAL_ERROR, copy_or(error.what(), "unexpected C++ exception"),
			"This is a bug in pglocks; please report it."};
}

CoreFailure
capture_unknown_failure() noexcept
{
	return {ERRCODE_INTERNAL_ERROR, "unexpected C++ exception",
			"This is a bug in pglocks; please report it."};
}

void
report_failure(const CoreFailure &failure)
{
	ereport(ERROR,
			(errcode(failure.sqlstate),
			 errmsg_internal("%s", failure.message),
			 failure.hint ? errhint("%s", failure.hint) : 0));
	pg_unreachable();
}

} // namespace pglocks::pg
