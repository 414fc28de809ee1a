#include "pg/body.hpp"

#include "pg/plan_cache.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "pg/compat.h"
}

namespace pglocks::pg {

namespace {

/* What a call site's plan was, in which cache epoch. */
struct SitePlan {
	BodyPlan   *plan;
	uint64		epoch;
};

/*
 * The collation of argument `argno` as the call site passes it, into
 * key->collations[i]: an expression's own, or its type's default one if there
 * is no expression to ask. Explicit (COLLATE) if the planner turned a
 * CollateExpr into a RelabelType, the only RelabelType that keeps the type.
 */
void
given_collation(FunctionCallInfo outer, int argno, PlanKey *key, int i)
{
	Node	   *call = outer->flinfo->fn_expr;
	Node	   *arg;

	if (call == NULL || !IsA(call, FuncExpr))
	{
		key->collations[i] = get_typcollation(key->given[i]);
		return;
	}
	arg = static_cast<Node *>(list_nth(((FuncExpr *) call)->args, argno));
	key->collations[i] = exprCollation(arg);
	key->explicit_collations[i] = IsA(arg, RelabelType) && OidIsValid(key->collations[i]) &&
		exprType((Node *) ((RelabelType *) arg)->arg) == key->given[i];
}

/* The body and the types and collations of the arguments this call site passes it. */
PlanKey
plan_key(FunctionCallInfo outer, Oid fn, int first_arg, int nargs, const char *func)
{
	PlanKey		key;

	memset(&key, 0, sizeof(key));	/* the whole struct is the hash key */
	key.fn = fn;
	key.nargs = nargs;

	if (get_fn_expr_variadic(outer->flinfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s does not accept a VARIADIC array", func),
				 errhint("Pass the function's arguments one by one after fn.")));
	for (int i = 0; i < nargs; i++)
	{
		key.given[i] = get_fn_expr_argtype(outer->flinfo, first_arg + i);
		if (!OidIsValid(key.given[i]))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("could not determine the types of the arguments passed to %s", func)));
		given_collation(outer, first_arg + i, &key, i);
	}
	return key;
}

void
check_kind(Form_pg_proc proc, Oid fn, const char *func)
{
	const char *what = NULL;

	switch (proc->prokind)
	{
		case PROKIND_FUNCTION:
			break;
		case PROKIND_PROCEDURE:
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("%s is a procedure", format_procedure(fn)),
					 errhint("%s runs functions: CALL the procedure between pglocks.lock() and pglocks.unlock(), or wrap it in a function.",
							 func)));
			break;
		case PROKIND_AGGREGATE:
			what = "an aggregate function";
			break;
		case PROKIND_WINDOW:
			what = "a window function";
			break;
	}
	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s is %s", format_procedure(fn), what),
				 errhint("Pass a plain function; wrap the query that uses it in one.")));
	if (proc->proretset)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s returns a set", format_procedure(fn)),
				 errhint("Pass a function that returns a single value or void; wrap a set-returning function in one.")));
	if (proc->prorettype == TRIGGEROID || proc->prorettype == EVENT_TRIGGEROID)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg(proc->prorettype == TRIGGEROID ? "%s is a trigger function"
						: "%s is an event trigger function", format_procedure(fn)),
				 errhint("Trigger functions run only from triggers; put the work in a plain function.")));
	if (get_typtype(proc->prorettype) == TYPTYPE_PSEUDO && proc->prorettype != VOIDOID &&
		proc->prorettype != RECORDOID && proc->prorettype != CSTRINGOID &&
		!IsPolymorphicType(proc->prorettype))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s returns type %s and cannot be called from SQL",
						format_procedure(fn), format_type_be(proc->prorettype)),
				 errhint("Pass a function that returns an SQL type or void.")));
}

/* Check the body against key; every failure is an ERROR raised here. */
BodyPlan *
build_plan(const PlanKey &key, const char *func, MemoryContext cxt)
{
	Oid			fn = key.fn;
	HeapTuple	tuple;
	Form_pg_proc proc;
	FuncExpr   *call;
	BodyPlan   *plan;
	MemoryContext old;
	ListCell   *lc;
	int			i = 0;

	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function with OID %u does not exist", fn),
				 errhint("Pass an existing function's signature in quotes, for example 'my_function()'; "
						 "an unquoted call such as my_function() passes its result instead.")));
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	check_kind(proc, fn, func);

	old = MemoryContextSwitchTo(cxt);
	call = body_call_expr(proc, fn, key.given, key.collations, key.explicit_collations, key.nargs,
						  func);
	plan = static_cast<BodyPlan *>(palloc0(sizeof(BodyPlan)));
	plan->cxt = cxt;
	plan->fn = fn;
	plan->collation = call->inputcollid;
	plan->strict = proc->proisstrict;
	plan->nargs = list_length(call->args);
	plan->args = static_cast<BodyArg *>(palloc(plan->nargs * sizeof(BodyArg)));
	foreach(lc, call->args)
		plan->args[i++] = body_arg(static_cast<Expr *>(lfirst(lc)));
	fmgr_info_cxt(fn, &plan->flinfo, cxt);
	fmgr_info_set_expr((Node *) call, &plan->flinfo);
	MemoryContextSwitchTo(old);

	ReleaseSysCache(tuple);
	return plan;
}

/*
 * The plan for this call: the one this call site used last, else the
 * backend's cached one, else a new one. A plan is never used by two calls at
 * once (a body that calls with_lock again with itself gets a fresh plan for
 * that call): fmgr_sql, for one, keeps per-call state in fn_extra.
 */
BodyPlan *
plan_for(FunctionCallInfo outer, Oid fn, int first_arg, int nargs, const char *func)
{
	FmgrInfo   *site = outer->flinfo;
	SitePlan   *last = static_cast<SitePlan *>(site->fn_extra);
	uint64		epoch = plan_cache_epoch();
	PlanKey		key;
	BodyPlan   *cached;
	BodyPlan   *plan;

	free_failed_plans();
	if (last != NULL && last->epoch == epoch && last->plan->fn == fn && last->plan->in_use == 0)
		return last->plan;

	key = plan_key(outer, fn, first_arg, nargs, func);
	cached = cached_plan(key);
	if (cached != NULL && cached->in_use == 0)
		plan = cached;
	else
	{
		/* Under the current context until cached: an error frees it. */
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "pglocks body plan",
												  ALLOCSET_SMALL_SIZES);

		plan = build_plan(key, func, cxt);
		/*
		 * In use by an outer call, or pg_proc changed while checking: this
		 * call only, freed when it ends (a recursive body would otherwise
		 * pile up one plan per level until the statement ends).
		 */
		if (cached != NULL || plan_cache_epoch() != epoch)
		{
			plan->retired = true;
			return plan;
		}
		cache_plan(key, plan);
	}

	if (last == NULL)
	{
		last = static_cast<SitePlan *>(MemoryContextAlloc(site->fn_mcxt, sizeof(SitePlan)));
		site->fn_extra = last;
	}
	last->plan = plan;
	last->epoch = plan_cache_epoch();
	return plan;
}

} // namespace

BodyPlan *
choose_body(FunctionCallInfo outer, Oid fn, int first_arg, const char *func)
{
	BodyPlan   *plan;

	check_stack_depth();		/* bodies may call with_lock again */
	plan = plan_for(outer, fn, first_arg, outer->nargs - first_arg, func);

	/* Checked on every call: the user and their roles may change. */
	if (pglocks_proc_aclcheck(fn, GetUserId()) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, get_func_name(fn));
	InvokeFunctionExecuteHook(fn);

	plan->in_use++;
	return plan;
}

FunctionCallInfo
bind_body(BodyPlan *plan, FunctionCallInfo outer, int first_arg)
{
	FunctionCallInfo fcinfo;

	fcinfo = static_cast<FunctionCallInfo>(palloc(SizeForFunctionCallInfo(plan->nargs)));
	InitFunctionCallInfoData(*fcinfo, &plan->flinfo, plan->nargs, plan->collation, NULL, NULL);
	eval_body_args(plan->args, plan->nargs, outer, first_arg, fcinfo->args);
	for (int i = 0; plan->strict && i < plan->nargs; i++)
	{
		if (fcinfo->args[i].isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d for %s is null, but the function is strict",
							i + 1, format_procedure(plan->fn)),
					 errhint("Pass a value, or declare the function CALLED ON NULL INPUT.")));
	}
	return fcinfo;
}

void
call_body(FunctionCallInfo fcinfo)
{
	PgStat_FunctionCallUsage usage;

	/* Counted in pg_stat_user_functions, as the executor counts a direct call. */
	pgstat_init_function_usage(fcinfo, &usage);
	(void) FunctionCallInvoke(fcinfo);
	pgstat_end_function_usage(&usage, true);
}

void
body_done(BodyPlan *plan)
{
	plan->in_use--;
	plan_released(plan);
}

void
body_failed(BodyPlan *plan)
{
	plan_failed(plan);
}

} // namespace pglocks::pg
