/*
 * The SQL-callable functions: extern "C" shims that decode arguments, call
 * src/pg (and through it src/core) and return Datums. They hold no object
 * with a destructor (README, Hacking).
 */
#include "pg/advisory.hpp"
#include "pg/args.hpp"
#include "pg/plan_cache.hpp"
#include "pg/with_lock.hpp"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace {

using namespace pglocks;
using pg::KeyForm;
using pg::Scope;

/* (key, shared, wait, timeout): lock and xact_lock */
Datum
lock_fn(FunctionCallInfo fcinfo, KeyForm form, Scope scope, const char *func)
{
	int			k = pg::key_nargs(form);
	core::LockKey key = pg::key_arg(fcinfo, form, func);
	bool		shared = pg::bool_arg(fcinfo, k, pg::SHARED, func);
	bool		wait = pg::bool_arg(fcinfo, k + 1, pg::WAIT, func);
	core::WaitPolicy policy = pg::wait_policy_arg(fcinfo, wait, k + 2);

	PG_RETURN_BOOL(pg::acquire(pg::advisory_lock(key, shared), scope, policy));
}

/* (key, shared): the lock these arguments name */
pg::AdvisoryLock
lock_in_args(FunctionCallInfo fcinfo, KeyForm form, const char *func)
{
	core::LockKey key = pg::key_arg(fcinfo, form, func);

	return pg::advisory_lock(key, pg::bool_arg(fcinfo, pg::key_nargs(form), pg::SHARED, func));
}

Datum
unlock_fn(FunctionCallInfo fcinfo, KeyForm form, const char *func)
{
	PG_RETURN_BOOL(pg::release(lock_in_args(fcinfo, form, func)));
}

Datum
is_held_fn(FunctionCallInfo fcinfo, KeyForm form, const char *func)
{
	PG_RETURN_BOOL(pg::is_held(lock_in_args(fcinfo, form, func)));
}

/* (key, shared, wait, fn, VARIADIC args): with_lock and with_xact_lock */
Datum
with_lock_fn(FunctionCallInfo fcinfo, KeyForm form, Scope scope, const char *func)
{
	int			k = pg::key_nargs(form);
	core::LockKey key = pg::key_arg(fcinfo, form, func);
	bool		shared = pg::bool_arg(fcinfo, k, pg::SHARED, func);
	bool		wait = pg::bool_arg(fcinfo, k + 1, pg::WAIT, func);
	Oid			fn = pg::oid_arg(fcinfo, k + 2, pg::FN, func);
	core::WaitPolicy policy = pg::wait_policy_arg(fcinfo, wait, -1);

	PG_RETURN_BOOL(pg::run_under_lock(pg::advisory_lock(key, shared), scope, policy, fcinfo, fn,
									  k + 3, func));
}

/* (key, fn, shared, wait, timeout): the named-parameter form */
Datum
with_lock_named_fn(FunctionCallInfo fcinfo, KeyForm form, Scope scope, const char *func)
{
	int			k = pg::key_nargs(form);
	core::LockKey key = pg::key_arg(fcinfo, form, func);
	Oid			fn = pg::oid_arg(fcinfo, k, pg::FN, func);
	bool		shared = pg::bool_arg(fcinfo, k + 1, pg::SHARED, func);
	bool		wait = pg::bool_arg(fcinfo, k + 2, pg::WAIT, func);
	core::WaitPolicy policy = pg::wait_policy_arg(fcinfo, wait, k + 3);

	PG_RETURN_BOOL(pg::run_under_lock(pg::advisory_lock(key, shared), scope, policy, fcinfo, fn,
									  k + 4, func));
}

/*
 * A text-key function of pglocks 1.x, whose ids 2.0 no longer computes: a
 * database whose catalog is still 1.x gets an error, never a lock on an id
 * other than the one it used to take.
 */
Datum
retired_text_function(const char *func)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("%s: this database's pglocks is version 1.x, but the installed library is 2.0", func),
			 errdetail("pglocks 2.0 turns text keys into different lock ids (CHANGELOG, 2.0.0), so the "
					   "text-key functions of 1.x no longer run."),
			 errhint("Run ALTER EXTENSION pglocks UPDATE, after draining every user of text-key locks.")));
	pg_unreachable();
}

} // namespace

#define PGLOCKS_FUNCTION(symbol, call) \
	PG_FUNCTION_INFO_V1(symbol); \
	Datum symbol(PG_FUNCTION_ARGS) { return call; }

/*
 * One C function per key form: pglocks_<name>_text2 (text keys, hashed by
 * 2.0's rule), _bigint and _pair.
 */
#define PGLOCKS_KEYED_FUNCTIONS(name, impl, ...) \
	PGLOCKS_FUNCTION(pglocks_##name##_text2, impl(fcinfo, KeyForm::Text, __VA_ARGS__)) \
	PGLOCKS_FUNCTION(pglocks_##name##_bigint, impl(fcinfo, KeyForm::Bigint, __VA_ARGS__)) \
	PGLOCKS_FUNCTION(pglocks_##name##_pair, impl(fcinfo, KeyForm::Pair, __VA_ARGS__))

/* 1.x's text-key symbol of a function, kept so that a 1.x catalog still loads */
#define PGLOCKS_RETIRED(symbol, func) PGLOCKS_FUNCTION(symbol, retired_text_function(func))

extern "C" {

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	pg::watch_catalogs();
}

PGLOCKS_FUNCTION(pglocks_key_id2, Int64GetDatum(pg::text_key_id(PG_GETARG_TEXT_PP(0))))
PGLOCKS_FUNCTION(pglocks_crc32_key_id, Int64GetDatum(pg::text_crc32_key_id(PG_GETARG_TEXT_PP(0))))

PGLOCKS_KEYED_FUNCTIONS(lock, lock_fn, Scope::Session, "pglocks.lock")
PGLOCKS_KEYED_FUNCTIONS(xact_lock, lock_fn, Scope::Transaction, "pglocks.xact_lock")
PGLOCKS_KEYED_FUNCTIONS(unlock, unlock_fn, "pglocks.unlock")
PGLOCKS_KEYED_FUNCTIONS(is_held, is_held_fn, "pglocks.is_held")
PGLOCKS_KEYED_FUNCTIONS(with_lock, with_lock_fn, Scope::Session, "pglocks.with_lock")
PGLOCKS_KEYED_FUNCTIONS(with_lock_named, with_lock_named_fn, Scope::Session, "pglocks.with_lock")
PGLOCKS_KEYED_FUNCTIONS(with_xact_lock, with_lock_fn, Scope::Transaction, "pglocks.with_xact_lock")
PGLOCKS_KEYED_FUNCTIONS(with_xact_lock_named, with_lock_named_fn, Scope::Transaction,
						"pglocks.with_xact_lock")

PGLOCKS_FUNCTION(pglocks_unlock_all, (pg::release_all_session_locks(), (Datum) 0))

PGLOCKS_RETIRED(pglocks_key_id, "pglocks.key_id")
PGLOCKS_RETIRED(pglocks_lock_text, "pglocks.lock")
PGLOCKS_RETIRED(pglocks_xact_lock_text, "pglocks.xact_lock")
PGLOCKS_RETIRED(pglocks_unlock_text, "pglocks.unlock")
PGLOCKS_RETIRED(pglocks_is_held_text, "pglocks.is_held")
PGLOCKS_RETIRED(pglocks_with_lock_text, "pglocks.with_lock")
PGLOCKS_RETIRED(pglocks_with_lock_named_text, "pglocks.with_lock")
PGLOCKS_RETIRED(pglocks_with_xact_lock_text, "pglocks.with_xact_lock")
PGLOCKS_RETIRED(pglocks_with_xact_lock_named_text, "pglocks.with_xact_lock")

} /* extern "C" */
