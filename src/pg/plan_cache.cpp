#include "pg/plan_cache.hpp"

extern "C" {
#include "common/hashfn.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
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
MemoryContext plans_cxt = NULL; /* parent of every cached or failed plan's context */
uint64		epoch = 0;
uint64		catalog_generation = 0; /* bumped on every pg_proc or pg_cast invalidation */
uint64		checked_generation = 0;
BodyPlan   *failed = NULL;		/* plans to free, through next_failed */

void
on_catalog_change(Datum, int, uint32)
{
	catalog_generation++;
}

/* Hash only the arguments there are: the key is mostly zeros. */
uint32
hash_key(const void *data, Size)
{
	const PlanKey *key = static_cast<const PlanKey *>(data);
	uint32		hash = hash_bytes_uint32(key->fn) ^ hash_bytes_uint32(key->nargs);

	hash = hash_combine(hash, hash_bytes(reinterpret_cast<const unsigned char *>(key->given),
										 key->nargs * sizeof(Oid)));
	hash = hash_combine(hash, hash_bytes(reinterpret_cast<const unsigned char *>(key->collations),
										 key->nargs * sizeof(Oid)));
	return hash_combine(hash, hash_bytes(reinterpret_cast<const unsigned char *>(key->explicit_collations),
										 key->nargs * sizeof(bool)));
}

/* Free every plan not in use; one in use is freed when its call ends. */
void
drop_all()
{
	HASH_SEQ_STATUS scan;
	PlanEntry  *entry;

	epoch++;
	if (plans == NULL)
		return;
	hash_seq_init(&scan, plans);
	while ((entry = static_cast<PlanEntry *>(hash_seq_search(&scan))) != NULL)
	{
		if (entry->plan->in_use > 0)
			entry->plan->retired = true;
		else
			MemoryContextDelete(entry->plan->cxt);
	}
	hash_destroy(plans);
	plans = NULL;
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
plan_released(BodyPlan *plan)
{
	if (plan->retired && plan->in_use == 0 && !plan->failed)
		MemoryContextDelete(plan->cxt);
}

void
plan_failed(BodyPlan *plan)
{
	plan->in_use--;
	if (!plan->retired && plans != NULL)
	{
		HASH_SEQ_STATUS scan;
		PlanEntry  *entry;

		hash_seq_init(&scan, plans);
		while ((entry = static_cast<PlanEntry *>(hash_seq_search(&scan))) != NULL)
		{
			if (entry->plan != plan)
				continue;
			hash_seq_term(&scan);
			(void) hash_search(plans, &entry->key, HASH_REMOVE, NULL);
			break;
		}
	}
	plan->retired = true;
	epoch++;					/* call sites forget it too */
	if (plan->in_use == 0 && !plan->failed)
	{
		plan->failed = true;
		/* Out of the failing call's memory, which the abort may free first. */
		MemoryContextSetParent(plan->cxt, plans_cxt);
		plan->next_failed = failed;
		failed = plan;
	}
}

void
free_failed_plans()
{
	while (failed != NULL)
	{
		BodyPlan   *plan = failed;

		failed = plan->next_failed;
		MemoryContextDelete(plan->cxt);
	}
}

void
watch_catalogs()
{
	plans_cxt = AllocSetContextCreate(TopMemoryContext, "pglocks body plans",
									  ALLOCSET_SMALL_SIZES);
	CacheRegisterSyscacheCallback(PROCOID, on_catalog_change, (Datum) 0);
	/* A new or dropped cast changes how arguments convert. */
	CacheRegisterSyscacheCallback(CASTSOURCETARGET, on_catalog_change, (Datum) 0);
}

} // namespace pglocks::pg
