"""The connection side of a session lock held across a block: take it, and
give it back however the block ends, without ever letting a transaction the
block aborted commit.

Inside a transaction the lock is taken after a savepoint of ours. If the block
leaves the transaction aborted, the savepoint is rolled back to so that the
unlock can run, and the transaction is then aborted again on purpose: its
owner must still roll it back, and nothing done in it can commit.
"""

import contextlib
import itertools
import weakref

# libpq's PQtransactionStatus, as psycopg (3) and psycopg2 report it
IDLE, INTRANS, INERROR = 0, 2, 3

_savepoint_names = itertools.count(1)
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


class Session:
    """A Django database alias (queries go through Django's cursor, and its
    exceptions are django.db's) or a psycopg / psycopg2 connection."""

    def __init__(self, using):
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

    def run(self, *statements, driver=False):
        """Run (sql, params) statements in turn, as one round trip where the
        driver interpolates parameters itself; the last one's first row.
        ``driver``: on the driver's connection, also under a Django atomic
        block that an error has marked for rollback."""
        cursor = (self.driver if driver or not self.django else self.django).cursor()
        try:
            if len(statements) > 1 and _interpolates(cursor):
                statements = (("; ".join(sql for sql, _ in statements),
                               tuple(p for _, params in statements for p in params)),)
            for sql, params in statements:
                cursor.execute(sql, params)
            return cursor.fetchone() if cursor.description else None
        finally:
            cursor.close()


def _interpolates(cursor):
    """psycopg2's cursors, and psycopg's ClientCursor (Django's default),
    send one query string that may hold several statements."""
    raw = getattr(cursor, "cursor", cursor)  # under Django's CursorWrapper
    return type(raw).__module__.startswith("psycopg2") or type(raw).__name__ == "ClientCursor"


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

    def take(self, lock, params):
        """Run the lock statement and return its first row, counting the
        hold (not_taken takes it back). In a transaction, a savepoint of ours
        is taken first."""
        session = self.session
        before = ()
        status = session.status()
        if status == INTRANS or (status == IDLE and not session.autocommit()):
            self.savepoint = "pglocks_%d" % next(_savepoint_names)
            before = (("SELECT pg_catalog.set_config(%s::text, pg_catalog.concat_ws(',', "
                       "NULLIF(pg_catalog.current_setting(%s::text, true), ''), %s::text), true)",
                       (_MARK, _MARK, self.savepoint)),
                      ("SAVEPOINT " + self.savepoint, ()))
        try:
            row = session.run(*before, (lock + self.comment, params))
        except BaseException:
            # An error (a cancel, statement_timeout, Ctrl-C) can end a wait
            # just as the lock is granted: the session holds it all the
            # same. If it held none in this mode before (then it would have
            # been granted at once, with no wait to interrupt), a hold found
            # now is that one.
            if not self._holds.get(self._key) and (self.savepoint or session.status() == IDLE):
                with contextlib.suppress(Exception):  # the error to report is the first one
                    self._give_back(self.leftover, body_failed=True)
            raise
        self._holds[self._key] = self._holds.get(self._key, 0) + 1
        return row

    def _forget(self):
        count = self._holds.pop(self._key, 0)
        if count > 1:
            self._holds[self._key] = count - 1

    def not_taken(self):
        """The lock was busy: drop the savepoint taken for it."""
        self._forget()
        if self.savepoint and self.session.status() == INTRANS:
            self.session.run(("RELEASE SAVEPOINT " + self.savepoint, ()),
                             driver=self.session.refused_by_django())

    def release(self, body_failed):
        """Give the lock back at the end of the block and return the unlock's
        result. Raises if the block left the transaction aborted, unless the
        block's own exception is on its way."""
        self._forget()
        return self._give_back(self.unlock, body_failed)

    def _give_back(self, unlock, body_failed):
        session = self.session
        status = session.status()
        if status == INERROR:
            return self._give_back_aborted(unlock, body_failed)
        driver = session.refused_by_django()
        if not (self.savepoint and status == INTRANS):
            return session.run((unlock + self.comment, self.params), driver=driver)[0]
        # the unlock first, then our savepoint if it is still there: the
        # block may have committed, rolled back, or rolled back to an older
        # savepoint
        released, mark = session.run(
            ("SELECT (" + unlock + "), pg_catalog.current_setting(%s, true)" + self.comment,
             self.params + (_MARK,)), driver=driver)
        savepoints = (mark or "").split(",")
        if self.savepoint in savepoints:
            savepoints.remove(self.savepoint)
            session.run(("RELEASE SAVEPOINT " + self.savepoint, ()),
                        ("SELECT pg_catalog.set_config(%s, %s, true)", (_MARK, ",".join(savepoints))),
                        driver=driver)
        return released

    def _give_back_aborted(self, unlock, body_failed):
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
        released = session.run((unlock + self.comment, self.params), driver=True)[0]
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
        return released


def _as_django(session, error):
    """A driver error as Django's cursor would have raised it."""
    if session.django is None:
        return error
    try:
        with session.django.wrap_database_errors:
            raise error
    except Exception as wrapped:
        return wrapped
