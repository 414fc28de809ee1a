/*
 * A checked body: what body.cpp builds once per body and argument types and
 * keeps in the plan cache (pg/plan_cache.hpp). It is read-only once
 * built and holds no executor state: each call site makes its own copy to
 * call through (pg/body.hpp), as the executor makes its own FmgrInfo for
 * each query.
 */
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "nodes/primnodes.h"
}

#include "pg/body_args.hpp"

namespace pglocks::pg {

struct BodyPlan {
	MemoryContext cxt;	/* holds this plan */
	Oid			fn;
	bool		strict;
	int			nargs;		/* the body's own arguments */
	BodyArg    *args;
	FuncExpr   *call;		/* the call, as the parser builds it */
	FmgrInfo	flinfo;		/* the body's, to copy (fmgr_info_copy); never called through */
};

} // namespace pglocks::pg
