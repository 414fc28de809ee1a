/*
 * The function that with_lock runs under the lock (its "body"): checked and
 * prepared before anything is locked, then called.
 */
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace pglocks::pg {

struct BodySite; /* pg/body.cpp */

/*
 * Check that `fn` can run as a body with arguments first_arg.. of the outer
 * call, and that the current user may execute it; every failure is an ERROR
 * raised here, before the caller takes a lock. Returns the outer call site's
 * state for calling it (a copy of the checked plan, which is cached for the
 * backend, pg/plan_cache.hpp).
 */
BodySite *choose_body(FunctionCallInfo outer, Oid fn, int first_arg, const char *func);

/*
 * The body's arguments for this call, converted as in a direct call; a
 * failed conversion is an ERROR raised here.
 */
FunctionCallInfo bind_body(BodySite *site, FunctionCallInfo outer, int first_arg);

/* Run the body; its error, if any, propagates unchanged. */
void call_body(FunctionCallInfo fcinfo);

/*
 * After an error in bind_body() or call_body(): the site's state may have
 * been left mid-use, so its next call builds it again.
 */
void body_failed(BodySite *site);

} // namespace pglocks::pg
