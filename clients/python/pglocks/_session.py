"""The connection side of a lock: a session lock held across a block, taken
and given back however the block ends, without ever letting a transaction the
block aborted commit; and a transaction lock, taken inside a savepoint.

Inside a transaction the lock is taken after a savepoint of ours. If the block
leaves the transaction aborted, the savepoint is rolled back to so that the
unlock can run, and the transaction is then aborted again on purpose: its
owner must still roll it back, and nothing done in it can commit.
"""

import contextlib
import itertools
import sys
import weakref

from ._statements import RESTORE_LOCK_TIMEOUT

# libpq's PQtransactionStatus, as psycopg (3) and psycopg2 report it
IDLE, INTRANS, INERROR = 0, 2, 3

_savepoint_names = itertools.count(1)
_LOCK_NOT_AVAILABLE = "55P03"  # what running out of lock_timeout raises
# A transaction-local setting that lists our savepoints that exist,
# comma-separated, innermost last: each is added just before it is taken, so
# that it goes away with the transaction, and with any ROLLBACK TO a savepoint
# older than it (which destroys it too), and removed when it is released. The
# RELEASE of a savepoint older than ours also destroys ours, but keeps the
# setting: that is the one misuse that still ends in an error (README).
_MARK = "pglocks_client.savepoints"

# The holds each connection has through this module:
# connection -> {(unlock statement, key parameters): count}
_holds = weakref.WeakKeyDictionary()

_REABORT = (
    "DO $pglocks$ BEGIN RAISE EXCEPTION USING ERRCODE = 'in_failed_sql_transaction', "
    "MESSAGE = 'the transaction was aborted inside an advisory lock''s block', "
    "HINT = 'The lock has been released; roll the transaction back.'; END $pglocks$")


# The connection classes, by the module that defines them: a connection's
# driver is imported already, so checking one imports nothing.
_CONNECTIONS = (("psycopg", "Connection"), ("psycopg2.extensions", "connection"))


def check_using(using):
    """A lock belongs to one server session: ``using`` must be a Django
    database alias (None: the default) or one psycopg / psycopg2 connection;
    anything else, such as a pool, is refused before any query."""
    if using is None or isinstance(using, str) or any(
            isinstance(using, getattr(sys.modules[module], name))
            for module, name in _CONNECTIONS if module in sys.modules):
        return
    raise TypeError("using must be a Django database alias or a psycopg / psycopg2 connection, "
                    "not %s: a lock belongs to one session (take a connection from a pool, and "
                    "pass that)" % type(using).__name__)


class Session:
    """A Django database alias (queries go through Django's cursor, and its
    exceptions are django.db's) or a psycopg / psycopg2 connection."""

    def __init__(self, using):
        check_using(using)
        if using is None or isinstance(using, str):
            from django.db import DEFAULT_DB_ALIAS, connections

            self.django = connections[DEFAULT_DB_ALIAS if using is None else using]
            self.django.ensure_connection()
            self.driver = self.django.connection
        else:
            self.django = None
            self.driver = using

    def status(self):
        info = getattr(self.driver, "info", None)  # psycopg (3), and psycopg2 >= 2.8
        status = getattr(info, "transaction_status", None)
        return int(status) if status is not None else self.driver.get_transaction_status()

    def autocommit(self):
        return self.django.get_autocommit() if self.django else self.driver.autocommit

    def in_atomic_block(self):
        return self.django is not None and self.django.in_atomic_block

    def refused_by_django(self):
        """Django runs no query in an atomic block marked for rollback (its
        body's error, or set_rollback): ours then go to the driver."""
        return self.django is not None and self.django.needs_rollback

    def check_open(self):
        """Raise what Django's cursor would for a query in an atomic block
        marked for rollback, before a savepoint of ours is counted on."""
        if self.django is not None:
            self.django.validate_no_broken_transaction()

    def run(self, *statements, driver=False):
        """Run (sql, params) statements in turn, as one round trip where the
        driver interpolates parameters itself; the last one's first row.
        ``driver``: on the driver's connection, also under a Django atomic
        block that an error has marked for rollback."""
        cursor = (self.driver if driver or not self.django else self.django).cursor()
        try:
            joined = len(statements) > 1 and _interpolates(cursor)
            if joined:
                statements = (("; ".join(sql for sql, _ in statements),
                               tuple(p for _, params in statements for p in params)),)
            for sql, params in statements:
                cursor.execute(sql, params)
            if joined and not _is_psycopg2(cursor):
                # psycopg (3) keeps each statement's result, and shows the
                # first one: move on to the last one's (psycopg2 only has it)
                while cursor.nextset():
                    pass
            return cursor.fetchone() if cursor.description else None
        finally:
            cursor.close()


def _new_savepoint():
    return "pglocks_%d" % next(_savepoint_names)


def _sqlstate(error):
    for e in (error, error.__cause__):  # Django raises the driver's error as its cause
        code = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)  # psycopg, psycopg2
        if code:
            return code
    return None


def _timed_out(error, timed, back_out):
    """After a failed lock statement: back_out(), and whether the error was
    a timed lock running out (55P03: not acquired). For any other error, the
    one to report is that error, not back_out's."""
    if timed and _sqlstate(error) == _LOCK_NOT_AVAILABLE:
        back_out()
        return True
    with contextlib.suppress(Exception):
        back_out()
    return False


def _rollback_to(session, savepoint):
    session.run(("ROLLBACK TO SAVEPOINT " + savepoint, ()), ("RELEASE SAVEPOINT " + savepoint, ()),
                driver=True)


def take_xact(session, lock, params, wait=True, timed=False):
    """Take a transaction lock inside a savepoint of ours, and return whether
    it was taken. Released, the savepoint hands the lock to the transaction;
    rolled back to, after a busy try or a failed lock statement, it leaves
    nothing (a lock granted as the statement failed belongs to it). ``timed``:
    the statement sets lock_timeout, restored once the lock is granted."""
    session.check_open()
    savepoint = _new_savepoint()
    try:
        row = session.run(("SAVEPOINT " + savepoint, ()), (lock, params))
    except BaseException as error:
        if _timed_out(error, timed, lambda: _rollback_to(session, savepoint)):
            return False
        raise
    if not wait and not row[0]:
        _rollback_to(session, savepoint)
        return False
    session.run(("RELEASE SAVEPOINT " + savepoint, ()),
                *([(RESTORE_LOCK_TIMEOUT, (row[0],))] if timed else []))
    return True


def _is_psycopg2(cursor):
    raw = getattr(cursor, "cursor", cursor)  # under Django's CursorWrapper
    return type(raw).__module__.startswith("psycopg2")


def _interpolates(cursor):
    """psycopg2's cursors, and psycopg's ClientCursor (Django's default),
    send one query string that may hold several statements."""
    raw = getattr(cursor, "cursor", cursor)  # under Django's CursorWrapper
    return _is_psycopg2(raw) or isinstance(raw, _client_cursor())


def _client_cursor():
    psycopg = sys.modules.get("psycopg")
    return getattr(psycopg, "ClientCursor", ()) if psycopg else ()


class Hold:
    """A session lock held across a block. ``unlock`` gives it back and
    ``leftover`` gives back a hold of it found in pg_locks (for a grant that
    raced with an error); both take ``params`` and return one boolean;
    ``comment`` ends every lock and unlock statement."""

    def __init__(self, session, unlock, leftover, params, comment=""):
        self.session = session
        self.unlock = unlock
        self.leftover = leftover
        self.params = params
        self.comment = comment
        self.savepoint = None
        self._key = (unlock, params)
        self._holds = _holds.setdefault(session.driver, {})

    def take(self, lock, params, wait=True, timed=False):
        """Run the lock statement, count the hold if it was taken, and return
        whether it was. In a transaction, a savepoint of ours is taken first.
        ``timed``: the statement sets lock_timeout (restored in a transaction
        once the lock is granted); running out of it is "not taken"."""
        session = self.session
        session.check_open()
        before = ()
        status = session.status()
        if status == INTRANS or (status == IDLE and not session.autocommit()):
            self.savepoint = _new_savepoint()
            before = (("SELECT pg_catalog.set_config(%s::text, pg_catalog.concat_ws(',', "
                       "NULLIF(pg_catalog.current_setting(%s::text, true), ''), %s::text), true)",
                       (_MARK, _MARK, self.savepoint)),
                      ("SAVEPOINT " + self.savepoint, ()))
        held = self._holds.get(self._key, 0)
        try:
            row = session.run(*before, (lock + self.comment, params))
        except BaseException as error:
            if _timed_out(error, timed, lambda: self._back_out(held)):
                return False
            raise
        if not wait and not row[0]:  # busy
            if self.savepoint:
                session.run(("RELEASE SAVEPOINT " + self.savepoint, ()))
            return False
        if timed and self.savepoint:
            try:
                session.run((RESTORE_LOCK_TIMEOUT, (row[0],)))
            except BaseException:
                # interrupted (Ctrl-C, a cancel) with the lock held: back to
                # our savepoint (and the caller's lock_timeout), and give it back
                with contextlib.suppress(Exception):
                    _rollback_to(session, self.savepoint)
                    session.run((self.unlock + self.comment, self.params), driver=True)
                raise
        self._holds[self._key] = held + 1
        return True

    def _back_out(self, held):
        """After a failed lock statement: our savepoint is rolled back to.
        An error (a cancel, statement_timeout, lock_timeout, Ctrl-C) can end
        a wait just as the lock is granted: the session holds it all the
        same. If it held none in this mode before (then it would have been
        granted at once, with no wait to interrupt), a hold found now is that
        one, and is given back."""
        if self.savepoint:
            _rollback_to(self.session, self.savepoint)
        if not held:
            self.session.run((self.leftover + self.comment, self.params), driver=True)

    def abort_again(self):
        """After a failed lock statement in a transaction: abort it on
        purpose, as the failure alone would have (the drop-in's way)."""
        if self.savepoint and self.session.status() == INTRANS:
            self._abort_again(body_failed=True)

    def _forget(self):
        count = self._holds.pop(self._key, 0)
        if count > 1:
            self._holds[self._key] = count - 1

    def release(self, body_failed):
        """Give the lock back at the end of the block and return the unlock's
        result. Raises if the block left the transaction aborted, unless the
        block's own exception is on its way."""
        self._forget()
        session = self.session
        status = session.status()
        if status == INERROR:
            return self._give_back_aborted(body_failed)
        driver = session.refused_by_django()
        if not (self.savepoint and status == INTRANS):
            return session.run((self.unlock + self.comment, self.params), driver=driver)[0]
        # the unlock first, then our savepoint if it is still there: the
        # block may have committed, rolled back, or rolled back to an older
        # savepoint
        released, mark = session.run(
            ("SELECT (" + self.unlock + "), pg_catalog.current_setting(%s::text, true)" + self.comment,
             self.params + (_MARK,)), driver=driver)
        savepoints = (mark or "").split(",")
        if self.savepoint in savepoints:
            savepoints.remove(self.savepoint)
            session.run(("RELEASE SAVEPOINT " + self.savepoint, ()),
                        ("SELECT pg_catalog.set_config(%s::text, %s::text, true)",
                         (_MARK, ",".join(savepoints))),
                        driver=driver)
        return released

    def _give_back_aborted(self, body_failed):
        session = self.session
        restored = False
        if self.savepoint:
            try:
                session.run(("ROLLBACK TO SAVEPOINT " + self.savepoint, ()),
                            ("RELEASE SAVEPOINT " + self.savepoint, ()), driver=True)
                restored = True
            except Exception:  # gone: the block ended the transaction it was in
                pass
        if not restored:
            # a transaction the block began, lost anyway: not ours to save
            session.run(("ROLLBACK", ()), driver=True)
        released = session.run((self.unlock + self.comment, self.params), driver=True)[0]
        self._abort_again(body_failed)
        return released

    def _abort_again(self, body_failed):
        """Abort the transaction on purpose (beginning one if the block ended
        its own): its owner must still roll it back, and nothing in it can
        commit. The error is raised unless the block's own is on its way."""
        session = self.session
        if session.status() == IDLE:
            session.run(("BEGIN", ()), driver=True)
        error = None
        try:
            session.run((_REABORT, ()), driver=True)
        except Exception as reabort:
            error = reabort
        if session.in_atomic_block():
            from django.db import transaction

            transaction.set_rollback(True, using=session.django.alias)
        if error is not None and not body_failed:
            raise _as_django(session, error)


def _as_django(session, error):
    """A driver error as Django's cursor would have raised it."""
    if session.django is None:
        return error
    try:
        with session.django.wrap_database_errors:
            raise error
    except Exception as wrapped:
        return wrapped
