/*
 * The boundary between the pure C++ core (may throw) and PostgreSQL (may
 * longjmp). Rules, also in README "Hacking":
 *
 *  1. Core code runs only inside call_core(). Its exceptions stop there: the
 *     catch block copies what ereport needs into a trivially destructible
 *     CoreFailure (palloc'd without ever raising), and ereport runs only after
 *     the catch block has ended, so no exception object is alive when
 *     PostgreSQL longjmps.
 *  2. Core code never calls PostgreSQL, so no longjmp can cross a frame of it.
 *  3. PostgreSQL-facing frames (src/pg, src/sql_api.cpp) hold only trivially
 *     destructible values: a longjmp through them skips nothing.
 */
#pragma once

#include "core/error.hpp"

#include <exception>
#include <new>

extern "C" {
#include "postgres.h"
}

namespace pglocks::pg {

struct CoreFailure {
	int sqlstate;
	const char *message; /* palloc'd, or a string literal */
	const char *hint;	 /* palloc'd, a string literal, or NULL */
};

CoreFailure capture_failure(const core::Error &error) noexcept;
CoreFailure capture_failure(const std::exception &error) noexcept;
CoreFailure capture_unknown_failure() noexcept;
[[noreturn]] void report_failure(const CoreFailure &failure);

template <typename Fn>
auto
call_core(Fn &&fn) -> decltype(fn())
{
	CoreFailure failure;

	try {
		return fn();
	} catch (const core::Error &e) {
		failure = capture_failure(e);
	} catch (const std::exception &e) {
		failure = capture_failure(e);
	} catch (...) {
		failure = capture_unknown_failure();
	}
	report_failure(failure);
}

} // namespace pglocks::pg
