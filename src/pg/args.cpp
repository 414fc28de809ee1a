#include "pg/args.hpp"

#include "core/key_hash.hpp"
#include "pg/core_call.hpp"

extern "C" {
#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "utils/timestamp.h"

#include "pg/compat.h"
}

namespace pglocks::pg {

const ArgName SHARED = {"shared", "Pass true for a shared lock or false for an exclusive one."};
const ArgName WAIT = {"wait", "Pass true to wait for the lock or false to return at once."};
const ArgName FN = {"fn", "Pass the function to run, for example 'my_function()'."};
const ArgName SLOTS = {"slots", "Pass how many sessions may hold the semaphore at once."};
const ArgName SLOT = {"slot", "Pass the slot number that acquire_slot returned."};
const ArgName KEYS = {"keys", "Pass an array of one or more keys, for example ARRAY['a', 'b'] or ARRAY[1, 2]::bigint[]."};

namespace {

const ArgName KEY = {"key", "Pass a key: text, bigint, or a pair of integers."};
const ArgName KEY1 = {"key1", "Pass two integers, or use the text or bigint form of the key."};
const ArgName KEY2 = {"key2", "Pass two integers, or use the text or bigint form of the key."};
const ArgName ON_BUSY = {"on_busy", "Pass 'error' to raise an error when the lock is busy, or 'false' to get false."};

/* The key's bytes in UTF-8: as stored in a UTF-8 or SQL_ASCII database. */
template <typename Hash>
int64
hash_text_key(const text *key, Hash hash)
{
	const char *data = VARDATA_ANY(key);
	size_t		len = VARSIZE_ANY_EXHDR(key);
	int			encoding = GetDatabaseEncoding();

	if (encoding != PG_UTF8 && encoding != PG_SQL_ASCII)
	{
		const char *utf8 = pg_server_to_any(data, (int) len, PG_UTF8);

		if (utf8 != data)
			len = strlen(utf8);
		data = utf8;
	}
	return call_core([&] { return hash(data, len); });
}

} // namespace

void
require(FunctionCallInfo fcinfo, int argno, const ArgName &arg, const char *func)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" of %s must not be null", arg.name, func),
				 errhint("%s", arg.hint)));
}

int64
key_id_arg(FunctionCallInfo fcinfo, KeyForm form, const char *func)
{
	Assert(form != KeyForm::Pair);
	require(fcinfo, 0, KEY, func);
	return form == KeyForm::Text ? text_key_id(PG_GETARG_TEXT_PP(0)) : PG_GETARG_INT64(0);
}

core::LockKey
key_arg(FunctionCallInfo fcinfo, KeyForm form, const char *func)
{
	switch (form)
	{
		case KeyForm::Text:
		case KeyForm::Bigint:
			return core::bigint_key(key_id_arg(fcinfo, form, func));
		case KeyForm::Pair:
			require(fcinfo, 0, KEY1, func);
			require(fcinfo, 1, KEY2, func);
			return core::pair_key(PG_GETARG_INT32(0), PG_GETARG_INT32(1));
	}
	pg_unreachable();
}

const char *
quoted_text_key(const text *key)
{
	const char *data = VARDATA_ANY(key);
	int			len = VARSIZE_ANY_EXHDR(key);
	int			shown = len > 200 ? pg_mbcliplen(data, len, 200) : len;

	return psprintf("\"%.*s%s\"", shown, data, shown < len ? "..." : "");
}

const char *
key_display(FunctionCallInfo fcinfo, KeyForm form)
{
	switch (form)
	{
		case KeyForm::Text:
			return quoted_text_key(PG_GETARG_TEXT_PP(0));
		case KeyForm::Bigint:
			return psprintf(INT64_FORMAT, PG_GETARG_INT64(0));
		case KeyForm::Pair:
			return psprintf("(%d, %d)", PG_GETARG_INT32(0), PG_GETARG_INT32(1));
	}
	pg_unreachable();
}

bool
bool_arg(FunctionCallInfo fcinfo, int argno, const ArgName &arg, const char *func)
{
	require(fcinfo, argno, arg, func);
	return PG_GETARG_BOOL(argno);
}

int32
int_arg(FunctionCallInfo fcinfo, int argno, const ArgName &arg, const char *func)
{
	require(fcinfo, argno, arg, func);
	return PG_GETARG_INT32(argno);
}

Oid
oid_arg(FunctionCallInfo fcinfo, int argno, const ArgName &arg, const char *func)
{
	require(fcinfo, argno, arg, func);
	return PG_GETARG_OID(argno);
}

core::OnBusy
on_busy_arg(FunctionCallInfo fcinfo, int argno, const char *func)
{
	if (argno < 0 || argno >= PG_NARGS())
		return core::OnBusy::ReturnFalse;
	require(fcinfo, argno, ON_BUSY, func);

	/* read in place: no copy on every lock() call */
	const text *value = PG_GETARG_TEXT_PP(argno);
	std::string_view chars(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));

	return call_core([&] { return core::on_busy(chars); });
}

core::WaitPolicy
wait_policy_arg(FunctionCallInfo fcinfo, bool wait, int timeout_argno)
{
	std::optional<core::IntervalParts> timeout;

	if (timeout_argno >= 0 && !PG_ARGISNULL(timeout_argno))
	{
		const Interval *t = PG_GETARG_INTERVAL_P(timeout_argno);

		timeout = core::IntervalParts{t->month, t->day, t->time};
	}
	return call_core([&] { return core::wait_policy(wait, timeout); });
}

int64
text_key_id(const text *key)
{
	return hash_text_key(key, core::key_id);
}

int64
text_crc32_key_id(const text *key)
{
	return hash_text_key(key, core::crc32_key_id);
}

} // namespace pglocks::pg
