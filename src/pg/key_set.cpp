#include "pg/key_set.hpp"

#include "core/key_set.hpp"
#include "pg/args.hpp"
#include "pg/core_call.hpp"
#include "pg/deadline.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

namespace pglocks::pg {
namespace {

/* Give back, in reverse order, the first `count` locks' session or transaction holds. */
void
give_back(const KeySet &keys, int count, Scope scope)
{
	for (int i = count - 1; i >= 0; i--)
	{
		if (scope == Scope::Session)
			release_session_hold(keys.locks[i]);
		else
			LockRelease(&keys.locks[i].tag, keys.locks[i].mode, false);
	}
}

} // namespace

KeySet
key_set_arg(FunctionCallInfo fcinfo, int argno, bool shared, const char *func)
{
	KeySet		keys;
	ArrayType  *array;
	bool	   *nulls;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int64	   *ids;

	require(fcinfo, argno, KEYS, func);
	array = PG_GETARG_ARRAYTYPE_P(argno);
	keys.type = ARR_ELEMTYPE(array);
	Assert(keys.type == TEXTOID || keys.type == INT8OID); /* the SQL signatures */
	get_typlenbyvalalign(keys.type, &typlen, &typbyval, &typalign);
	deconstruct_array(array, keys.type, typlen, typbyval, typalign, &keys.given, &nulls, &keys.n);
	if (keys.n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"keys\" of %s must not be empty", func),
				 errhint("Pass an array of one or more keys.")));

	ids = static_cast<int64 *>(palloc(keys.n * sizeof(int64)));
	for (int i = 0; i < keys.n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument \"keys\" of %s must not contain NULL", func),
					 errhint("%s", KEYS.hint)));
		ids[i] = keys.type == TEXTOID ? text_key_id(DatumGetTextPP(keys.given[i]))
									  : DatumGetInt64(keys.given[i]);
	}
	keys.origin = static_cast<int *>(palloc(keys.n * sizeof(int)));
	{
		int			n = keys.n;
		int		   *origin = keys.origin;

		keys.n = (int) call_core([&] { return core::order_keys(ids, origin, (size_t) n); });
	}
	keys.locks = static_cast<AdvisoryLock *>(palloc(keys.n * sizeof(AdvisoryLock)));
	for (int i = 0; i < keys.n; i++)
		keys.locks[i] = advisory_lock(core::bigint_key(ids[i]), shared);
	return keys;
}

const char *
key_set_display(const KeySet &keys, int i)
{
	Datum		given = keys.given[keys.origin[i]];

	return keys.type == TEXTOID ? quoted_text_key(DatumGetTextPP(given))
								: psprintf(INT64_FORMAT, DatumGetInt64(given));
}

int
acquire_set(const KeySet &keys, Scope scope, core::WaitPolicy policy)
{
	Deadline	deadline(policy);
	volatile int taken = 0;

	PG_TRY();
	{
		while (taken < keys.n)
		{
			if (!acquire(keys.locks[taken], scope, deadline.left()))
				break;
			taken = taken + 1;
		}
	}
	PG_CATCH();
	{
		/* A transaction's locks go with the (sub)transaction the error aborts. */
		if (scope == Scope::Session)
			give_back(keys, taken, scope);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (taken == keys.n)
		return -1;
	give_back(keys, taken, scope);
	return taken;
}

bool
release_set(const KeySet &keys)
{
	bool		all = true;

	for (int i = 0; i < keys.n; i++)
		all = release(keys.locks[i]) && all;
	return all;
}

void
release_set_holds(const KeySet &keys)
{
	give_back(keys, keys.n, Scope::Session);
}

} // namespace pglocks::pg
