/*
 * A checked body, ready to call: what prepare_body() builds once and then
 * reuses through the plan cache (pg/plan_cache.hpp).
 */
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace pglocks::pg {

/* An unknown-type literal argument, read with its parameter type's input function. */
struct LiteralInput {
	int			argno;
	Oid			ioparam;
	FmgrInfo	input;
};

struct BodyPlan {
	MemoryContext cxt;	/* holds this plan and everything the body caches in flinfo */
	Oid			fn;
	int			in_use;		/* bodies running through it right now */
	bool		retired;	/* not (or no longer) in the cache: free when done */
	bool		strict;
	int			nliterals;
	LiteralInput *literals;
	FmgrInfo	flinfo;
};

} // namespace pglocks::pg
