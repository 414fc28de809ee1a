#include "pg/lock_table.hpp"

extern "C" {
#include "lib/stringinfo.h"
#include "miscadmin.h"

#include "pg/compat.h"
}

namespace pglocks::pg {
namespace {

bool
same_key(const LOCKTAG &a, const KeyLocks &locks)
{
	const LOCKTAG &b = locks.tag;

	return a.locktag_type == b.locktag_type && a.locktag_lockmethodid == b.locktag_lockmethodid &&
		   a.locktag_field1 == b.locktag_field1 && a.locktag_field2 == b.locktag_field2 &&
		   a.locktag_field3 == b.locktag_field3 && a.locktag_field4 >= b.locktag_field4 &&
		   a.locktag_field4 <= locks.last_space;
}

int
compare_pids(const void *a, const void *b)
{
	int			x = *static_cast<const int *>(a);
	int			y = *static_cast<const int *>(b);

	return (x > y) - (x < y);
}

/*
 * Other sessions' pids that hold (`holders`) or wait for (`waiters`) one of
 * the locks in a conflicting mode, sorted, each once; their count in *n.
 */
int *
conflicting_pids(const KeyLocks &locks, bool holders, bool waiters, int *n)
{
	LockData   *table = GetLockStatusData();
	LOCKMASK	conflicts = GetLockTagsMethodTable(&locks.tag)->conflictTab[locks.mode];
	int		   *pids = static_cast<int *>(palloc((table->nelements + 1) * sizeof(int)));
	int			found = 0;

	for (int i = 0; i < table->nelements; i++)
	{
		const LockInstanceData *entry = &table->locks[i];

		if (entry->pid == MyProcPid || !same_key(entry->locktag, locks))
			continue;
		if ((holders && (entry->holdMask & conflicts) != 0) ||
			(waiters && entry->waitLockMode != NoLock && (conflicts & LOCKBIT_ON(entry->waitLockMode)) != 0))
			pids[found++] = entry->pid;
	}
	qsort(pids, found, sizeof(int), compare_pids);
	*n = 0;
	for (int i = 0; i < found; i++)
		if (*n == 0 || pids[*n - 1] != pids[i])
			pids[(*n)++] = pids[i];
	return pids;
}

} // namespace

KeyLocks
locks_of(const AdvisoryLock &lock)
{
	return {lock.tag, lock.tag.locktag_field4, lock.mode};
}

bool
is_free(const AdvisoryLock &lock)
{
	int			n;

	LOCKMODE	other = lock.mode == ExclusiveLock ? ShareLock : ExclusiveLock;
	bool		goes_ahead = PGLOCKS_TRY_GOES_AHEAD_OF_WAITERS && pglocks_lock_held(&lock.tag, other);

	if (pglocks_lock_held(&lock.tag, lock.mode))
		return true;
	(void) conflicting_pids(locks_of(lock), true, !goes_ahead, &n);
	return n == 0;
}

int
held_by_a_running_session(const KeyLocks &locks, uint32 turn)
{
	LockData   *table = GetLockStatusData();
	int		   *waiting = static_cast<int *>(palloc((table->nelements + 1) * sizeof(int)));
	int		   *spaces = static_cast<int *>(palloc((table->nelements + 1) * sizeof(int)));
	int			n_waiting = 0;
	int			n_spaces = 0;

	for (int i = 0; i < table->nelements; i++)
		if (table->locks[i].waitLockMode != NoLock)
			waiting[n_waiting++] = table->locks[i].pid;
	qsort(waiting, n_waiting, sizeof(int), compare_pids);
	for (int i = 0; i < table->nelements; i++)
	{
		const LockInstanceData *entry = &table->locks[i];

		if (entry->pid != MyProcPid && entry->holdMask != 0 && same_key(entry->locktag, locks) &&
			bsearch(&entry->pid, waiting, n_waiting, sizeof(int), compare_pids) == NULL)
			spaces[n_spaces++] = entry->locktag.locktag_field4;
	}
	return n_spaces == 0 ? -1 : spaces[turn % (uint32) n_spaces];
}

char *
conflicting_holders(const KeyLocks &locks, bool waiters, int *n)
{
	int		   *pids = conflicting_pids(locks, !waiters, waiters, n);
	StringInfoData list;

	initStringInfo(&list);
	for (int i = 0; i < *n; i++)
		appendStringInfo(&list, i == 0 ? "%d" : ", %d", pids[i]);
	return list.data;
}

} // namespace pglocks::pg
