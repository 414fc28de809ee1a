/*
 * Several keys, all or nothing: lock_all, xact_lock_all, unlock_keys and
 * with_locks. The keys are taken in ascending id order, each once, under one
 * deadline, so two callers whose key sets overlap never deadlock each other.
 */
#pragma once

#include "core/wait_policy.hpp"
#include "pg/advisory.hpp"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace pglocks::pg {

struct KeySet {
	AdvisoryLock *locks; /* ascending by id, distinct */
	int		   *origin;	 /* each one's position in the caller's array */
	int			n;
	Datum	   *given;	 /* the caller's elements, for messages */
	Oid			type;	 /* their type: text or bigint */
};

/*
 * The keys in array argument `argno` (text[] or bigint[], any shape, no
 * NULLs, at least one element), locked in `shared` or exclusive mode.
 */
KeySet key_set_arg(FunctionCallInfo fcinfo, int argno, bool shared, const char *func);

/* Element i of the set as the caller gave it, for messages. */
const char *key_set_display(const KeySet &keys, int i);

/*
 * Take every lock: -1 once all are held, or the index of the one that was
 * busy (Try) or not granted in time (Millis), with none of them held then.
 * An ERROR while waiting gives back the session locks taken so far.
 */
int acquire_set(const KeySet &keys, Scope scope, core::WaitPolicy policy);

/* Release one session hold of each: false if one of them was not held. */
bool release_set(const KeySet &keys);

/* Release the session holds acquire_set() took, if still held; no warning. */
void release_set_holds(const KeySet &keys);

} // namespace pglocks::pg
