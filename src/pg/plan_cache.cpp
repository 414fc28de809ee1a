#include "pg/plan_cache.hpp"

extern "C" {
#include "common/hashfn.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "pg/compat.h"
}

namespace pglocks::pg {
namespace {

/* More distinct bodies than this in one backend: start over rather than grow. */
constexpr long MAX_PLANS = 1024;

struct PlanEntry {
	PlanKey		key;
	BodyPlan   *plan;
};

HTAB	   *plans = NULL;
MemoryContext plans_cxt = NULL; /* parent of every cached plan's context, and of the table */
uint64		epoch = 0;
uint64		catalog_generation = 0; /* bumped on every pg_proc, pg_cast or relcache invalidation */
uint64		checked_generation = 0;

void
on_catalog_change(Datum, pglocks_syscache_id, uint32)
{
	catalog_generation++;
}

void
on_relation_change(Datum, Oid)
{
	catalog_generation++;
}

/* Hash only the arguments there are: the key is mostly zeros. */
uint32
hash_key(const void *data, Size)
{
	const PlanKey *key = static_cast<const PlanKey *>(data);
	uint32		hash = hash_bytes_uint32(key->fn) ^ hash_bytes_uint32(key->nargs);

	return hash_combine(hash, hash_bytes(reinterpret_cast<const unsigned char *>(key->given),
										 key->nargs * sizeof(Oid)));
}

/* Free every plan: none is in use, since call sites copy what they use. */
void
drop_all()
{
	epoch++;
	if (plans == NULL)
		return;
	hash_destroy(plans);
	plans = NULL;
	MemoryContextReset(plans_cxt);
}

} // namespace

uint64
plan_cache_epoch()
{
	if (checked_generation != catalog_generation)
	{
		checked_generation = catalog_generation;
		drop_all();
	}
	return epoch;
}

BodyPlan *
cached_plan(const PlanKey &key)
{
	PlanEntry  *entry;

	if (plans == NULL)
		return NULL;
	entry = static_cast<PlanEntry *>(hash_search(plans, &key, HASH_FIND, NULL));
	return entry != NULL ? entry->plan : NULL;
}

void
cache_plan(const PlanKey &key, BodyPlan *plan)
{
	PlanEntry  *entry;
	bool		found;

	if (plans != NULL && hash_get_num_entries(plans) >= MAX_PLANS)
		drop_all();
	if (plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(PlanKey);
		ctl.entrysize = sizeof(PlanEntry);
		ctl.hash = hash_key;
		ctl.hcxt = plans_cxt;
		plans = hash_create("pglocks body plans", 64, &ctl,
							HASH_ELEM | HASH_FUNCTION | HASH_CONTEXT);
	}
	entry = static_cast<PlanEntry *>(hash_search(plans, &key, HASH_ENTER, &found));
	Assert(!found);
	entry->plan = plan;
	MemoryContextSetParent(plan->cxt, plans_cxt);
}

void
watch_catalogs()
{
	plans_cxt = AllocSetContextCreate(TopMemoryContext, "pglocks body plans",
									  ALLOCSET_SMALL_SIZES);
	CacheRegisterSyscacheCallback(PROCOID, on_catalog_change, (Datum) 0);
	/*
	 * A new or dropped cast changes how arguments convert, and so does a
	 * table's inheritance (a child's row converts to its parent's type).
	 */
	CacheRegisterSyscacheCallback(CASTSOURCETARGET, on_catalog_change, (Datum) 0);
	CacheRegisterRelcacheCallback(on_relation_change, (Datum) 0);
}

} // namespace pglocks::pg
