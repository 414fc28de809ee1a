#!/usr/bin/python3
"""Stress soak: concurrent clients hammer pglocks while a chaos thread cancels
and terminates them; then the run is checked for overlap, lost updates, leaked
locks, unexpected errors and server crashes.

Besides single keys, the clients take the slots of small semaphores and sets
of several keys at once. A semaphore's holders are counted without pg_locks:
live, in a table (soak.sem_holder), and afterwards from the holders' own
start and end reports: never more holders than slots, never two on one
slot. Sets of keys are checked for deadlocks (there must be none), for
all-or-nothing and, through their bodies' reports, for overlap.

Connects with libpq's environment (PGHOST, PGPORT, PGUSER, ...) as a superuser,
so that the chaos thread may cancel and terminate the clients.
"""

import argparse
import collections
import itertools
import random
import re
import sys
import threading
import time

import psycopg
from psycopg import errors, pq

KEYS = ["soak:a", "soak:b", "soak:c", "soak:d"]
# The sets of keys are drawn from KEYS (so they overlap the single-key
# workers too) and a few more.
KEY_POOL = KEYS + ["soak:e", "soak:f", "soak:g", "soak:h"]
MAX_SET = 6
# Semaphores and their slots.
SEMAPHORES = {"soak:sem2": 2, "soak:sem3": 3}
# How long a client holds a slot at most (seconds): long enough that the
# semaphores fill up and callers find them busy.
SLOT_HOLD = 0.015
# Every key's id (pglocks.key_id), read from the server at the start: the
# bigint forms of the calls take these, so they lock what the text forms lock.
KEY_IDS = {}
STATEMENT_TIMEOUT_MS = 300
# Well below statement_timeout, so that a deadlock would be reported (40P01,
# which is never expected) rather than canceled by the timeout.
DEADLOCK_TIMEOUT_MS = 50
# SQLSTATEs a client may see: the body's own RAISE, query cancel and
# statement_timeout, and pg_terminate_backend.
# 55P03 (on_busy => 'error') is expected only by the calls that ask for it,
# and deadlock_detected (40P01) never: sets of keys are taken in one order.
EXPECTED_SQLSTATES = {"P0001", "57014", "57P01"}
CONNECTION_LOST = "connection lost"
# The soak's own checks in the server raise this when they catch a violation.
VIOLATION = "SK001"

SETUP = """
CREATE EXTENSION IF NOT EXISTS pglocks;
DROP SCHEMA IF EXISTS soak CASCADE;
CREATE SCHEMA soak;
CREATE TABLE soak.counter (k text PRIMARY KEY, v bigint NOT NULL);
CREATE TABLE soak.rmw_log (call_id bigint PRIMARY KEY, k text NOT NULL);

-- The body under test: reports when it starts and ends (as NOTICEs, which
-- reach the client even if the statement later fails), then does its action.
CREATE FUNCTION soak.body(k text, call_id bigint, mode text, action text)
RETURNS int LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    seen bigint;
BEGIN
    RAISE NOTICE 'soak start % % % %', call_id, k, mode, soak.now_us();
    CASE action
    WHEN 'rmw' THEN
        -- read-modify-write with a gap: loses updates unless serialized
        SELECT v INTO seen FROM soak.counter WHERE counter.k = body.k;
        PERFORM pg_sleep(0.001);
        UPDATE soak.counter SET v = seen + 1 WHERE counter.k = body.k;
        INSERT INTO soak.rmw_log VALUES (call_id, k);
    WHEN 'sleep' THEN
        PERFORM pg_sleep(random() * 0.004);
    WHEN 'overrun' THEN
        PERFORM pg_sleep(1);  -- past statement_timeout: canceled in here
    ELSE
        NULL;
    END CASE;
    RAISE NOTICE 'soak end % % % %', call_id, k, mode, soak.now_us();
    IF action = 'raise' THEN
        RAISE EXCEPTION 'soak body raised on purpose';
    END IF;
    RETURN 1;
END $$;

CREATE FUNCTION soak.named_body() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    args text[] := string_to_array(current_setting('soak.args'), ' ');
BEGIN
    RETURN soak.body(args[1], args[2]::bigint, 'X', args[3]);
END $$;

CREATE FUNCTION soak.now_us() RETURNS bigint LANGUAGE sql VOLATILE
AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint $$;

-- A body under several keys (each reported, for the overlap check).
CREATE FUNCTION soak.multi_body(keys text[], call_id bigint, mode text, action text)
RETURNS int LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    k text;
BEGIN
    FOREACH k IN ARRAY keys LOOP
        RAISE NOTICE 'soak start % % % %', call_id, k, mode, soak.now_us();
    END LOOP;
    IF action = 'sleep' THEN
        PERFORM pg_sleep(random() * 0.004);
    ELSIF action = 'overrun' THEN
        PERFORM pg_sleep(1);  -- past statement_timeout: canceled in here
    END IF;
    FOREACH k IN ARRAY keys LOOP
        RAISE NOTICE 'soak end % % % %', call_id, k, mode, soak.now_us();
    END LOOP;
    IF action = 'raise' THEN
        RAISE EXCEPTION 'soak body raised on purpose';
    END IF;
    RETURN 1;
END $$;

CREATE FUNCTION soak.named_multi_body() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    args text[] := string_to_array(current_setting('soak.args'), ' ');
BEGIN
    RETURN soak.multi_body(args[4:], args[1]::bigint, args[2], args[3]);
END $$;

-- Semaphores, counted without pg_locks. A holder that can commit while it
-- holds its slot (session scope) enters soak.sem_holder in a committed
-- statement of its own right after taking the slot, and leaves it in another
-- before releasing the slot: so at any instant the rows are holders that
-- really hold a slot. Entering locks the semaphore's row until it commits, so
-- each entrant sees every holder that entered before it. A holder that cannot
-- commit in between (a transaction's slot, a with_semaphore body) enters
-- without a row of its own: it checks only the holders that have one. A
-- terminated holder's row is deleted by the chaos thread (see terminate()).
CREATE TABLE soak.semaphore (k text PRIMARY KEY, slots int NOT NULL);
CREATE TABLE soak.sem_holder (
    call_id bigint PRIMARY KEY,
    k text NOT NULL,
    slot int NOT NULL,
    pid int NOT NULL);

CREATE FUNCTION soak.sem_enter(k text, call_id bigint, slot int, publish bool)
RETURNS int LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    cap int;
    holders int;
    listed text;
BEGIN
    -- first, so that the check after the run sees this hold even if the
    -- checks below fail it
    RAISE NOTICE 'soak slot start % % % %', call_id, k, coalesce(slot::text, '?'), soak.now_us();
    IF publish THEN
        SELECT s.slots INTO cap FROM soak.semaphore AS s WHERE s.k = sem_enter.k FOR NO KEY UPDATE;
        INSERT INTO soak.sem_holder VALUES (call_id, k, slot, pg_backend_pid());
    ELSE
        -- blocks only while the chaos thread cleans up after a termination
        SELECT s.slots INTO cap FROM soak.semaphore AS s WHERE s.k = sem_enter.k FOR KEY SHARE;
    END IF;
    SELECT count(*) + CASE WHEN publish THEN 0 ELSE 1 END,
           string_agg(format('call %s slot %s pid %s', h.call_id, h.slot, h.pid), ', ')
    INTO holders, listed
    FROM soak.sem_holder AS h WHERE h.k = sem_enter.k;
    IF holders > cap THEN
        RAISE EXCEPTION 'semaphore % has % slots but % holders at once (call % on slot %; rows: %)',
            k, cap, holders, call_id, coalesce(slot::text, '?'), listed USING ERRCODE = 'SK001';
    END IF;
    IF slot < 0 OR slot >= cap THEN
        RAISE EXCEPTION 'semaphore % has % slots but call % got slot %', k, cap, call_id, slot
            USING ERRCODE = 'SK001';
    END IF;
    IF EXISTS (SELECT FROM soak.sem_holder AS h
               WHERE h.k = sem_enter.k AND h.slot = sem_enter.slot AND h.call_id <> sem_enter.call_id) THEN
        RAISE EXCEPTION 'semaphore %: call % got slot % while another holder has it (rows: %)',
            k, call_id, slot, listed USING ERRCODE = 'SK001';
    END IF;
    RETURN holders;
END $$;

CREATE FUNCTION soak.sem_leave(k text, call_id bigint, slot int)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE NOTICE 'soak slot end % % % %', call_id, k, coalesce(slot::text, '?'), soak.now_us();
    DELETE FROM soak.sem_holder AS h WHERE h.call_id = sem_leave.call_id;
END $$;

-- with_semaphore's body: its slot is unknown, it can only check the others.
CREATE FUNCTION soak.sem_body(k text, call_id bigint, action text)
RETURNS int LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM soak.sem_enter(k, call_id, NULL, false);
    IF action = 'sleep' THEN
        PERFORM pg_sleep(random() * 0.015);
    ELSIF action = 'overrun' THEN
        PERFORM pg_sleep(1);
    END IF;
    PERFORM soak.sem_leave(k, call_id, NULL);
    IF action = 'raise' THEN
        RAISE EXCEPTION 'soak body raised on purpose';
    END IF;
    RETURN 1;
END $$;

CREATE FUNCTION soak.named_sem_body() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    args text[] := string_to_array(current_setting('soak.args'), ' ');
BEGIN
    RETURN soak.sem_body(args[1], args[2]::bigint, args[3]);
END $$;
"""

BODY = "'soak.body(text,bigint,text,text)'::regprocedure"
MULTI_BODY = "'soak.multi_body(text[],bigint,text,text)'::regprocedure"
SEM_BODY = "'soak.sem_body(text,bigint,text)'::regprocedure"
NOTICE = re.compile(r"^soak (start|end) (\d+) (\S+) ([SX]) (\d+)$")
SLOT_NOTICE = re.compile(r"^soak slot (start|end) (\d+) (\S+) (\d+|\?) (\d+)$")
# A session's advisory locks by kind, from pg_locks' objsubid: 1 and 2 a
# lock, 3 a semaphore's gate, 4 and up its slots.
HELD_BY_KIND = """SELECT count(*) FILTER (WHERE objsubid < 3), count(*) FILTER (WHERE objsubid = 3),
    count(*) FILTER (WHERE objsubid >= 4) FROM pg_locks WHERE locktype = 'advisory'"""


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = collections.Counter()
        self.errors = collections.Counter()
        self.unexpected = []
        self.leaks = []
        self.committed_rmw = set()
        self.violations = []  # the semaphore and key-set checks' findings
        self.outcomes = collections.Counter()  # what the new calls returned
        self.cancels = 0
        self.terminations = 0
        self.reconnects = 0
        self.granted_then_canceled = 0

    def add(self, field, value):
        with self.lock:
            getattr(self, field).append(value)

    def count(self, outcome):
        with self.lock:
            self.outcomes[outcome] += 1


class Client(threading.Thread):
    """One session running random pglocks operations until the deadline."""

    def __init__(self, number, dsn, deadline, stats, ids, events, slot_events):
        super().__init__(name=f"client{number}", daemon=True)
        self.dsn = dsn
        self.deadline = deadline
        self.stats = stats
        self.ids = ids
        self.events = events  # (call_id, key, mode, kind, us) from NOTICEs
        self.slot_events = slot_events  # (call_id, key, slot, kind, us) from NOTICEs
        self.rng = random.Random(number)
        self.pid = None
        self.terminated = threading.Event()  # set by the chaos thread
        self.conn = None

    def connect(self):
        self.conn = psycopg.connect(self.dsn, autocommit=True)
        self.conn.add_notice_handler(self.on_notice)
        self.conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
        self.conn.execute(f"SET deadlock_timeout = {DEADLOCK_TIMEOUT_MS}")
        self.pid = self.conn.info.backend_pid

    def on_notice(self, diag):
        m = NOTICE.match(diag.message_primary or "")
        if m:
            kind, call_id, key, mode, us = m.groups()
            self.events.append((int(call_id), key, mode, kind, int(us)))
        m = SLOT_NOTICE.match(diag.message_primary or "")
        if m:
            kind, call_id, key, slot, us = m.groups()
            self.slot_events.append((int(call_id), key, None if slot == "?" else int(slot),
                                     kind, int(us)))

    def run(self):
        self.connect()
        operations = [self.with_lock, self.with_lock_timeout, self.with_xact_rmw,
                      self.lock_unlock, self.xact_lock_rmw, self.try_with_lock,
                      self.acquire_release_slot, self.xact_acquire_slot, self.with_semaphore,
                      self.lock_all_unlock, self.xact_lock_all, self.with_locks]
        while time.monotonic() < self.deadline:
            op = self.rng.choice(operations)
            key = self.rng.choice(KEYS)
            call_id = next(self.ids)
            with self.stats.lock:
                self.stats.calls[op.__name__] += 1
            try:
                op(key, call_id)
            except psycopg.Error as e:
                if not self.failed(e, op.__name__):
                    return
            if not self.check_no_locks(op.__name__):
                return

    def failed(self, e, what):
        """Record a failed call; reconnect if the session is gone. False when
        the client cannot go on."""
        state = e.sqlstate or CONNECTION_LOST
        with self.stats.lock:
            self.stats.errors[state] += 1
        if state == VIOLATION:
            self.stats.add("violations", f"{what}: {e.diag.message_primary}")
            return True
        lost = self.conn.closed or self.conn.broken
        expected = state in EXPECTED_SQLSTATES or (state == CONNECTION_LOST and lost)
        if state in ("57P01", CONNECTION_LOST) and not self.terminated.is_set():
            expected = False
        if not expected:
            self.stats.add("unexpected", f"{what}: {state}: {e}")
        if not lost:
            self.end_failed_transaction()
        if lost:
            self.terminated.clear()
            with self.stats.lock:
                self.stats.reconnects += 1
            try:
                self.connect()
            except psycopg.Error as again:
                self.stats.add("unexpected", f"reconnect: {again}")
                return False
        return True

    def end_failed_transaction(self):
        """psycopg's transaction block ignores an error in the ROLLBACK it
        sends on the way out: a stray cancel landing on that ROLLBACK leaves
        the session in a failed transaction. End it."""
        while self.conn.info.transaction_status == pq.TransactionStatus.INERROR:
            try:
                self.conn.rollback()
            except errors.QueryCanceled:
                continue

    def action(self):
        return self.rng.choices(["ok", "sleep", "raise", "overrun"], [40, 40, 15, 5])[0]

    def execute(self, sql, params=()):
        return self.conn.execute(sql, params).fetchone()

    # --- operations -------------------------------------------------------

    def with_lock(self, key, call_id):
        shared = self.rng.random() < 0.3
        mode = "S" if shared else "X"
        self.execute(
            f"SELECT pglocks.with_lock(%s, %s, true, {BODY}, %s::text, %s::bigint, %s::text, %s::text)",
            (key, shared, key, call_id, mode, self.action()))

    def with_lock_timeout(self, key, call_id):
        # The named form takes no arguments for the body: it reads them from
        # settings made in the same statement.
        self.execute(
            "SELECT set_config('soak.args', %s, false),"
            " pglocks.with_lock(key => %s, fn => 'soak.named_body()', timeout => '20ms')",
            (f"{key} {call_id} {self.action()}", key))

    def try_with_lock(self, key, call_id):
        self.execute(
            f"SELECT pglocks.with_lock(%s, false, false, {BODY}, %s::text, %s::bigint, 'X', 'sleep')",
            (key, key, call_id))

    def with_xact_rmw(self, key, call_id):
        self.execute(
            f"SELECT pglocks.with_xact_lock(%s, false, true, {BODY}, %s::text, %s::bigint, 'X', 'rmw')",
            (key, key, call_id))
        self.stats.committed_rmw.add(call_id)

    def xact_lock_rmw(self, key, call_id):
        with self.conn.transaction():
            self.conn.execute("SELECT pglocks.xact_lock(%s)", (key,))
            self.conn.execute(f"SELECT soak.body(%s, %s, 'X', 'rmw')", (key, call_id))
        self.stats.committed_rmw.add(call_id)

    def lock_unlock(self, key, call_id):
        shared = self.rng.random() < 0.3
        mode = "S" if shared else "X"
        try:
            self.execute("SELECT pglocks.lock(%s, %s)", (key, shared))
        except psycopg.Error as e:
            # The lock may have been granted just before the cancel ended the
            # statement, as with pg_advisory_lock: then this session asked for
            # it, and gives it back like careful client code would.
            if not (self.conn.closed or self.conn.broken):
                self.give_back_if_granted(key, shared)
            raise e
        try:
            self.execute("SELECT soak.body(%s, %s, %s, %s)",
                         (key, call_id, mode, self.action()))
        finally:
            if not (self.conn.closed or self.conn.broken):
                self.retry(lambda: self.execute("SELECT pglocks.unlock(%s, %s)", (key, shared)))

    def give_back_if_granted(self, key, shared):
        held = self.retry(lambda: self.execute(
            "SELECT pglocks.is_held(%s, %s)", (key, shared)))[0]
        if held:
            with self.stats.lock:
                self.stats.granted_then_canceled += 1
            self.retry(lambda: self.execute("SELECT pglocks.unlock(%s, %s)", (key, shared)))

    def retry(self, statement):
        """Run a bookkeeping statement, retrying when a stray cancel hits it
        (but not in a transaction block, which the cancel aborted)."""
        while True:
            try:
                return statement()
            except errors.QueryCanceled:
                if self.conn.info.transaction_status != pq.TransactionStatus.IDLE:
                    raise
                continue

    def lost(self):
        return self.conn.closed or self.conn.broken

    def release(self, what, statement):
        """Run a release that must return true. A cancel may end the statement
        after it released, so after one a false is no error (check_no_locks
        still sees anything left)."""
        canceled = False
        while True:
            try:
                released = statement()[0]
                break
            except errors.QueryCanceled:
                canceled = True
        if not released and not canceled:
            self.stats.add("violations", f"{what} returned false")

    # --- semaphores ---------------------------------------------------------

    def semaphore(self):
        """A semaphore, its slots, and its key as text or as its bigint id."""
        key, slots = self.rng.choice(sorted(SEMAPHORES.items()))
        return key, slots, self.key_form(key)

    def key_form(self, key):
        """(placeholder, value): the key as text, or as its bigint id."""
        return ("%s::bigint", KEY_IDS[key]) if self.rng.random() < 0.4 else ("%s::text", key)

    def slot_options(self):
        """How to wait for a slot: forever (statement_timeout cancels), a
        short timeout, not at all, or a timeout with on_busy => 'error'."""
        how = self.rng.choice(["wait", "timeout", "try", "error"])
        return how, {"wait": "", "timeout": ", timeout => '20ms'", "try": ", wait => false",
                     "error": ", timeout => '5ms', on_busy => 'error'"}[how]

    def check_slot(self, what, key, slots, slot):
        if not 0 <= slot < slots:
            self.stats.add("violations", f"{what}: slot {slot} of {key}, which has {slots} slots")

    def acquire_release_slot(self, key, call_id):
        key, slots, (form, arg) = self.semaphore()
        how, options = self.slot_options()
        try:
            slot = self.execute(f"SELECT pglocks.acquire_slot({form}, %s{options})", (arg, slots))[0]
        except errors.LockNotAvailable:
            if how != "error":
                raise
            self.stats.count("acquire_slot busy (55P03)")
            return
        except psycopg.Error as e:
            # as with lock(): the slot may have been taken just before the cancel
            if not self.lost():
                self.give_back_slots(key)
            raise e
        if slot is None:
            self.stats.count("acquire_slot busy (NULL)")
            return
        self.stats.count("acquire_slot slot")
        self.check_slot("acquire_slot", key, slots, slot)
        try:
            # the count, in a committed statement of its own, then the hold
            self.execute("SELECT soak.sem_enter(%s, %s, %s, true)", (key, call_id, slot))
            time.sleep(self.rng.uniform(0, SLOT_HOLD))
        finally:
            if not self.lost():
                # leave the count first, then release: never counted less than held
                self.retry(lambda: self.execute("SELECT soak.sem_leave(%s, %s, %s)",
                                                (key, call_id, slot)))
                form, arg = self.key_form(key)
                self.release(f"release_slot({key}, {slot})", lambda: self.execute(
                    f"SELECT pglocks.release_slot({form}, %s)", (arg, slot)))

    def give_back_slots(self, key):
        held = self.retry(lambda: self.conn.execute(
            "SELECT objsubid - 4 FROM pg_locks WHERE locktype = 'advisory'"
            " AND pid = pg_backend_pid() AND objsubid >= 4 AND granted").fetchall())
        for (slot,) in held:
            with self.stats.lock:
                self.stats.granted_then_canceled += 1
            self.retry(lambda: self.execute("SELECT pglocks.release_slot(%s, %s)", (key, slot)))

    def xact_acquire_slot(self, key, call_id):
        key, slots, (form, arg) = self.semaphore()
        how, options = self.slot_options()
        try:
            with self.conn.transaction():
                slot = self.execute(f"SELECT pglocks.xact_acquire_slot({form}, %s{options})",
                                    (arg, slots))[0]
                if slot is None:
                    self.stats.count("xact_acquire_slot busy (NULL)")
                    return
                self.stats.count("xact_acquire_slot slot")
                self.check_slot("xact_acquire_slot", key, slots, slot)
                # it cannot commit a count before its slot goes: it checks the others
                self.execute("SELECT soak.sem_enter(%s, %s, %s, false)", (key, call_id, slot))
                time.sleep(self.rng.uniform(0, SLOT_HOLD))
                self.execute("SELECT soak.sem_leave(%s, %s, %s)", (key, call_id, slot))
        except errors.LockNotAvailable:
            if how != "error":
                raise
            self.stats.count("xact_acquire_slot busy (55P03)")

    def with_semaphore(self, key, call_id):
        key, slots, (form, arg) = self.semaphore()
        action = self.action()
        if self.rng.random() < 0.5:
            # positional, with the body's arguments; a NULL timeout waits forever
            timeout = self.rng.choice([None, "20ms", "0"])
            ran = self.execute(
                f"SELECT pglocks.with_semaphore({form}, %s, %s::interval, {SEM_BODY},"
                " %s::text, %s::bigint, %s::text)", (arg, slots, timeout, key, call_id, action))[0]
        else:
            # named: the body reads its arguments from a setting
            timeout = self.rng.choice([None, "20ms"])
            on_busy = self.rng.choice(["false", "error"])
            try:
                ran = self.execute(
                    "SELECT set_config('soak.args', %s, false), pglocks.with_semaphore("
                    f"key => {form}, slots => %s, fn => 'soak.named_sem_body()',"
                    " timeout => %s::interval, on_busy => %s)",
                    (f"{key} {call_id} {action}", arg, slots, timeout, on_busy))[1]
            except errors.LockNotAvailable:
                if on_busy != "error":
                    raise
                self.stats.count("with_semaphore busy (55P03)")
                return
        self.stats.count("with_semaphore ran" if ran else "with_semaphore busy (false)")

    # --- several keys -------------------------------------------------------

    def key_set(self):
        """Keys drawn from KEY_POOL (now and then one twice), as text[] or
        bigint[]; the distinct names; shared or not."""
        names = self.rng.sample(KEY_POOL, self.rng.randint(1, MAX_SET))
        distinct = list(names)
        if self.rng.random() < 0.1:
            names.append(self.rng.choice(names))  # taken, and released, once
        shared = self.rng.random() < 0.3
        if self.rng.random() < 0.4:
            return "%s::bigint[]", [KEY_IDS[n] for n in names], distinct, shared
        return "%s::text[]", names, distinct, shared

    def set_options(self):
        how = self.rng.choice(["wait", "timeout", "try", "error"])
        return how, {"wait": "", "timeout": ", timeout => '20ms'", "try": ", timeout => '0'",
                     "error": ", timeout => '10ms', on_busy => 'error'"}[how]

    def held(self, names, shared):
        """How many of the keys this session holds in that mode, and in the other."""
        return self.retry(lambda: self.execute(
            "SELECT count(*) FILTER (WHERE pglocks.is_held(k, %s)),"
            " count(*) FILTER (WHERE pglocks.is_held(k, NOT %s)) FROM unnest(%s::text[]) AS k",
            (shared, shared, names)))

    def expect_held(self, what, names, shared, all_of_them):
        mine, other = self.held(names, shared)
        if other or mine != (len(names) if all_of_them else 0):
            self.stats.add("violations", f"{what}: holds {mine} of {len(names)} keys "
                           f"({other} in the other mode), expected "
                           f"{'all' if all_of_them else 'none'}: {names}")

    def lock_all_unlock(self, key, call_id):
        form, keys, names, shared = self.key_set()
        mode = "S" if shared else "X"
        how, options = self.set_options()
        try:
            taken = self.execute(f"SELECT pglocks.lock_all({form}, %s{options})", (keys, shared))[0]
        except errors.LockNotAvailable:
            if how != "error":
                raise
            self.stats.count("lock_all busy (55P03)")
            self.expect_held("lock_all raised 55P03", names, shared, False)
            return
        except psycopg.Error as e:
            if not self.lost():
                self.give_back_set(form, keys, names, shared)
            raise e
        self.stats.count(f"lock_all {str(taken).lower()}")
        self.expect_held(f"lock_all returned {taken}", names, shared, taken)
        if not taken:
            return
        try:
            self.execute("SELECT soak.multi_body(%s, %s, %s, %s)", (names, call_id, mode, self.action()))
        finally:
            if not self.lost():
                self.release(f"unlock_keys({names})", lambda: self.execute(
                    f"SELECT pglocks.unlock_keys({form}, %s)", (keys, shared)))

    def give_back_set(self, form, keys, names, shared):
        """After a failed lock_all: all of the keys (granted just before the
        cancel) or none, never some."""
        mine, other = self.held(names, shared)
        if other or mine not in (0, len(names)):
            self.stats.add("violations", f"lock_all failed but left {mine} of {len(names)} keys "
                           f"held ({other} in the other mode): {names}")
        if mine:
            with self.stats.lock:
                self.stats.granted_then_canceled += 1
            self.retry(lambda: self.execute(f"SELECT pglocks.unlock_keys({form}, %s)", (keys, shared)))

    def xact_lock_all(self, key, call_id):
        form, keys, names, shared = self.key_set()
        mode = "S" if shared else "X"
        how, options = self.set_options()
        try:
            with self.conn.transaction():
                taken = self.execute(f"SELECT pglocks.xact_lock_all({form}, %s{options})",
                                     (keys, shared))[0]
                self.stats.count(f"xact_lock_all {str(taken).lower()}")
                self.expect_held(f"xact_lock_all returned {taken}", names, shared, taken)
                if taken:
                    self.execute("SELECT soak.multi_body(%s, %s, %s, %s)",
                                 (names, call_id, mode, self.action()))
        except errors.LockNotAvailable:
            if how != "error":
                raise
            self.stats.count("xact_lock_all busy (55P03)")

    def with_locks(self, key, call_id):
        form, keys, names, shared = self.key_set()
        mode = "S" if shared else "X"
        action = self.action()
        if self.rng.random() < 0.5:
            timeout = self.rng.choice([None, "20ms", "0"])
            ran = self.execute(
                f"SELECT pglocks.with_locks({form}, %s, %s::interval, {MULTI_BODY},"
                " %s::text[], %s::bigint, %s::text, %s::text)",
                (keys, shared, timeout, names, call_id, mode, action))[0]
        else:
            timeout = self.rng.choice([None, "20ms"])
            on_busy = self.rng.choice(["false", "error"])
            try:
                ran = self.execute(
                    "SELECT set_config('soak.args', %s, false), pglocks.with_locks("
                    f"keys => {form}, fn => 'soak.named_multi_body()', shared => %s,"
                    " timeout => %s::interval, on_busy => %s)",
                    (" ".join([str(call_id), mode, action] + names), keys, shared, timeout,
                     on_busy))[1]
            except errors.LockNotAvailable:
                if on_busy != "error":
                    raise
                self.stats.count("with_locks busy (55P03)")
                return
        self.stats.count("with_locks ran" if ran else "with_locks busy (false)")

    def check_no_locks(self, what):
        """After every call the session must hold no advisory lock."""
        try:
            held = self.retry(lambda: self.execute(HELD_BY_KIND + " AND pid = pg_backend_pid()"))
        except psycopg.Error as e:
            return self.failed(e, "leak check")
        if any(held):
            self.stats.add("leaks", f"{what}: {describe_held(held)} left in pid {self.pid}")
            self.conn.execute("SELECT pg_advisory_unlock_all()")
        return True


def describe_held(held):
    """(locks, gates, slots) as words"""
    total = sum(held)
    return (f"{total} advisory lock(s) ({held[0]} lock(s), {held[1]} semaphore gate(s), "
            f"{held[2]} semaphore slot(s))")


def chaos(dsn, clients, deadline, stats, rng):
    """Cancel or terminate a random client every few tens of milliseconds."""
    conn = psycopg.connect(dsn, autocommit=True)
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(0.01, 0.08))
        victim = rng.choice(clients)
        if victim.pid is None or victim.terminated.is_set():
            continue
        try:
            if rng.random() < 0.85:
                conn.execute("SELECT pg_cancel_backend(%s)", (victim.pid,))
                stats.cancels += 1
            else:
                terminate(conn, victim, stats)
                stats.terminations += 1
        except psycopg.Error as e:
            stats.add("unexpected", f"chaos: {e.sqlstate}: {e}")
    conn.close()


def terminate(conn, victim, stats):
    """Terminate a client's backend. Its slot frees as the backend exits, but
    its row in soak.sem_holder stays: so the semaphores' rows are locked
    first, and the row deleted once the backend is gone, before anyone can
    enter a semaphore and count the row of a holder that no longer holds."""
    pid = victim.pid
    with conn.transaction():
        conn.execute("SELECT FROM soak.semaphore ORDER BY k FOR UPDATE")
        victim.terminated.set()
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        gone_by = time.monotonic() + 10
        while True:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            if not conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                                (pid,)).fetchone()[0]:
                break
            if time.monotonic() > gone_by:
                stats.add("unexpected", f"chaos: pid {pid} still there 10 s after its termination")
                break
            time.sleep(0.001)
        conn.execute("DELETE FROM soak.sem_holder WHERE pid = %s", (pid,))


def body_spans(events):
    """{(call_id, key): (detail, start, end)} from the start and end reports
    of bodies (a body under several keys reports each). A body that never
    reported its end counts as the instant it started (it was under the lock
    then, at least)."""
    bodies = {}
    for call_id, key, detail, kind, us in events:
        start, end = bodies.get((call_id, key), (None, None, None))[1:]
        if kind == "start":
            start = us
        else:
            end = us
        bodies[(call_id, key)] = (detail, start, end)
    return bodies


def overlaps(events):
    """Pairs of bodies on one key that ran at the same time although at least
    one was exclusive."""
    bodies = body_spans(events)
    by_key = collections.defaultdict(list)
    for (call_id, key), (mode, start, end) in bodies.items():
        if start is not None:
            by_key[key].append((start, end if end is not None else start, mode, call_id))
    found = []
    for key, spans in by_key.items():
        spans.sort()
        active = []  # spans still running at the current start
        for start, end, mode, call_id in spans:
            active = [a for a in active if a[1] > start]
            for a in active:
                if mode == "X" or a[2] == "X":
                    found.append(f"{key}: call {a[3]} ({a[2]}) and call {call_id} ({mode})")
            active.append((start, end, mode, call_id))
    return found, len(bodies)


def over_capacity(slot_events):
    """Instants at which a semaphore had more holders than slots, or two on
    one slot, from the holders' own reports (taken after the slot was taken
    and before it was released)."""
    holds = body_spans(slot_events)
    by_key = collections.defaultdict(list)
    for (call_id, key), (slot, start, end) in holds.items():
        if start is not None:
            by_key[key].append((start, end if end is not None else start, slot, call_id))
    found = []
    peaks = {key: 0 for key in SEMAPHORES}
    for key, timeline in by_key.items():
        timeline.sort(key=lambda s: s[:2])
        active = []
        for start, end, slot, call_id in timeline:
            active = [a for a in active if a[1] > start]
            peaks[key] = max(peaks[key], len(active) + 1)
            if len(active) >= SEMAPHORES[key]:
                found.append(f"{key} ({SEMAPHORES[key]} slots): call {call_id} started holding "
                             f"while {len(active)} held: calls {[a[3] for a in active]}")
            found += [f"{key}: calls {a[3]} and {call_id} on slot {slot} at once"
                      for a in active if slot is not None and a[2] == slot]
            active.append((start, end, slot, call_id))
    return found, len(holds), peaks


def server_crashes(log_path):
    if not log_path:
        return []
    pattern = re.compile(r"terminated by signal|terminated by exception|"
                         r"exited with exit code|server processes terminated")
    with open(log_path, errors="replace") as log:
        return [line.rstrip() for line in log if pattern.search(line)]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--dsn", default="", help="libpq connection string (default: environment)")
    parser.add_argument("--server-log", help="the server's log, checked for crashed backends")
    args = parser.parse_args()

    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.execute(SETUP)
        conn.execute("INSERT INTO soak.counter SELECT k, 0 FROM unnest(%s::text[]) AS k", (KEYS,))
        conn.execute("INSERT INTO soak.semaphore SELECT * FROM unnest(%s::text[], %s::int[])",
                     (list(SEMAPHORES), list(SEMAPHORES.values())))
        KEY_IDS.update(conn.execute("SELECT k, pglocks.key_id(k) FROM unnest(%s::text[]) AS k",
                                    (KEY_POOL + list(SEMAPHORES),)).fetchall())

    stats = Stats()
    ids = itertools.count(1)  # next() on it is atomic under the GIL
    events = []
    slot_events = []
    started = time.monotonic()
    deadline = started + args.seconds
    clients = [Client(n, args.dsn, deadline, stats, ids, events, slot_events) for n in range(args.clients)]
    for c in clients:
        c.start()
    chaos_thread = threading.Thread(
        target=chaos, args=(args.dsn, clients, deadline, stats, random.Random(99)), daemon=True)
    chaos_thread.start()
    for c in clients:
        c.join(args.seconds + 60)
    chaos_thread.join(10)
    elapsed = time.monotonic() - started

    problems = []
    hung = [c.name for c in clients if c.is_alive()]
    if hung:
        problems.append(f"clients still running after the deadline: {hung}")
    found, bodies = overlaps(events)
    problems += [f"overlap: {o}" for o in found]
    crowded, holds, peaks = over_capacity(slot_events)
    problems += [f"semaphore: {c}" for c in crowded[:20]]
    if len(crowded) > 20:
        problems.append(f"semaphore: {len(crowded) - 20} more like these")
    problems += [f"semaphore or key set: {v}" for v in stats.violations[:20]]
    if len(stats.violations) > 20:
        problems.append(f"semaphore or key set: {len(stats.violations) - 20} more like these")

    with psycopg.connect(args.dsn, autocommit=True) as conn:
        counted = dict(conn.execute("SELECT k, v FROM soak.counter").fetchall())
        logged = dict(conn.execute("SELECT k, count(*) FROM soak.rmw_log GROUP BY k").fetchall())
        ids_logged = {r[0] for r in conn.execute("SELECT call_id FROM soak.rmw_log")}
        leftover = conn.execute(HELD_BY_KIND).fetchone()
        holder_rows = conn.execute("SELECT count(*) FROM soak.sem_holder").fetchone()[0]
    for key in KEYS:
        if counted.get(key, 0) != logged.get(key, 0):
            problems.append(f"lost update on {key}: counter {counted.get(key)} "
                            f"but {logged.get(key, 0)} committed increments")
    missing = stats.committed_rmw - ids_logged
    if missing:
        problems.append(f"{len(missing)} increments the client saw commit are missing")
    if any(leftover):
        problems.append(f"{describe_held(leftover)} left in the server after all clients ended")
    if holder_rows:
        problems.append(f"{holder_rows} semaphore holder row(s) left after all clients ended")
    problems += [f"leak: {l}" for l in stats.leaks]
    problems += [f"unexpected error: {u}" for u in stats.unexpected[:20]]
    problems += [f"server log: {line}" for line in server_crashes(args.server_log)]

    total = sum(stats.calls.values())
    print(f"soak: {args.clients} clients, {elapsed:.1f} s, {total} calls "
          f"({total / elapsed:.0f}/s), {bodies} bodies (one per key) checked for overlap, "
          f"{sum(logged.values())} committed increments")
    print(f"soak: semaphores: {holds} holds checked for capacity; most holders at once: "
          + ", ".join(f"{k} {peaks[k]} of {n}" for k, n in SEMAPHORES.items()))
    print("soak: outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items())))
    print("soak: calls by operation: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.calls.items())))
    print("soak: errors by SQLSTATE: " + (", ".join(
        f"{k} {v}" for k, v in sorted(stats.errors.items())) or "none"))
    print(f"soak: chaos: {stats.cancels} cancels, {stats.terminations} terminations, "
          f"{stats.reconnects} reconnects; {stats.granted_then_canceled} lock(), "
          f"acquire_slot() or lock_all() calls granted just before their cancel (given back by "
          f"the client)")
    for p in problems:
        print("soak: FAIL " + p)
    print("soak: " + ("FAILED" if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
