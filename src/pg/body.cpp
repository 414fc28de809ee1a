#include "pg/body.hpp"

#include "pg/plan_cache.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_coerce.h"
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

void
report_arg_count(Form_pg_proc proc, Oid fn, int nargs, const char *func, bool at_least)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_FUNCTION),
			 at_least ?
			 errmsg_plural("function %s takes at least %d argument",
						   "function %s takes at least %d arguments",
						   proc->pronargs, format_procedure(fn), proc->pronargs) :
			 errmsg_plural("function %s takes %d argument",
						   "function %s takes %d arguments",
						   proc->pronargs, format_procedure(fn), proc->pronargs),
			 errdetail_plural("%s passed %d argument after fn.",
							  "%s passed %d arguments after fn.",
							  nargs, func, nargs),
			 errhint("Pass each of the function's arguments after fn; parameter defaults are not filled in.")));
}

/*
 * Check the arguments against the parameters. Fills `types` with the type of
 * each argument as the body sees it (as in a FuncExpr: the declared type, or
 * the actual one for polymorphic and "any" parameters; an unknown literal
 * takes its parameter's type) and returns the result type.
 */
Oid
check_args(Form_pg_proc proc, Oid fn, const Oid *given, int nargs, const char *func, Oid *types)
{
	bool		any_variadic = proc->provariadic == ANYOID;
	int			fixed = any_variadic ? proc->pronargs - 1 : proc->pronargs;
	Oid			declared[FUNC_MAX_ARGS];
	bool		polymorphic = IsPolymorphicType(proc->prorettype);
	Oid			rettype = proc->prorettype;

	if (any_variadic ? nargs < proc->pronargs : nargs != proc->pronargs)
		report_arg_count(proc, fn, nargs, func, any_variadic);

	memcpy(declared, proc->proargtypes.values, fixed * sizeof(Oid));
	for (int i = 0; i < fixed; i++)
	{
		if (declared[i] == INTERNALOID)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s takes an argument of type internal and cannot be called from SQL",
							format_procedure(fn))));
		if (IsPolymorphicType(declared[i]))
			polymorphic = true;
		else if (given[i] != UNKNOWNOID && declared[i] != ANYOID &&
				 !IsBinaryCoercible(given[i], declared[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("argument %d for %s has type %s, but the function expects %s",
							i + 1, format_procedure(fn), format_type_be(given[i]),
							format_type_be(declared[i])),
					 errhint("Cast the argument to %s.", format_type_be(declared[i]))));
	}
	if (polymorphic)
	{
		if (!check_generic_type_consistency(given, declared, fixed))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the arguments passed to %s do not fit the polymorphic parameters of %s",
							func, format_procedure(fn)),
					 errhint("Cast the arguments so that they resolve to one type.")));
		/* Also gives unknown literals of polymorphic parameters their type. */
		rettype = enforce_generic_type_consistency(given, declared, fixed, rettype, false);
	}

	for (int i = 0; i < nargs; i++)
	{
		if (i >= fixed)
			types[i] = given[i];
		else if (given[i] == UNKNOWNOID)
			types[i] = declared[i] == ANYOID ? UNKNOWNOID : declared[i];
		else if (declared[i] == ANYOID || IsPolymorphicType(declared[i]))
			types[i] = given[i];
		else
			types[i] = declared[i];
	}
	return rettype;
}

/*
 * The call as an expression, for bodies that ask fmgr about their arguments
 * (polymorphic and "any" parameters). PARAM_EXEC, not Const: the values
 * change from call to call at one call site.
 */
Node *
call_expr(Oid fn, Oid rettype, const Oid *types, int nargs, bool funcvariadic)
{
	List	   *args = NIL;
	FuncExpr   *expr;

	for (int i = 0; i < nargs; i++)
	{
		Param	   *param = makeNode(Param);

		param->paramkind = PARAM_EXEC;
		param->paramid = i;
		param->paramtype = types[i];
		param->paramtypmod = -1;
		param->paramcollid = InvalidOid;
		param->location = -1;
		args = lappend(args, param);
	}
	expr = makeFuncExpr(fn, rettype, args, InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	expr->funcvariadic = funcvariadic;
	return (Node *) expr;
}

/* Check the body against key; every failure is an ERROR raised here. */
BodyPlan *
build_plan(const PlanKey &key, const char *func, MemoryContext cxt)
{
	Oid			fn = key.fn;
	int			nargs = key.nargs;
	Oid			types[FUNC_MAX_ARGS];
	HeapTuple	tuple;
	Form_pg_proc proc;
	Oid			rettype;
	bool		funcvariadic;
	BodyPlan   *plan;
	MemoryContext old;

	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function with OID %u does not exist", fn),
				 errhint("Pass an existing function, for example 'my_function()'.")));
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	check_kind(proc, fn, func);
	rettype = check_args(proc, fn, key.given, nargs, func, types);
	funcvariadic = OidIsValid(proc->provariadic) && proc->provariadic != ANYOID;

	old = MemoryContextSwitchTo(cxt);
	plan = static_cast<BodyPlan *>(palloc0(sizeof(BodyPlan)));
	plan->cxt = cxt;
	plan->fn = fn;
	plan->strict = proc->proisstrict;
	plan->literals = static_cast<LiteralInput *>(palloc(nargs * sizeof(LiteralInput)));
	for (int i = 0; i < nargs; i++)
	{
		LiteralInput *literal = &plan->literals[plan->nliterals];
		Oid			typinput;

		if (key.given[i] != UNKNOWNOID || types[i] == UNKNOWNOID)
			continue;
		literal->argno = i;
		getTypeInputInfo(types[i], &typinput, &literal->ioparam);
		fmgr_info_cxt(typinput, &literal->input, cxt);
		plan->nliterals++;
	}
	fmgr_info_cxt(fn, &plan->flinfo, cxt);
	fmgr_info_set_expr(call_expr(fn, rettype, types, nargs, funcvariadic), &plan->flinfo);
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

void
end_call(BodyPlan *plan)
{
	plan->in_use--;
	plan_released(plan);
}

} // namespace

BodyCall
prepare_body(FunctionCallInfo outer, Oid fn, int first_arg, const char *func)
{
	int			nargs = outer->nargs - first_arg;
	BodyPlan   *plan;
	FunctionCallInfo fcinfo;

	check_stack_depth();		/* bodies may call with_lock again */
	plan = plan_for(outer, fn, first_arg, nargs, func);

	/* Checked on every call: the user and their roles may change. */
	if (pglocks_proc_aclcheck(fn, GetUserId()) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, get_func_name(fn));
	InvokeFunctionExecuteHook(fn);

	fcinfo = static_cast<FunctionCallInfo>(palloc(SizeForFunctionCallInfo(nargs)));
	InitFunctionCallInfoData(*fcinfo, &plan->flinfo, nargs, outer->fncollation, NULL, NULL);
	for (int i = 0; i < nargs; i++)
		fcinfo->args[i] = outer->args[first_arg + i];
	for (int i = 0; i < plan->nliterals; i++)
	{
		LiteralInput *literal = &plan->literals[i];
		NullableDatum *arg = &fcinfo->args[literal->argno];

		if (!arg->isnull)
			arg->value = InputFunctionCall(&literal->input, DatumGetCString(arg->value),
										   literal->ioparam, -1);
	}
	for (int i = 0; plan->strict && i < nargs; i++)
	{
		if (fcinfo->args[i].isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d for %s is null, but the function is strict",
							i + 1, format_procedure(fn)),
					 errhint("Pass a value, or declare the function CALLED ON NULL INPUT.")));
	}
	return {plan, fcinfo};
}

void
call_body(const BodyCall &call)
{
	BodyPlan   *plan = call.plan;

	/* PG_CATCH rather than PG_FINALLY: GCC's -Wclobbered misfires on the latter here. */
	plan->in_use++;
	PG_TRY();
	{
		(void) FunctionCallInvoke(call.fcinfo);
	}
	PG_CATCH();
	{
		end_call(plan);
		PG_RE_THROW();
	}
	PG_END_TRY();
	end_call(plan);
}

} // namespace pglocks::pg
