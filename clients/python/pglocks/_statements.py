"""The SQL of PostgreSQL's advisory lock functions for one key."""

# How to find a hold of the key in pg_locks: a FROM item "k" holding the key,
# the key's arguments to the unlock function from "k", and the condition on
# the pg_locks row "l".
_HOLD = {
    1: ("(SELECT %s::bigint AS a) AS k", "k.a", "l.objsubid = 1 AND l.classid = "
        "((k.a >> 32) & 4294967295)::oid AND l.objid = (k.a & 4294967295)::oid"),
    2: ("(SELECT %s::int AS a, %s::int AS b) AS k", "k.a, k.b",
        "l.objsubid = 2 AND l.classid = k.a::oid AND l.objid = k.b::oid"),
}


class Statements:
    """Lock, unlock and leftover statements for a key given as one or two
    parameters (``args``: their placeholders, e.g. "%s::bigint")."""

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

    def lock(self, wait=True, xact=False):
        """pg_[try_]advisory_[xact_]lock[_shared] of the key."""
        verb = "pg_advisory%s_lock%s" if wait else "pg_try_advisory%s_lock%s"
        return "SELECT pg_catalog.%s(%s)" % (verb % ("_xact" if xact else "", self.suffix), self.args)
