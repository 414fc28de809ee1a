"""A drop-in for django-pglocks 1.x: ``from pglocks.django_pglocks import
advisory_lock`` in place of ``from django_pglocks import advisory_lock``.

The same lock ids (a string's CRC-32, as django-pglocks 1.x computes it),
keys, arguments, errors and queries (through Django's cursor, so
CaptureQueriesContext sees them), with one difference on purpose: the lock is
released also when the block leaves the transaction aborted (django-pglocks
leaves it held until the session ends). The transaction then stays aborted,
and an error is raised if the block's own exception is not on its way, as
django-pglocks' failing unlock did: nothing in it can commit.
"""

import contextlib
import inspect

from ._ids import crc32_key_id
from ._session import Hold, Session
from ._statements import Statements

__all__ = ["advisory_lock"]


def _lock_args(lock_id):
    """django-pglocks' checks and ids: a bool is an int (True is 1); ints are
    passed through unchecked, so one out of range fails in the server as it
    does there."""
    if isinstance(lock_id, (list, tuple)):
        if len(lock_id) != 2:
            raise ValueError("Tuples and lists as lock IDs must have exactly two entries.")
        if not isinstance(lock_id[0], int) or not isinstance(lock_id[1], int):
            raise ValueError("Both members of a tuple/list lock ID must be integers")
        return "%s, %s", (int(lock_id[0]), int(lock_id[1])), 2
    if isinstance(lock_id, str):
        return "%s", (crc32_key_id(lock_id),), 1
    if not isinstance(lock_id, int):
        raise ValueError("Cannot use %s as a lock id" % (lock_id,))
    return "%s", (int(lock_id),), 1


def _comment(lock_id, comment):
    """django-pglocks 1.1's comment: the lock id and the calling line,
    appended to the lock and unlock statements; by default when
    settings.ADVISORY_LOCK_COMMENT (or else settings.DEBUG) is true."""
    if comment is None:
        from django.conf import settings

        comment = getattr(settings, "ADVISORY_LOCK_COMMENT", None)
        if comment is None:
            comment = getattr(settings, "DEBUG", False)
    if not comment:
        return ""
    for frame in inspect.stack()[1:]:
        module = frame.frame.f_globals.get("__name__", "")
        if module != __name__ and module != "contextlib":
            where = " @ %s:%d" % (frame.filename, frame.lineno)
            break
    else:
        where = ""
    text = ("%r%s" % (lock_id, where)).replace("\n", " ").replace("\r", " ")
    return " -- " + text.replace("%", "%%")  # the statements have parameters


def _using_and_comment(rest, using, comment):
    """The fourth and fifth positional arguments: 1.0's ``using`` (an alias,
    a string), or 1.1's ``comment`` (a flag) and ``using``."""
    if len(rest) > 2:
        raise TypeError("advisory_lock() takes at most 5 positional arguments")
    if len(rest) == 2:
        return rest[1], rest[0]
    if rest and isinstance(rest[0], str):
        return rest[0], comment
    if rest:
        return using, rest[0]
    return using, comment


@contextlib.contextmanager
def advisory_lock(lock_id, shared=False, wait=True, *rest, using=None, comment=None):
    """django-pglocks' advisory_lock(lock_id, shared=False, wait=True,
    using=None), also with 1.1's ``comment`` (given before ``using`` there).
    ``using`` is a database alias (default: Django's default)."""
    using, comment = _using_and_comment(rest, using, comment)
    placeholders, params, arity = _lock_args(lock_id)
    from django.db import DEFAULT_DB_ALIAS

    session = Session(DEFAULT_DB_ALIAS if using is None else using)
    statements = Statements(placeholders, arity, shared)
    hold = Hold(session, statements.unlock, statements.leftover, params, _comment(lock_id, comment))
    try:
        acquired = hold.take(statements.lock(wait=wait), params, wait)
    except Exception:
        hold.abort_again()  # as the failed lock statement leaves it in django-pglocks
        raise
    if not acquired:
        yield acquired
        return
    try:
        yield acquired
    except BaseException:
        hold.release(body_failed=True)
        raise
    hold.release(body_failed=False)
