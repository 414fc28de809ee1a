/*
 * Every PostgreSQL version difference pglocks depends on, in one place.
 * Include after postgres.h and the headers named below.
 */
#pragma once

#if PG_VERSION_NUM < 130000
#error "pglocks needs PostgreSQL 13 or later (PG_FINALLY)"
#endif

#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "storage/lock.h"
#include "utils/acl.h"
#if PG_VERSION_NUM >= 160000
#include "catalog/pg_proc.h"
#include "varatt.h"				/* VARDATA_ANY and friends moved here in 16 */
#endif

/* the event_trigger pseudo-type's OID (EVTTRIGGEROID until 14) */
#if PG_VERSION_NUM < 140000
#define EVENT_TRIGGEROID EVTTRIGGEROID
#endif

/* the cache id a syscache invalidation callback is given (an enum from 19) */
#if PG_VERSION_NUM >= 190000
typedef SysCacheIdentifier pglocks_syscache_id;
#else
typedef int pglocks_syscache_id;
#endif

/* MarkGUCPrefixReserved() was EmitWarningsOnPlaceholders() until 15 */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/*
 * Does a request that must not wait go ahead of queued waiters it conflicts
 * with when this backend holds the lock in another mode? From 17 on the lock
 * manager grants it then (JoinWaitQueue), as it always did for one that may
 * wait; until 16 such a try fails.
 */
#define PGLOCKS_TRY_GOES_AHEAD_OF_WAITERS (PG_VERSION_NUM >= 170000)

/* Does this backend hold the lock in exactly this mode (any scope)? */
static inline bool
pglocks_lock_held(const LOCKTAG *tag, LOCKMODE mode)
{
#if PG_VERSION_NUM >= 170000
	return LockHeldByMe(tag, mode, false);
#else
	return LockHeldByMe(tag, mode);
#endif
}

/*
 * Take one more hold of a lock this backend holds already (a change to its
 * local lock table only), and find that table's entry.
 */
static inline LockAcquireResult
pglocks_lock_acquire_local(const LOCKTAG *tag, LOCKMODE mode, LOCALLOCK **local)
{
#if PG_VERSION_NUM >= 180000
	return LockAcquireExtended(tag, mode, true, true, false, local, false);
#else
	return LockAcquireExtended(tag, mode, true, true, false, local);
#endif
}

/* expression_tree_walker() with a typed walker (the walker type changed in 16) */
static inline bool
pglocks_expression_tree_walker(Node *node, bool (*walker) (Node *, void *), void *context)
{
#if PG_VERSION_NUM >= 160000
	return expression_tree_walker_impl(node, (tree_walker_callback) walker, context);
#else
	/* through void (*)(void), the type that stands for any function */
	return expression_tree_walker(node,
								  reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(walker)),
								  context);
#endif
}

static inline AclResult
pglocks_proc_aclcheck(Oid proc, Oid role)
{
#if PG_VERSION_NUM >= 160000
	return object_aclcheck(ProcedureRelationId, proc, role, ACL_EXECUTE);
#else
	return pg_proc_aclcheck(proc, role, ACL_EXECUTE);
#endif
}
