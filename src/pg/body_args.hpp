/*
 * The body's arguments, resolved and coerced exactly as in a direct call
 * fn(arg, ...): the parser's own rules (polymorphic resolution, implicit
 * casts, domains, unknown literals, variadic arrays) build the call once per
 * plan, and each call evaluates only the arguments that need converting.
 */
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "catalog/pg_proc.h"
#include "nodes/primnodes.h"
}

namespace pglocks::pg {

/* Where one argument of the body comes from. */
struct BodyArg {
	int			given;		/* >= 0: the given argument with this index... */
	FmgrInfo   *input;		/* ...as it is, or if set, an untyped literal read with this */
	Oid			ioparam;
	Expr	   *expr;		/* given < 0: this expression over the given arguments */
};

/*
 * The call of `proc` with arguments of the `given` types, as the parser
 * would build it: a FuncExpr whose arguments are expressions over PARAM_EXEC
 * params 0..ngiven-1, which stand for the given values. Every argument that
 * does not fit is an ERROR raised here, naming `func` (the pglocks function
 * that was called).
 */
FuncExpr   *body_call_expr(Form_pg_proc proc, Oid fn, const Oid *given, int ngiven,
						   const char *func);

/*
 * How to compute argument `expr` of a call built by body_call_expr(); an
 * input function's FmgrInfo is allocated in the current memory context, and
 * is only ever copied (fmgr_info_copy), never called through.
 */
BodyArg		body_arg(Expr *expr);

/*
 * The body's arguments for one call, into `args`, from the given values
 * (outer arguments first_given..), through a call site's copy of the plan's
 * BodyArgs, with FmgrInfos of its own. Evaluates the expressions
 * among them; their errors (a failed cast, a domain's CHECK) are raised here.
 */
void		eval_body_args(const BodyArg *site_args, int nargs, FunctionCallInfo outer,
						   int first_given, NullableDatum *args);

} // namespace pglocks::pg
