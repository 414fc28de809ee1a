#include "pg/standby.hpp"

extern "C" {
#include "postgres.h"
#include "access/xlog.h"
#include "utils/guc.h"

#include "pg/compat.h"
}

namespace pglocks::pg {
namespace {

bool		allow_on_standby = false;

} // namespace

void
define_standby_setting()
{
	DefineCustomBoolVariable("pglocks.allow_on_standby",
							 "Lets pglocks take advisory locks on a hot standby.",
							 "Such a lock excludes only sessions of the same standby, never "
							 "those of the primary or of other standbys.",
							 &allow_on_standby, false, PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("pglocks");
}

void
refuse_during_recovery(const char *func)
{
	if (allow_on_standby || !RecoveryInProgress())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
			 errmsg("%s cannot take an advisory lock during recovery", func),
			 errdetail("This server is a hot standby: a lock taken here would exclude only its own "
					   "sessions, never those of the primary."),
			 errhint("Take the lock on the primary. If a lock local to this standby is what you "
					 "want, set pglocks.allow_on_standby = on.")));
}

} // namespace pglocks::pg
