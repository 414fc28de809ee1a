/*
 * A checked body, ready to call: what prepare_body() builds once and then
 * reuses through the plan cache (pg/plan_cache.hpp).
 */
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

#include "pg/body_args.hpp"

namespace pglocks::pg {

struct BodyPlan {
	MemoryContext cxt;	/* holds this plan and everything the body caches in flinfo */
	Oid			fn;
	int			in_use;		/* bodies running through it right now */
	bool		retired;	/* not (or no longer) in the cache: free when done */
	bool		failed;		/* its call raised: waiting, through next_failed, to be freed */
	BodyPlan   *next_failed;
	bool		strict;
	Oid			collation;	/* the call's input collation, as the parser would set it */
	int			nargs;		/* the body's own arguments */
	BodyArg    *args;
	FmgrInfo	flinfo;		/* fn_expr is the call, as the parser builds it */
};

} // namespace pglocks::pg
