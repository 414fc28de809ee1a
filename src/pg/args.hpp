/*
 * Reading the SQL arguments of pglocks' functions. NULL where a value is
 * required is an error that names the argument, never a silent no-op.
 */
#pragma once

#include "core/lock_key.hpp"
#include "core/on_busy.hpp"
#include "core/wait_policy.hpp"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace pglocks::pg {

/* The three key forms of django-pglocks: text (hashed), bigint, two ints. */
enum class KeyForm { Text, Bigint, Pair };

/* How many SQL arguments the key takes; the other arguments follow it. */
constexpr int
key_nargs(KeyForm form)
{
	return form == KeyForm::Pair ? 2 : 1;
}

struct ArgName {
	const char *name;
	const char *hint; /* what to pass instead of NULL */
};

extern const ArgName SHARED;
extern const ArgName WAIT;
extern const ArgName FN;
extern const ArgName SLOTS;
extern const ArgName SLOT;
extern const ArgName KEYS;

/* The key in arguments 0 (and 1 for a pair). */
core::LockKey key_arg(FunctionCallInfo fcinfo, KeyForm form, const char *func);

/* A text or bigint key in argument 0 as a bigint: key_id() of a text key. */
int64 key_id_arg(FunctionCallInfo fcinfo, KeyForm form, const char *func);

/* The key in arguments 0 (and 1) as the caller gave it, for messages: "text", 42, (1, 2). */
const char *key_display(FunctionCallInfo fcinfo, KeyForm form);

/* A text key for messages: in double quotes, cut to 200 bytes. */
const char *quoted_text_key(const text *key);

bool bool_arg(FunctionCallInfo fcinfo, int argno, const ArgName &arg, const char *func);
int32 int_arg(FunctionCallInfo fcinfo, int argno, const ArgName &arg, const char *func);
Oid oid_arg(FunctionCallInfo fcinfo, int argno, const ArgName &arg, const char *func);

/* NULL where a value is required: an error that names the argument. */
void require(FunctionCallInfo fcinfo, int argno, const ArgName &arg, const char *func);

/*
 * The on_busy argument `argno`; 'false' when the form has none (-1) or the
 * call has none (a 2.0 catalog calls the same symbols without it).
 */
core::OnBusy on_busy_arg(FunctionCallInfo fcinfo, int argno, const char *func);

/* From `wait` and the optional interval argument `timeout_argno` (-1: none). */
core::WaitPolicy wait_policy_arg(FunctionCallInfo fcinfo, bool wait, int timeout_argno);

/* key_id() of a text key, converted to UTF-8 first when the database is not. */
int64 text_key_id(const text *key);
int64 text_crc32_key_id(const text *key);

} // namespace pglocks::pg
