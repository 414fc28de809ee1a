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

/*
 * Check that `fn` can run as a body with arguments first_arg.. of the outer
 * call, and that the current user may execute it; every failure is an ERROR
 * raised here, before the caller takes a lock. Returns the checked plan
 * (cached, pg/plan_cache.hpp), in use by this call: from here on, the call
 * must end in body_done() or, on any error, body_failed(), so that no other
 * call shares or frees the plan meanwhile (an argument's conversion or the
 * body itself may call with_lock again).
 */
BodyPlan *choose_body(FunctionCallInfo outer, Oid fn, int first_arg, const char *func);

/*
 * The body's arguments for this call, converted as in a direct call; a
 * failed conversion is an ERROR raised here.
 */
FunctionCallInfo bind_body(BodyPlan *plan, FunctionCallInfo outer, int first_arg);

/* Run the body; its error, if any, propagates unchanged. */
void call_body(FunctionCallInfo fcinfo);

void body_done(BodyPlan *plan);

/* After an error: the plan's state may be left mid-use, so it is never used again. */
void body_failed(BodyPlan *plan);

} // namespace pglocks::pg
