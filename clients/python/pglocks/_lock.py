"""pglocks.advisory_lock: a PostgreSQL advisory lock held for a block or a
function call."""

import datetime
import functools
import math
import threading

from ._ids import key_id
from ._session import INTRANS, Hold, Session, check_using, take_xact
from ._statements import Statements

_INT64 = 1 << 63
_INT32 = 1 << 31
_MAX_MS = (1 << 31) - 1  # lock_timeout's limit


class Return:
    """side_effect: the block runs either way; ``as acquired`` says whether
    the lock was taken (a decorated function gets no such flag, and runs)."""


class Raise:
    """side_effect: raise LockNotAcquired when the lock is not taken."""


class Skip:
    """side_effect (decorator only): don't call the function, return None."""


class LockNotAcquired(Exception):
    """The lock was busy (or the timeout ran out) with side_effect=Raise.
    Through a Django alias it is also a django.db.OperationalError, as with
    django-pglock."""


@functools.lru_cache(maxsize=None)
def _django_lock_not_acquired():
    from django.db import OperationalError

    return type("LockNotAcquired", (LockNotAcquired, OperationalError), {"__module__": __name__})


def lock_args(lock_id):
    """(placeholders, params, arity) of a str (its key_id), an int or a pair
    of ints; a ValueError for anything else. A placeholder is parenthesized
    before its cast: psycopg2 writes a parameter into the SQL, and
    -9223372036854775808::bigint is -(9223372036854775808::bigint)."""
    if isinstance(lock_id, bool):
        raise ValueError("Cannot use a bool as a lock id")
    if isinstance(lock_id, (list, tuple)):
        if len(lock_id) != 2:
            raise ValueError("Tuples and lists as lock IDs must have exactly two entries.")
        if not all(isinstance(k, int) and not isinstance(k, bool) for k in lock_id):
            raise ValueError("Both members of a tuple/list lock ID must be integers")
        if not all(-_INT32 <= k < _INT32 for k in lock_id):
            raise ValueError("Both members of a tuple/list lock ID must fit in 32 bits")
        return "(%s)::int, (%s)::int", (lock_id[0], lock_id[1]), 2
    if isinstance(lock_id, str):
        return "(%s)::bigint", (key_id(lock_id),), 1
    if isinstance(lock_id, int):
        if not -_INT64 <= lock_id < _INT64:
            raise ValueError("An integer lock ID must fit in 64 bits")
        return "(%s)::bigint", (lock_id,), 1
    raise ValueError("Cannot use %r as a lock id" % (lock_id,))


def _milliseconds(timeout):
    """A timeout in seconds or a timedelta as lock_timeout's whole
    milliseconds, rounded up (0 stays 0: a try)."""
    if timeout is None:
        return None
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    if (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
            or not 0 <= timeout * 1000 <= _MAX_MS):  # also NaN and the infinities
        raise ValueError("timeout must be None, a number of seconds from 0 to %s, or a timedelta"
                         % (_MAX_MS / 1000))
    return math.ceil(timeout * 1000)


_SIDE_EFFECTS = {Return: Return, Raise: Raise, Skip: Skip,
                 "return": Return, "raise": Raise, "skip": Skip}


class advisory_lock:  # noqa: N801 (used like a function, as in django-pglocks)
    """Hold a PostgreSQL advisory lock for the body of a ``with`` block, or
    for each call of a decorated function.

    ``lock_id``: a str (hashed with :func:`key_id`, django-pglock's id), an
    int, or a pair of ints; as a decorator it defaults to the function's
    ``module.qualname``. ``shared`` takes a shared lock. ``wait=False`` (or
    ``timeout=0``) only takes the lock if it is free; ``timeout`` (seconds or
    a timedelta) waits at most that long in the server's lock queue (its
    ``lock_timeout``; a lock granted as the timeout fires is given back).
    ``side_effect`` says what happens when the lock is not taken:
    :class:`Return` (the block runs, ``as acquired`` is False),
    :class:`Raise` (:class:`LockNotAcquired`) or, for a decorator,
    :class:`Skip`. ``using``: a Django database alias (default: the default
    database) or a psycopg / psycopg2 connection, not a pool. ``xact=True``
    takes a transaction lock, held until the transaction ends (it needs one).

    A session lock is given back when the block ends, also when the body left
    the transaction aborted: the transaction then stays aborted (the error
    propagates, or one is raised), so nothing in it can commit.
    """

    def __init__(self, lock_id=None, shared=False, wait=True, using=None, xact=False,
                 timeout=None, side_effect=Return):
        if side_effect not in _SIDE_EFFECTS:
            raise ValueError("side_effect must be pglocks.Return, pglocks.Raise or pglocks.Skip")
        if timeout is not None and not wait:
            raise ValueError("timeout needs wait=True (wait=False is a try, and so is timeout=0)")
        ms = _milliseconds(timeout)
        check_using(using)
        self.lock_id = lock_id
        self.shared = shared
        self.wait = wait and ms != 0  # a timeout of 0 is a try
        self.timeout = timeout if self.wait else None
        self._ms = ms if self.wait else None
        self.using = using
        self.xact = xact
        self.side_effect = _SIDE_EFFECTS[side_effect]
        if lock_id is not None:
            lock_args(lock_id)  # a bad key fails here, not at first use
        self._blocks = threading.local()  # this thread's blocks of this object, innermost last

    def __call__(self, func):
        lock = self
        if lock.lock_id is None:
            lock = advisory_lock("%s.%s" % (func.__module__, func.__qualname__), self.shared,
                                 self.wait, self.using, self.xact, self.timeout, self.side_effect)

        @functools.wraps(func)
        def locked(*args, **kwargs):
            with _Block(lock, skip=True) as acquired:
                if acquired is Skip:
                    return None
                return func(*args, **kwargs)

        return locked

    def __enter__(self):
        if self.side_effect is Skip:
            raise ValueError("side_effect=pglocks.Skip only works on a decorated function")
        block = _Block(self, skip=False)
        acquired = block.__enter__()
        self._blocks.__dict__.setdefault("stack", []).append(block)
        return acquired

    def __exit__(self, *exc):
        return self._blocks.stack.pop().__exit__(*exc)


class _Block:
    """One use of an advisory_lock."""

    def __init__(self, lock, skip):
        self.lock = lock
        self.skip = skip
        self.hold = None

    def __enter__(self):
        lock = self.lock
        if lock.lock_id is None:
            raise ValueError("advisory_lock needs a lock_id (only a decorator has a default)")
        placeholders, params, arity = lock_args(lock.lock_id)
        session = Session(lock.using)
        statements = Statements(placeholders, arity, lock.shared)
        if lock.xact and session.autocommit() and session.status() != INTRANS:
            raise ValueError("xact=True needs an open transaction: "
                             "a transaction lock would end with the statement that takes it")
        timed = lock._ms is not None
        sql = statements.lock(wait=lock.wait, xact=lock.xact, timed=timed)
        take_params = (lock._ms,) + params if timed else params
        if lock.xact:
            acquired = take_xact(session, sql, take_params, lock.wait, timed)
        else:
            hold = Hold(session, statements.unlock, statements.leftover, params)
            acquired = hold.take(sql, take_params, lock.wait, timed)
            self.hold = hold if acquired else None
        if not acquired:
            if lock.side_effect is Raise:
                error = _django_lock_not_acquired() if session.django else LockNotAcquired
                raise error("could not acquire advisory lock %r" % (lock.lock_id,))
            if lock.side_effect is Skip and self.skip:
                return Skip
        return acquired

    def __exit__(self, exc_type, exc, tb):
        hold, self.hold = self.hold, None
        if hold is not None:
            released = hold.release(body_failed=exc_type is not None)
            if not released and exc_type is None:
                raise RuntimeError("advisory lock %r was no longer held at the end of the block "
                                   "(released inside it?)" % (self.lock.lock_id,))
        return False
