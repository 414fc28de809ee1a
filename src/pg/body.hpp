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

struct BodyPlan; /* pg/body_plan.hpp */

struct BodyCall {
	BodyPlan   *plan;
	FunctionCallInfo fcinfo; /* the body's arguments, filled in */
};

/*
 * Check that `fn` can run as a body with arguments first_arg.. of the outer
 * call, and that the current user may execute it; every failure is an ERROR
 * raised here, before the caller takes a lock. The checked plan is cached
 * (pg/plan_cache.hpp) until pg_proc changes.
 */
BodyCall prepare_body(FunctionCallInfo outer, Oid fn, int first_arg, const char *func);

/* Run the body; its error, if any, propagates unchanged. */
void call_body(const BodyCall &call);

} // namespace pglocks::pg
