/*
 * Body plans, cached for the whole backend: a client that sends
 * SELECT pglocks.with_lock(...) gets a new FmgrInfo, and so a new fn_extra,
 * with every statement, so a per-call-site cache alone would rebuild the plan
 * on each one. Any pg_proc change drops every plan.
 */
#pragma once

#include "pg/body_plan.hpp"

namespace pglocks::pg {

/*
 * A plan depends on the body, and on the types and collations of the
 * arguments its call site passes (a body caches things in fn_extra that
 * depend on its input collation, as PL/pgSQL does).
 */
struct PlanKey {
	Oid			fn;
	int			nargs;
	Oid			given[FUNC_MAX_ARGS];		/* zero past nargs */
	Oid			collations[FUNC_MAX_ARGS];	/* zero past nargs */
	bool		explicit_collations[FUNC_MAX_ARGS]; /* COLLATE at the call site */
};

/*
 * Plans found in the cache stay valid while this value is unchanged. Calling
 * it first drops the plans a pg_proc change has made stale.
 */
uint64 plan_cache_epoch();

/* The cached plan for key, or NULL. */
BodyPlan *cached_plan(const PlanKey &key);

/* Keep a complete plan; the cache takes over plan->cxt. */
void cache_plan(const PlanKey &key, BodyPlan *plan);

/* After a call through plan has returned: frees it if it was dropped meanwhile. */
void plan_released(BodyPlan *plan);

/*
 * After a call through plan has raised: the body's state in fn_extra may be
 * left mid-execution (fmgr_sql's, for one), so the plan is never used again.
 * It is freed by free_failed_plans(), once the error has been cleaned up:
 * until then, what the abort releases may still point into it.
 */
void plan_failed(BodyPlan *plan);
void free_failed_plans();

/* From _PG_init: drop cached plans whenever pg_proc or pg_cast changes. */
void watch_catalogs();

} // namespace pglocks::pg
