#include "pg/body_args.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
}

namespace pglocks::pg {
namespace {

/* Given argument i, of type `type`, inside the call expression. */
Node *
given_param(int i, Oid type)
{
	Param	   *param = makeNode(Param);

	param->paramkind = PARAM_EXEC;
	param->paramid = i;
	param->paramtype = type;
	param->paramtypmod = -1;
	param->paramcollid = get_typcollation(type);
	param->location = -1;
	return (Node *) param;
}

/*
 * An untyped literal ('2024-01-01') read with the input function of the type
 * its parameter resolved to, as the parser reads a string constant.
 * coerce_type() handles only constants that way, and these are parameters.
 */
Node *
read_literal(Node *param, Oid type)
{
	CoerceViaIO *read = makeNode(CoerceViaIO);

	read->arg = (Expr *) param;
	read->resulttype = type;
	read->resultcollid = get_typcollation(type);
	read->coerceformat = COERCE_IMPLICIT_CAST;
	read->location = -1;
	return (Node *) read;
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
 * Resolve `declared` (the parameter type of each given argument) as the
 * parser does: polymorphic types become actual ones, and every argument must
 * convert to its parameter's type by an implicit cast. Returns the result
 * type; on a mismatch, raises an error when `report`, else returns
 * InvalidOid.
 */
Oid
resolve(Form_pg_proc proc, Oid fn, const Oid *given, Oid *declared, int n, const char *func,
		bool report)
{
	Oid			rettype = proc->prorettype;
	bool		polymorphic = IsPolymorphicType(rettype);

	for (int i = 0; i < n; i++)
		polymorphic |= IsPolymorphicType(declared[i]);
	if (polymorphic)
	{
		if (!check_generic_type_consistency(given, declared, n))
		{
			if (!report)
				return InvalidOid;
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the arguments passed to %s do not fit the polymorphic parameters of %s",
							func, format_procedure(fn)),
					 errhint("Cast the arguments so that they resolve to one type.")));
		}
		/* Replaces each polymorphic type in `declared` with the actual one. */
		rettype = enforce_generic_type_consistency(given, declared, n, rettype, false);
	}
	for (int i = 0; i < n; i++)
	{
		/* The parser converts only a ROW() it can see to a composite type. */
		if (given[i] == RECORDOID && declared[i] != RECORDOID && type_is_rowtype(declared[i]))
		{
			if (!report)
				return InvalidOid;
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("argument %d for %s is an anonymous record, but the function expects %s",
							i + 1, format_procedure(fn), format_type_be(declared[i])),
					 errhint("Cast the record to %s, for example ROW(...)::%s.",
							 format_type_be(declared[i]), format_type_be(declared[i]))));
		}
		if (declared[i] == ANYOID ||
			can_coerce_type(1, &given[i], &declared[i], COERCION_IMPLICIT))
			continue;
		if (!report)
			return InvalidOid;
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("argument %d for %s has type %s, but the function expects %s",
						i + 1, format_procedure(fn), format_type_be(given[i]),
						format_type_be(declared[i])),
				 errhint("Cast the argument to %s.", format_type_be(declared[i]))));
	}
	return rettype;
}

/* The given arguments fill the variadic array one by one (f(1, 2, 3)). */
void
declare_spread(Form_pg_proc proc, Oid *declared, int ngiven)
{
	for (int i = proc->pronargs - 1; i < ngiven; i++)
		declared[i] = proc->provariadic;
}

/* The last given argument is the variadic array itself. */
void
declare_as_declared(Form_pg_proc proc, Oid *declared)
{
	declared[proc->pronargs - 1] = proc->proargtypes.values[proc->pronargs - 1];
}

/* The last `count` arguments, in one array (as ParseFuncOrColumn does). */
List *
pack_variadic(List *args, int count)
{
	int			fixed = list_length(args) - count;
	ArrayExpr  *array = makeNode(ArrayExpr);

	array->elements = list_copy_tail(args, fixed);
	array->element_typeid = exprType((Node *) linitial(array->elements));
	array->array_typeid = get_array_type(array->element_typeid);
	if (!OidIsValid(array->array_typeid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("could not find array type for data type %s",
						format_type_be(array->element_typeid))));
	array->multidims = false;
	array->location = -1;
	return lappend(list_truncate(args, fixed), array);
}

/* The given values, as the PARAM_EXEC params of the call's expressions. */
ExprContext *
given_values(FunctionCallInfo outer, int first_given)
{
	ExprContext *econtext = CreateStandaloneExprContext();
	int			n = outer->nargs - first_given;
	ParamExecData *params = static_cast<ParamExecData *>(palloc0(n * sizeof(ParamExecData)));

	for (int i = 0; i < n; i++)
	{
		params[i].value = outer->args[first_given + i].value;
		params[i].isnull = outer->args[first_given + i].isnull;
	}
	econtext->ecxt_param_exec_vals = params;
	return econtext;
}

} // namespace

FuncExpr *
body_call_expr(Form_pg_proc proc, Oid fn, const Oid *given, int ngiven, const char *func)
{
	Oid			variadic = proc->provariadic;
	bool		spread = false; /* the variadic array is built from the arguments */
	Oid			declared[FUNC_MAX_ARGS];
	Oid			actual[FUNC_MAX_ARGS];
	Oid			rettype;
	List	   *args = NIL;
	FuncExpr   *call;

	/* A variadic parameter takes at least one argument, as in a direct call. */
	if (OidIsValid(variadic) ? ngiven < proc->pronargs : ngiven != proc->pronargs)
		report_arg_count(proc, fn, ngiven, func, OidIsValid(variadic));
	for (int i = 0; i < proc->pronargs; i++)
		if (proc->proargtypes.values[i] == INTERNALOID)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s takes an argument of type internal and cannot be called from SQL",
							format_procedure(fn))));

	memcpy(declared, proc->proargtypes.values, proc->pronargs * sizeof(Oid));
	if (variadic == ANYOID)
		declare_spread(proc, declared, ngiven);
	else if (OidIsValid(variadic))
	{
		/*
		 * As in a direct call, the arguments fill the variadic array one by
		 * one. with_lock cannot pass on a VARIADIC marker, so a single array
		 * that does not fit that way is taken as the variadic array itself.
		 */
		Oid			spread_types[FUNC_MAX_ARGS];

		memcpy(spread_types, declared, proc->pronargs * sizeof(Oid));
		declare_spread(proc, spread_types, ngiven);
		spread = ngiven > proc->pronargs ||
			OidIsValid(resolve(proc, fn, given, spread_types, ngiven, func, false)) ||
			!type_is_array_domain(given[ngiven - 1]);
		if (spread)
			memcpy(declared, spread_types, ngiven * sizeof(Oid));
		else
			declare_as_declared(proc, declared);
	}
	rettype = resolve(proc, fn, given, declared, ngiven, func, true);

	for (int i = 0; i < ngiven; i++)
	{
		Node	   *arg = given_param(i, given[i]);

		actual[i] = given[i];
		/*
		 * An "any" parameter gets an untyped literal as text: a direct call
		 * passes it as an unknown constant, which functions such as
		 * jsonb_build_array() then read as text (they refuse an unknown
		 * value that is not a constant).
		 */
		if (given[i] == UNKNOWNOID)
		{
			actual[i] = declared[i] == ANYOID ? TEXTOID : declared[i];
			arg = read_literal(arg, actual[i]);
		}
		args = lappend(args, arg);
	}
	make_fn_arguments(NULL, args, actual, declared);
	if (spread)
		args = pack_variadic(args, ngiven - (proc->pronargs - 1));

	call = makeFuncExpr(fn, rettype, args, InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	call->funcvariadic = OidIsValid(variadic) && variadic != ANYOID;
	/* The call's input collation is the call site's (see body.cpp). */
	assign_expr_collations(NULL, (Node *) call);
	return call;
}

BodyArg
body_arg(Expr *expr)
{
	Node	   *node = (Node *) expr;
	BodyArg		arg = {-1, NULL, InvalidOid, expr};

	/* A binary-compatible type: the same Datum. */
	while (IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	if (IsA(node, Param))
		arg.given = ((Param *) node)->paramid;
	else if (IsA(node, CoerceViaIO) && IsA(((CoerceViaIO *) node)->arg, Param) &&
			 exprType((Node *) ((CoerceViaIO *) node)->arg) == UNKNOWNOID)
	{
		/*
		 * What CoerceViaIO does for an unknown value, whose Datum is its
		 * text, without setting up an expression for it on every call.
		 */
		Oid			input;

		arg.given = ((Param *) ((CoerceViaIO *) node)->arg)->paramid;
		getTypeInputInfo(((CoerceViaIO *) node)->resulttype, &input, &arg.ioparam);
		arg.input = static_cast<FmgrInfo *>(palloc(sizeof(FmgrInfo)));
		fmgr_info(input, arg.input);
	}
	return arg;
}

void
eval_body_args(const BodyArg *site_args, int nargs, FunctionCallInfo outer, int first_given,
			   NullableDatum *args)
{
	ExprContext *econtext = NULL;

	for (int i = 0; i < nargs; i++)
	{
		const BodyArg *arg = &site_args[i];

		if (arg->given >= 0)
		{
			args[i] = outer->args[first_given + arg->given];
			if (arg->input != NULL)
				args[i].value = InputFunctionCall(arg->input,
												  args[i].isnull ? NULL : DatumGetCString(args[i].value),
												  arg->ioparam, -1);
			continue;
		}
		/*
		 * Initialized for each call, as the executor does for each query:
		 * EXECUTE on a cast's function and a domain's constraints are checked
		 * as they are now.
		 */
		if (econtext == NULL)
			econtext = given_values(outer, first_given);
		args[i].value = ExecEvalExpr(ExecInitExpr(arg->expr, NULL), econtext, &args[i].isnull);
	}
	if (econtext != NULL)
		FreeExprContext(econtext, true);
}

} // namespace pglocks::pg
