/*
 * The SQL-callable functions: extern "C" shims that decode arguments, call
 * src/pg (and through it src/core) and return Datums. They hold no object
 * with a destructor (README, Hacking).
 */
#include "core/semaphore.hpp"
#include "pg/advisory.hpp"
#include "pg/args.hpp"
#include "pg/busy.hpp"
#include "pg/core_call.hpp"
#include "pg/key_set.hpp"
#include "pg/plan_cache.hpp"
#include "pg/semaphore.hpp"
#include "pg/standby.hpp"
#include "pg/with_lock.hpp"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace {

using namespace pglocks;
using core::OnBusy;
using pg::KeyForm;
using pg::Scope;

/* false, or the on_busy error, for a lock that was not taken */
bool
lock_result(bool acquired, OnBusy on_busy, FunctionCallInfo fcinfo, KeyForm form,
			const pg::AdvisoryLock &lock, core::WaitPolicy policy)
{
	if (!acquired && on_busy == OnBusy::Raise)
		pg::raise_busy({pg::key_display(fcinfo, form), pg::locks_of(lock), 0, policy});
	return acquired;
}

/* (key, shared, wait, timeout, on_busy): lock and xact_lock */
Datum
lock_fn(FunctionCallInfo fcinfo, KeyForm form, Scope scope, const char *func)
{
	int			k = pg::key_nargs(form);
	core::LockKey key = pg::key_arg(fcinfo, form, func);
	bool		shared = pg::bool_arg(fcinfo, k, pg::SHARED, func);
	bool		wait = pg::bool_arg(fcinfo, k + 1, pg::WAIT, func);
	core::WaitPolicy policy = pg::wait_policy_arg(fcinfo, wait, k + 2);
	OnBusy		on_busy = pg::on_busy_arg(fcinfo, k + 3, func);
	pg::AdvisoryLock lock = pg::advisory_lock(key, shared);

	pg::refuse_during_recovery(func);
	PG_RETURN_BOOL(lock_result(pg::acquire(lock, scope, policy), on_busy, fcinfo, form, lock, policy));
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

Datum
is_free_fn(FunctionCallInfo fcinfo, KeyForm form, const char *func)
{
	PG_RETURN_BOOL(pg::is_free(lock_in_args(fcinfo, form, func)));
}

/* with_lock's forms: where its arguments are */
struct WithLockLayout {
	int			shared;
	int			wait;			/* -1: wait, up to timeout if there is one */
	int			timeout;		/* -1: none */
	int			fn;
	int			on_busy;		/* -1: none (always 'false') */
	int			first_body_arg;
};

/* (key, shared, wait, fn, VARIADIC args): with_lock and with_xact_lock */
constexpr WithLockLayout POSITIONAL = {0, 1, -1, 2, -1, 3};
/* (key, shared, timeout, fn, VARIADIC args) */
constexpr WithLockLayout TIMED = {0, -1, 1, 2, -1, 3};
/* (key, fn, shared, wait, timeout, on_busy): the named-parameter form, no body arguments */
constexpr WithLockLayout NAMED = {1, 2, 3, 0, 4, 5};

Datum
with_lock_fn(FunctionCallInfo fcinfo, KeyForm form, Scope scope, const WithLockLayout &at,
			 const char *func)
{
	int			k = pg::key_nargs(form);
	core::LockKey key = pg::key_arg(fcinfo, form, func);
	bool		shared = pg::bool_arg(fcinfo, k + at.shared, pg::SHARED, func);
	bool		wait = at.wait < 0 || pg::bool_arg(fcinfo, k + at.wait, pg::WAIT, func);
	Oid			fn = pg::oid_arg(fcinfo, k + at.fn, pg::FN, func);
	core::WaitPolicy policy = pg::wait_policy_arg(fcinfo, wait, at.timeout < 0 ? -1 : k + at.timeout);
	OnBusy		on_busy = pg::on_busy_arg(fcinfo, at.on_busy < 0 ? -1 : k + at.on_busy, func);
	/* a 2.0 catalog's named form has no on_busy */
	int			first_body_arg = Min(k + at.first_body_arg, PG_NARGS());
	pg::AdvisoryLock lock = pg::advisory_lock(key, shared);

	pg::refuse_during_recovery(func);
	PG_RETURN_BOOL(lock_result(pg::run_under_lock(lock, scope, policy, fcinfo, fn, first_body_arg, func),
							   on_busy, fcinfo, form, lock, policy));
}

/* Semaphores: text and bigint keys ---------------------------------------- */

int
slots_arg(FunctionCallInfo fcinfo, int argno, const char *func)
{
	int			slots = pg::int_arg(fcinfo, argno, pg::SLOTS, func);

	pg::call_core([&] { core::check_slot_count(slots); });
	return slots;
}

/* the slot taken, or -1 (or the on_busy error) */
int
take_slot(FunctionCallInfo fcinfo, KeyForm form, int64 key, int slots, Scope scope,
		  core::WaitPolicy policy, OnBusy on_busy)
{
	int			slot = pg::acquire_slot(key, slots, scope, policy);

	if (slot < 0 && on_busy == OnBusy::Raise)
		pg::raise_busy({pg::key_display(fcinfo, form), pg::semaphore_locks(key, slots), slots, policy});
	return slot;
}

/* (key, slots, wait, timeout, on_busy): acquire_slot and xact_acquire_slot */
Datum
acquire_slot_fn(FunctionCallInfo fcinfo, KeyForm form, Scope scope, const char *func)
{
	int64		key = pg::key_id_arg(fcinfo, form, func);
	int			slots = slots_arg(fcinfo, 1, func);
	bool		wait = pg::bool_arg(fcinfo, 2, pg::WAIT, func);
	core::WaitPolicy policy = pg::wait_policy_arg(fcinfo, wait, 3);
	OnBusy		on_busy = pg::on_busy_arg(fcinfo, 4, func);
	int			slot;

	pg::refuse_during_recovery(func);
	slot = take_slot(fcinfo, form, key, slots, scope, policy, on_busy);
	if (slot < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(slot);
}

/* (key, slot) */
Datum
release_slot_fn(FunctionCallInfo fcinfo, KeyForm form, const char *func)
{
	int64		key = pg::key_id_arg(fcinfo, form, func);
	int			slot = pg::int_arg(fcinfo, 1, pg::SLOT, func);

	pg::call_core([&] { core::check_slot_number(slot); });
	PG_RETURN_BOOL(pg::release(pg::slot_lock(key, slot)));
}

/* with_semaphore's forms */
struct WithSemaphoreLayout {
	int			timeout;
	int			fn;
	int			on_busy;		/* -1: none */
	int			first_body_arg;
};

/* (key, slots, fn, timeout, on_busy): no body arguments */
constexpr WithSemaphoreLayout SEMAPHORE_NAMED = {3, 2, 4, 5};
/* (key, slots, timeout, fn, VARIADIC args) */
constexpr WithSemaphoreLayout SEMAPHORE_TIMED = {2, 3, -1, 4};

Datum
with_semaphore_fn(FunctionCallInfo fcinfo, KeyForm form, const WithSemaphoreLayout &at,
				  const char *func)
{
	int64		key = pg::key_id_arg(fcinfo, form, func);
	int			slots = slots_arg(fcinfo, 1, func);
	Oid			fn = pg::oid_arg(fcinfo, at.fn, pg::FN, func);
	core::WaitPolicy policy = pg::wait_policy_arg(fcinfo, true, at.timeout);
	OnBusy		on_busy = pg::on_busy_arg(fcinfo, at.on_busy, func);
	int			slot = -1;

	pg::refuse_during_recovery(func);
	PG_RETURN_BOOL(pg::run_under(
		[&] {
			slot = take_slot(fcinfo, form, key, slots, Scope::Session, policy, on_busy);
			return slot >= 0;
		},
		[&] { pg::release_session_hold(pg::slot_lock(key, slot)); },
		Scope::Session, fcinfo, fn, at.first_body_arg, func));
}

/* Several keys ------------------------------------------------------------- */

/* the set's locks, or false (or the on_busy error) with none of them held */
bool
take_set(const pg::KeySet &keys, Scope scope, core::WaitPolicy policy, OnBusy on_busy)
{
	int			busy = pg::acquire_set(keys, scope, policy);

	if (busy >= 0 && on_busy == OnBusy::Raise)
		pg::raise_busy({pg::key_set_display(keys, busy), pg::locks_of(keys.locks[busy]), 0, policy});
	return busy < 0;
}

/* (keys, shared, timeout, on_busy): lock_all and xact_lock_all */
Datum
lock_all_fn(FunctionCallInfo fcinfo, Scope scope, const char *func)
{
	bool		shared = pg::bool_arg(fcinfo, 1, pg::SHARED, func);
	pg::KeySet	keys = pg::key_set_arg(fcinfo, 0, shared, func);
	core::WaitPolicy policy = pg::wait_policy_arg(fcinfo, true, 2);
	OnBusy		on_busy = pg::on_busy_arg(fcinfo, 3, func);

	pg::refuse_during_recovery(func);
	PG_RETURN_BOOL(take_set(keys, scope, policy, on_busy));
}

/* (keys, shared) */
Datum
unlock_keys_fn(FunctionCallInfo fcinfo, const char *func)
{
	bool		shared = pg::bool_arg(fcinfo, 1, pg::SHARED, func);

	PG_RETURN_BOOL(pg::release_set(pg::key_set_arg(fcinfo, 0, shared, func)));
}

/* with_locks' forms */
struct WithLocksLayout {
	int			fn;
	int			shared;
	int			timeout;
	int			on_busy;		/* -1: none */
	int			first_body_arg;
};

/* (keys, fn, shared, timeout, on_busy): no body arguments */
constexpr WithLocksLayout LOCKS_NAMED = {1, 2, 3, 4, 5};
/* (keys, shared, timeout, fn, VARIADIC args) */
constexpr WithLocksLayout LOCKS_TIMED = {3, 1, 2, -1, 4};

Datum
with_locks_fn(FunctionCallInfo fcinfo, const WithLocksLayout &at, const char *func)
{
	bool		shared = pg::bool_arg(fcinfo, at.shared, pg::SHARED, func);
	pg::KeySet	keys = pg::key_set_arg(fcinfo, 0, shared, func);
	Oid			fn = pg::oid_arg(fcinfo, at.fn, pg::FN, func);
	core::WaitPolicy policy = pg::wait_policy_arg(fcinfo, true, at.timeout);
	OnBusy		on_busy = pg::on_busy_arg(fcinfo, at.on_busy, func);

	pg::refuse_during_recovery(func);
	PG_RETURN_BOOL(pg::run_under([&] { return take_set(keys, Scope::Session, policy, on_busy); },
								 [&] { pg::release_set_holds(keys); },
								 Scope::Session, fcinfo, fn, at.first_body_arg, func));
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
	pg::define_standby_setting();
}

PGLOCKS_FUNCTION(pglocks_key_id2, Int64GetDatum(pg::text_key_id(PG_GETARG_TEXT_PP(0))))
PGLOCKS_FUNCTION(pglocks_crc32_key_id, Int64GetDatum(pg::text_crc32_key_id(PG_GETARG_TEXT_PP(0))))

PGLOCKS_KEYED_FUNCTIONS(lock, lock_fn, Scope::Session, "pglocks.lock")
PGLOCKS_KEYED_FUNCTIONS(xact_lock, lock_fn, Scope::Transaction, "pglocks.xact_lock")
PGLOCKS_KEYED_FUNCTIONS(unlock, unlock_fn, "pglocks.unlock")
PGLOCKS_KEYED_FUNCTIONS(is_held, is_held_fn, "pglocks.is_held")
PGLOCKS_KEYED_FUNCTIONS(is_free, is_free_fn, "pglocks.is_free")
PGLOCKS_KEYED_FUNCTIONS(with_lock, with_lock_fn, Scope::Session, POSITIONAL, "pglocks.with_lock")
PGLOCKS_KEYED_FUNCTIONS(with_lock_timed, with_lock_fn, Scope::Session, TIMED, "pglocks.with_lock")
PGLOCKS_KEYED_FUNCTIONS(with_lock_named, with_lock_fn, Scope::Session, NAMED, "pglocks.with_lock")
PGLOCKS_KEYED_FUNCTIONS(with_xact_lock, with_lock_fn, Scope::Transaction, POSITIONAL,
						"pglocks.with_xact_lock")
PGLOCKS_KEYED_FUNCTIONS(with_xact_lock_timed, with_lock_fn, Scope::Transaction, TIMED,
						"pglocks.with_xact_lock")
PGLOCKS_KEYED_FUNCTIONS(with_xact_lock_named, with_lock_fn, Scope::Transaction, NAMED,
						"pglocks.with_xact_lock")

/* Semaphores: pglocks_<name>_text2 and _bigint */
#define PGLOCKS_SEMAPHORE_FUNCTIONS(name, impl, ...) \
	PGLOCKS_FUNCTION(pglocks_##name##_text2, impl(fcinfo, KeyForm::Text, __VA_ARGS__)) \
	PGLOCKS_FUNCTION(pglocks_##name##_bigint, impl(fcinfo, KeyForm::Bigint, __VA_ARGS__))

PGLOCKS_SEMAPHORE_FUNCTIONS(acquire_slot, acquire_slot_fn, Scope::Session, "pglocks.acquire_slot")
PGLOCKS_SEMAPHORE_FUNCTIONS(xact_acquire_slot, acquire_slot_fn, Scope::Transaction,
							"pglocks.xact_acquire_slot")
PGLOCKS_SEMAPHORE_FUNCTIONS(release_slot, release_slot_fn, "pglocks.release_slot")
PGLOCKS_SEMAPHORE_FUNCTIONS(with_semaphore, with_semaphore_fn, SEMAPHORE_NAMED, "pglocks.with_semaphore")
PGLOCKS_SEMAPHORE_FUNCTIONS(with_semaphore_timed, with_semaphore_fn, SEMAPHORE_TIMED,
							"pglocks.with_semaphore")

/* Several keys: one symbol each for text[] and bigint[] */
PGLOCKS_FUNCTION(pglocks_lock_all, lock_all_fn(fcinfo, Scope::Session, "pglocks.lock_all"))
PGLOCKS_FUNCTION(pglocks_xact_lock_all, lock_all_fn(fcinfo, Scope::Transaction, "pglocks.xact_lock_all"))
PGLOCKS_FUNCTION(pglocks_unlock_keys, unlock_keys_fn(fcinfo, "pglocks.unlock_keys"))
PGLOCKS_FUNCTION(pglocks_with_locks, with_locks_fn(fcinfo, LOCKS_NAMED, "pglocks.with_locks"))
PGLOCKS_FUNCTION(pglocks_with_locks_timed, with_locks_fn(fcinfo, LOCKS_TIMED, "pglocks.with_locks"))

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
