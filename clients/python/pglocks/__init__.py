"""pglocks for Python: the key ids of the pglocks extension, and a drop-in
replacement for django-pglocks' ``advisory_lock`` context manager.

It needs no server-side extension: locks are PostgreSQL's own advisory locks,
taken with ``pg_advisory_lock`` and friends, so a key locked here is the same
lock as ``pglocks.lock(key)`` in SQL. Spec: docs/key-hashing.md.
"""

import contextlib
import hashlib
import itertools
import zlib

__all__ = ["key_id", "crc32_key_id", "advisory_lock"]

# libpq's PQtransactionStatus, as both psycopg (3) and psycopg2 report it
_IDLE, _INTRANS, _INERROR = 0, 2, 3
_savepoints = itertools.count(1)


def key_id(key: str) -> int:
    """The first 8 bytes of SHA-256 over the key's UTF-8 bytes, as a signed
    big-endian 64-bit integer: ``pglocks.key_id(key)``."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def crc32_key_id(key: str) -> int:
    """django-pglocks 1.x's id: zlib's CRC-32 of the UTF-8 bytes as a signed
    32-bit integer: ``pglocks.crc32_key_id(key)``."""
    crc = zlib.crc32(key.encode("utf-8"))
    return crc - (1 << 32) if crc & 0x80000000 else crc


# How to find a hold of the lock in pg_locks: a FROM item "k" holding the
# key, the key's arguments to pg_advisory_unlock from "k", and the condition
# on the pg_locks row "l".
_BIGINT_HOLD = ("(SELECT %s::bigint AS a) AS k", "k.a", "l.objsubid = 1 AND l.classid = "
                "((k.a >> 32) & 4294967295)::oid AND l.objid = (k.a & 4294967295)::oid")
_PAIR_HOLD = ("(SELECT %s::int AS a, %s::int AS b) AS k", "k.a, k.b",
              "l.objsubid = 2 AND l.classid = k.a::oid AND l.objid = k.b::oid")


def _lock_args(lock_id):
    """The advisory lock arguments for a str, an int or a pair of ints, and
    how to find a hold of it (_BIGINT_HOLD or _PAIR_HOLD)."""
    if isinstance(lock_id, bool):
        raise ValueError("Cannot use a bool as a lock id")
    if isinstance(lock_id, (list, tuple)):
        if len(lock_id) != 2:
            raise ValueError("Tuples and lists as lock IDs must have exactly two entries.")
        if not all(isinstance(k, int) and not isinstance(k, bool) for k in lock_id):
            raise ValueError("Both members of a tuple/list lock ID must be integers")
        if not all(-(1 << 31) <= k < (1 << 31) for k in lock_id):
            raise ValueError("Both members of a tuple/list lock ID must fit in 32 bits")
        return "%s, %s", (lock_id[0], lock_id[1]), _PAIR_HOLD
    if isinstance(lock_id, str):
        return "%s", (key_id(lock_id),), _BIGINT_HOLD
    if isinstance(lock_id, int):
        if not -(1 << 63) <= lock_id < (1 << 63):
            raise ValueError("An integer lock ID must fit in 64 bits")
        return "%s", (lock_id,), _BIGINT_HOLD
    raise ValueError("Cannot use %r as a lock id" % (lock_id,))


def _driver_connection(using):
    """A psycopg or psycopg2 connection: ``using`` itself, or the one behind
    the Django database alias ``using`` (default: Django's default)."""
    if using is None or isinstance(using, str):
        from django.db import DEFAULT_DB_ALIAS, connections

        django_connection = connections[using or DEFAULT_DB_ALIAS]
        django_connection.ensure_connection()
        return django_connection.connection
    return using


def _transaction_status(conn):
    info = getattr(conn, "info", None)  # psycopg (3), and psycopg2 >= 2.8
    status = getattr(info, "transaction_status", None)
    return int(status) if status is not None else conn.get_transaction_status()


def _take(conn, acquire, params, suffix, hold):
    """Run the statement that waits for a session lock. An error can end the
    wait just as the lock is granted (a cancel, statement_timeout): the
    statement fails and the session holds the lock all the same. No hold in
    this mode existed before (it would have been granted at once), so a hold
    left then is that one: give it back, unless the failure left a transaction
    aborted (then nothing can run before its owner rolls it back)."""
    try:
        return _execute(conn, acquire, params)
    except Exception:
        if _transaction_status(conn) == _IDLE:
            key, args, row = hold
            mode = "ShareLock" if suffix else "ExclusiveLock"
            leftover = ("SELECT pg_advisory_unlock%s(%s) FROM %s, pg_catalog.pg_locks AS l "
                        "WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() "
                        "AND l.granted AND l.mode = '%s' AND %s") % (suffix, args, key, mode, row)
            with contextlib.suppress(Exception):  # the error to report is the first one
                _execute(conn, leftover, params)
        raise


def _execute(conn, sql, params=()):
    cursor = conn.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchone() if cursor.description else None
    finally:
        cursor.close()


@contextlib.contextmanager
def advisory_lock(lock_id, shared=False, wait=True, using=None, xact=False):
    """Hold a PostgreSQL advisory lock for the body of a ``with`` block.

    ``lock_id`` is a str (hashed with :func:`key_id`), an int, or a pair of
    ints. ``shared`` takes a shared lock; with ``wait=False`` the lock is only
    taken if free, and the block runs either way: ``as acquired`` says whether
    it was. ``using`` is a Django database alias (default: the default
    database) or a psycopg / psycopg2 connection.

    The session lock is released when the block ends, also when the body
    raised and left the transaction aborted: inside a transaction a savepoint
    is taken after the lock, and rolled back to only if the transaction is
    aborted at the end, so that the unlock can run (the error still
    propagates, and the transaction is still rolled back by its owner).

    ``xact=True`` takes a transaction lock instead (``pg_advisory_xact_lock``),
    held until the surrounding transaction ends; it needs a transaction (an
    open one, or a connection that is not in autocommit mode), and nothing is
    released at the end of the block.
    """
    placeholders, params, hold = _lock_args(lock_id)
    conn = _driver_connection(using)
    suffix = "_shared" if shared else ""
    scope = "_xact" if xact else ""
    verb = "pg_advisory%s_lock%s" if wait else "pg_try_advisory%s_lock%s"
    acquire = ("SELECT " + verb + "(%s)") % (scope, suffix, placeholders)
    release = "SELECT pg_advisory_unlock%s(%s)" % (suffix, placeholders)

    if xact and conn.autocommit and _transaction_status(conn) != _INTRANS:
        raise ValueError("xact=True needs an open transaction: "
                         "a transaction lock would end with the statement that takes it")
    if wait and not xact:
        row = _take(conn, acquire, params, suffix, hold)
    else:
        row = _execute(conn, acquire, params)
    acquired = True if wait else bool(row[0])
    if xact or not acquired:
        yield acquired
        return

    savepoint = None
    if _transaction_status(conn) == _INTRANS:
        savepoint = "pglocks_%d" % next(_savepoints)
        _execute(conn, "SAVEPOINT " + savepoint)
    try:
        yield acquired
    finally:
        status = _transaction_status(conn)
        if status == _INERROR and savepoint:
            _execute(conn, "ROLLBACK TO SAVEPOINT " + savepoint)
            status = _INTRANS
        if status == _INERROR:
            # aborted without a savepoint of ours (the lock was taken outside
            # a transaction the body then opened): only a rollback can help
            conn.rollback()
        _execute(conn, release, params)
        if savepoint and _transaction_status(conn) == _INTRANS:
            _execute(conn, "RELEASE SAVEPOINT " + savepoint)
