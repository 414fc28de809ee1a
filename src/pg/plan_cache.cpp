#include "pg/plan_cache.hpp"

extern "C" {
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
MemoryContext plans_cxt = NULL; /* parent of every cached plan's context */
uint64		epoch = 0;
uint64		pg_proc_generation = 0; /* bumped on every pg_proc invalidation */
uint64		checked_generation = 0;

void
on_pg_proc_change(Datum, int, uint32)
{
	pg_proc_generation++;
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
	if (checked_generation != pg_proc_generation)
	{
		checked_generation = pg_proc_generation;
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

	if (plans_cxt == NULL)
		plans_cxt = AllocSetContextCreate(TopMemoryContext, "pglocks body plans",
										  ALLOCSET_SMALL_SIZES);
	if (plans != NULL && hash_get_num_entries(plans) >= MAX_PLANS)
		drop_all();
	if (plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(PlanKey);
		ctl.entrysize = sizeof(PlanEntry);
		ctl.hcxt = plans_cxt;
		plans = hash_create("pglocks body plans", 64, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = static_cast<PlanEntry *>(hash_search(plans, &key, HASH_ENTER, &found));
	Assert(!found);
	entry->plan = plan;
	MemoryContextSetParent(plan->cxt, plans_cxt);
}

void
plan_released(BodyPlan *plan)
{
	if (plan->retired && plan->in_use == 0)
		MemoryContextDelete(plan->cxt);
}

void
watch_pg_proc()
{
	CacheRegisterSyscacheCallback(PROCOID, on_pg_proc_change, (Datum) 0);
}

} // namespace pglocks::pg
