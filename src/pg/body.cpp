#include "pg/body.hpp"

#include "pg/plan_cache.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_collate.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "pg/compat.h"
}

namespace pglocks::pg {

/*
 * What one call site (one FmgrInfo of with_lock, in its fn_extra) calls the
 * body through: its own copy of the plan, with its own FmgrInfos, which keep
 * state between calls in fn_extra (a SQL function its parsed and planned
 * queries, for instance). The executor gives a direct call an FmgrInfo of its
 * own per query in the same way; sharing one across call sites would share
 * that state across roles, search_paths and collations.
 */
struct BodySite {
	bool		built;
	MemoryContext cxt;			/* what a rebuild reuses; the first build is in fn_mcxt */
	uint64		epoch;			/* the plan cache's when it was built */
	bool		failed;			/* its last call raised: build it again */
	Oid			fn;
	bool		strict;
	Oid			collation;		/* the body's input collation */
	int			nargs;
	BodyArg    *args;
	FmgrInfo	flinfo;
};

namespace {

/* The body and the types of the arguments this call site passes it. */
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
	}
	return key;
}

bool
set_param_collation(Node *node, void *collations)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param))
	{
		((Param *) node)->paramcollid = static_cast<Oid *>(collations)[((Param *) node)->paramid];
		return false;
	}
	return pglocks_expression_tree_walker(node, set_param_collation, collations);
}

/*
 * Give `call` (a call site's copy of a plan's) the collations this call
 * site passes, as the parser would: the plan was built with each type's
 * default collation. A collation only reaches the body as an implicit one
 * here, since the planner keeps no trace of COLLATE; but with_lock's own
 * input collation, merged by the parser with explicit COLLATEs taken into
 * account, shows when one of them won: it is then the collation of an
 * argument passed to the body as it is (on the key, it is not the body's).
 */
Oid
assign_site_collations(FuncExpr *call, const BodyPlan *plan, FunctionCallInfo outer,
					   int first_arg)
{
	Node	   *site_call = outer->flinfo->fn_expr;
	Oid			collations[FUNC_MAX_ARGS];
	bool		as_planned = true;

	for (int i = 0; i < outer->nargs - first_arg; i++)
	{
		Oid			planned = get_typcollation(get_fn_expr_argtype(outer->flinfo, first_arg + i));

		collations[i] = site_call != NULL && IsA(site_call, FuncExpr)
			? exprCollation(static_cast<Node *>(list_nth(((FuncExpr *) site_call)->args,
														  first_arg + i)))
			: planned;
		as_planned &= collations[i] == planned;
	}
	if (!as_planned)
	{
		(void) set_param_collation((Node *) call, collations);
		assign_expr_collations(NULL, (Node *) call);
	}
	if (OidIsValid(outer->fncollation) && outer->fncollation != call->inputcollid)
	{
		for (int i = 0; i < plan->nargs; i++)
		{
			if (plan->args[i].given >= 0 && plan->args[i].input == NULL &&
				collations[plan->args[i].given] == outer->fncollation)
				return outer->fncollation;
		}
	}
	return call->inputcollid;
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
	plan = static_cast<BodyPlan *>(palloc0(sizeof(BodyPlan)));
	plan->cxt = cxt;
	plan->fn = fn;
	plan->strict = proc->proisstrict;
	plan->call = body_call_expr(proc, fn, key.given, key.nargs, func);
	plan->nargs = list_length(plan->call->args);
	plan->args = static_cast<BodyArg *>(palloc(plan->nargs * sizeof(BodyArg)));
	foreach(lc, plan->call->args)
		plan->args[i++] = body_arg(static_cast<Expr *>(lfirst(lc)));
	fmgr_info(fn, &plan->flinfo);
	MemoryContextSwitchTo(old);

	ReleaseSysCache(tuple);
	return plan;
}

/*
 * Copy `plan` into `site`, as this call site's own. The first build lives as
 * long as the site's FmgrInfo (a query, or a PL/pgSQL expression's
 * transaction); a rebuild, rare, goes to a memory context of its own, reset
 * by the next one.
 */
void
build_site(BodySite *site, const BodyPlan *plan, FunctionCallInfo outer, int first_arg,
		   uint64 epoch)
{
	MemoryContext cxt = outer->flinfo->fn_mcxt;
	MemoryContext old;
	FuncExpr   *call;

	if (site->built)
	{
		if (site->cxt == NULL)
			site->cxt = AllocSetContextCreate(cxt, "pglocks body call", ALLOCSET_SMALL_SIZES);
		else
			MemoryContextReset(site->cxt);
		cxt = site->cxt;
	}
	old = MemoryContextSwitchTo(cxt);
	call = static_cast<FuncExpr *>(copyObjectImpl(plan->call));
	site->fn = plan->fn;
	site->strict = plan->strict;
	site->collation = assign_site_collations(call, plan, outer, first_arg);
	call->inputcollid = site->collation;
	site->nargs = plan->nargs;
	site->args = static_cast<BodyArg *>(palloc(plan->nargs * sizeof(BodyArg)));
	for (int i = 0; i < plan->nargs; i++)
	{
		site->args[i] = plan->args[i];
		/* the copy's own node: a conversion with this site's collations */
		site->args[i].expr = static_cast<Expr *>(list_nth(call->args, i));
		if (plan->args[i].input != NULL)
		{
			site->args[i].input = static_cast<FmgrInfo *>(palloc(sizeof(FmgrInfo)));
			fmgr_info_copy(site->args[i].input, plan->args[i].input, cxt);
		}
	}
	fmgr_info_copy(&site->flinfo, const_cast<FmgrInfo *>(&plan->flinfo), cxt);
	fmgr_info_set_expr((Node *) call, &site->flinfo);
	MemoryContextSwitchTo(old);

	site->built = true;
	site->epoch = epoch;
	site->failed = false;
}

/*
 * The call site's state for calling `fn`: as it was for its last call, if
 * that was to the same body, returned, and no catalog change came since;
 * else built again from the plan cache (and the plan built and cached if
 * need be).
 */
BodySite *
site_for(FunctionCallInfo outer, Oid fn, int first_arg, const char *func)
{
	BodySite   *site = static_cast<BodySite *>(outer->flinfo->fn_extra);
	uint64		epoch = plan_cache_epoch();
	PlanKey		key;
	BodyPlan   *plan;

	if (site == NULL)
	{
		site = static_cast<BodySite *>(MemoryContextAllocZero(outer->flinfo->fn_mcxt,
															  sizeof(BodySite)));
		outer->flinfo->fn_extra = site;
	}
	if (site->built && !site->failed && site->fn == fn && site->epoch == epoch)
		return site;

	/*
	 * Built again: the site's last call is over, and if it raised, the error
	 * has been cleaned up, so nothing refers to its state any more.
	 */
	key = plan_key(outer, fn, first_arg, outer->nargs - first_arg, func);
	plan = cached_plan(key);
	if (plan != NULL)
	{
		build_site(site, plan, outer, first_arg, epoch);
		return site;
	}

	/* Under the current context until cached: an error frees it. */
	plan = build_plan(key, func, AllocSetContextCreate(CurrentMemoryContext, "pglocks body plan",
													   ALLOCSET_SMALL_SIZES));
	build_site(site, plan, outer, first_arg, epoch);
	/* A catalog change while checking: good for this call only. */
	if (plan_cache_epoch() == epoch)
		cache_plan(key, plan);
	else
		MemoryContextDelete(plan->cxt);
	return site;
}

} // namespace

BodySite *
choose_body(FunctionCallInfo outer, Oid fn, int first_arg, const char *func)
{
	BodySite   *site;

	check_stack_depth();		/* bodies may call with_lock again */
	site = site_for(outer, fn, first_arg, func);

	/* Checked on every call: the user and their roles may change. */
	if (pglocks_proc_aclcheck(fn, GetUserId()) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, get_func_name(fn));
	InvokeFunctionExecuteHook(fn);
	return site;
}

FunctionCallInfo
bind_body(BodySite *site, FunctionCallInfo outer, int first_arg)
{
	FunctionCallInfo fcinfo;

	fcinfo = static_cast<FunctionCallInfo>(palloc(SizeForFunctionCallInfo(site->nargs)));
	InitFunctionCallInfoData(*fcinfo, &site->flinfo, site->nargs, site->collation, NULL, NULL);
	eval_body_args(site->args, site->nargs, outer, first_arg, fcinfo->args);
	for (int i = 0; site->strict && i < site->nargs; i++)
	{
		if (fcinfo->args[i].isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d for %s is null, but the function is strict",
							i + 1, format_procedure(site->fn)),
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
body_failed(BodySite *site)
{
	site->failed = true;
}

} // namespace pglocks::pg
