"""The SQL of PostgreSQL's advisory lock functions for one key."""

# How to find a hold of the key in pg_locks: a FROM item "k" holding the key,
# the key's arguments to the unlock function from "k", and the condition on
# the pg_locks row "l".
_HOLD = {
    1: ("(SELECT (%s)::bigint AS a) AS k", "k.a", "l.objsubid = 1 AND l.classid = "
        "((k.a >> 32) & 4294967295)::oid AND l.objid = (k.a & 4294967295)::oid"),
    2: ("(SELECT (%s)::int AS a, (%s)::int AS b) AS k", "k.a, k.b",
        "l.objsubid = 2 AND l.classid = k.a::oid AND l.objid = k.b::oid"),
}


class Statements:
    """Lock, unlock and leftover statements for a key given as one or two
    parameters (``args``: their placeholders, e.g. "(%s)::bigint")."""

    def __init__(self, args, arity, shared):
        self.args = args
        self.suffix = "_shared" if shared else ""
        key, unlock_args, row = _HOLD[arity]
        mode = "ShareLock" if shared else "ExclusiveLock"
        self.unlock = "SELECT pg_catalog.pg_advisory_unlock%s(%s)" % (self.suffix, args)
        self.leftover = (
            "SELECT count(pg_catalog.pg_advisory_unlock%s(%s)) > 0 FROM %s, pg_catalog.pg_locks AS l "
            "WHERE l.locktype = 'advisory' AND l.pid = pg_catalog.pg_backend_pid() "
            "AND l.granted AND l.mode = '%s' AND %s") % (self.suffix, unlock_args, key, mode, row)

    def lock(self, wait=True, xact=False, timed=False):
        """pg_[try_]advisory_[xact_]lock[_shared] of the key. ``timed``: under
        a lock_timeout given as a first parameter (milliseconds), with the
        caller's lock_timeout as the first column."""
        verb = "pg_advisory%s_lock%s" if wait else "pg_try_advisory%s_lock%s"
        call = "pg_catalog.%s(%s)" % (verb % ("_xact" if xact else "", self.suffix), self.args)
        return _TIMED % call if timed else "SELECT " + call


# The CTEs make set_config run before the lock; is_local: outside a
# transaction it ends with the statement, in one the caller restores it.
_TIMED = ("WITH p AS MATERIALIZED (SELECT pg_catalog.current_setting('lock_timeout') AS prev), "
          "t AS MATERIALIZED (SELECT prev, pg_catalog.set_config('lock_timeout', %%s::text, true) FROM p) "
          "SELECT t.prev, %s FROM t")
RESTORE_LOCK_TIMEOUT = "SELECT pg_catalog.set_config('lock_timeout', %s::text, true)"
