/*
 * Checked bodies, cached for the whole backend: a client that sends
 * SELECT pglocks.with_lock(...) gets a new FmgrInfo, and so a new fn_extra,
 * with every statement, so a per-call-site cache alone would check the body
 * again on each one. Any pg_proc, pg_cast or relation (inheritance) change
 * drops every plan.
 */
#pragma once

#include "pg/body_plan.hpp"

namespace pglocks::pg {

/* A plan depends on the body and on the argument types its call site passes. */
struct PlanKey {
	Oid			fn;
	int			nargs;
	Oid			given[FUNC_MAX_ARGS]; /* zero past nargs */
};

/*
 * Plans found in the cache stay valid while this value is unchanged. Calling
 * it first drops the plans a catalog change has made stale.
 */
uint64 plan_cache_epoch();

/* The cached plan for key, or NULL. */
BodyPlan *cached_plan(const PlanKey &key);

/* Keep a complete plan; the cache takes over plan->cxt. */
void cache_plan(const PlanKey &key, BodyPlan *plan);

/* From _PG_init: drop cached plans whenever the catalogs they depend on change. */
void watch_catalogs();

} // namespace pglocks::pg
