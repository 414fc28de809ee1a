/*
 * No false safety on a hot standby: an advisory lock taken there excludes
 * only that standby's sessions, never the primary's. Every function that
 * takes a lock refuses during recovery unless pglocks.allow_on_standby is on.
 */
#pragma once

namespace pglocks::pg {

/* From _PG_init: the setting pglocks.allow_on_standby. */
void define_standby_setting();

/* An ERROR during recovery, unless pglocks.allow_on_standby is on. */
void refuse_during_recovery(const char *func);

} // namespace pglocks::pg
