package io.pglocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The features of docs/clients.md against a live server, in a database of
 * their own created without the pglocks extension: the client uses only
 * PostgreSQL's built-in functions, and so does the other session that checks
 * what it holds.
 */
class AdvisoryLockTest {
    private static final LockOptions TRY = LockOptions.DEFAULT.withNoWait(true);
    private static final LockOptions XACT = LockOptions.DEFAULT.withXact(true);

    private static String database;
    private static ExecutorService background;
    private Connection conn; // the client's session
    private Connection peer; // another session, to see the client's locks

    @BeforeAll
    static void freshDatabase() throws SQLException {
        database = "pglocks_java_test_" + ProcessHandle.current().pid();
        try (Connection admin = Db.connect(Db.DEFAULT_DATABASE)) {
            Db.execute(admin, "DROP DATABASE IF EXISTS " + database);
            Db.execute(admin, "CREATE DATABASE " + database);
        }
        background = Executors.newCachedThreadPool();
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        background.shutdownNow();
        try (Connection admin = Db.connect(Db.DEFAULT_DATABASE)) {
            Db.execute(admin, "DROP DATABASE " + database + " WITH (FORCE)");
        }
    }

    @BeforeEach
    void connect() throws SQLException {
        conn = Db.connect(database);
        peer = Db.connect(database);
        Db.execute(peer, "DROP TABLE IF EXISTS pglocks_rows; CREATE TABLE pglocks_rows (step text)");
    }

    @AfterEach
    void close() throws SQLException {
        conn.close();
        peer.close();
    }

    // Whether another session could take the lock now, by the SQL built-in
    // for that key: Long is a bigint key, two Integers a pair.
    private boolean free(Object... key) throws SQLException {
        return peerTry("", key);
    }

    private boolean freeShared(Object... key) throws SQLException {
        return peerTry("_shared", key);
    }

    private boolean peerTry(String suffix, Object[] key) throws SQLException {
        String args = key.length == 2 ? "?::int, ?::int" : "?::bigint";
        // a transaction lock in autocommit mode: given back at once
        return (Boolean) Db.value(peer, "SELECT pg_try_advisory_xact_lock" + suffix + "(" + args + ")", key);
    }

    private boolean free(String text) throws SQLException {
        return free(KeyId.of(text));
    }

    private void peerHolds(String text, boolean shared) throws SQLException {
        Db.value(peer, "SELECT pg_advisory_lock" + (shared ? "_shared" : "") + "(?::bigint)", KeyId.of(text));
    }

    private void peerReleases() throws SQLException {
        Db.value(peer, "SELECT pg_advisory_unlock_all()");
    }

    private boolean aborted() throws SQLException {
        try {
            Db.value(conn, "SELECT 1");
            return false;
        } catch (SQLException e) {
            assertEquals("25P02", e.getSQLState());
            return true;
        }
    }

    private void insert(String step) throws SQLException {
        Db.value(conn, "INSERT INTO pglocks_rows VALUES (?) RETURNING step", step);
    }

    private List<String> rows() throws SQLException {
        List<String> rows = new ArrayList<>();
        try (ResultSet rs = peer.createStatement().executeQuery("SELECT step FROM pglocks_rows ORDER BY step")) {
            while (rs.next()) rows.add(rs.getString(1));
        }
        return rows;
    }

    // Waits until the client's session waits for an advisory lock, in the server's lock queue.
    private void awaitWaiting(int pid) throws Exception {
        for (int i = 0; i < 500; i++) {
            if ((Long) Db.value(peer, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = ? "
                    + "AND NOT granted", pid) > 0) return;
            Thread.sleep(10);
        }
        fail("the client never waited in the lock queue");
    }

    private int pid() throws SQLException {
        return (Integer) Db.value(conn, "SELECT pg_backend_pid()");
    }

    @Test
    void worksWithoutTheExtension() throws Exception {
        assertNull(Db.value(conn, "SELECT to_regnamespace('pglocks')::text"));
        LockResult<Boolean> r = AdvisoryLock.withLock(conn, Key.of("no extension"),
            LockOptions.DEFAULT.withTimeout(Duration.ofSeconds(1)), () -> free("no extension"));
        assertTrue(r.acquired());
        assertFalse(r.value());
        assertTrue(free("no extension"));
    }

    @Test
    void eachKeyFormIsTheSqlBuiltInsLock() throws Exception {
        record Form(Key key, Object[] builtIn) {}
        for (Form f : List.of(
                new Form(Key.of("orders:42"), new Object[] {KeyId.of("orders:42")}),
                new Form(Key.of(""), new Object[] {KeyId.of("")}),
                new Form(Key.of(-42), new Object[] {-42L}),
                new Form(Key.of(Long.MIN_VALUE), new Object[] {Long.MIN_VALUE}),
                new Form(Key.of(Long.MAX_VALUE), new Object[] {Long.MAX_VALUE}),
                new Form(Key.of(1, 2), new Object[] {1, 2}),
                new Form(Key.of(-1, Integer.MIN_VALUE), new Object[] {-1, Integer.MIN_VALUE}))) {
            LockResult<String> r = AdvisoryLock.withLock(conn, f.key(), () -> {
                assertFalse(free(f.builtIn()), f.key() + " is not the built-in's lock");
                return "ran";
            });
            assertTrue(r.acquired());
            assertEquals("ran", r.value());
            assertTrue(free(f.builtIn()), f.key() + " left behind");
        }
        // and the other way round: a lock the built-in holds is busy for the client
        peerHolds("jobs", false);
        assertFalse(AdvisoryLock.withLock(conn, Key.of("jobs"), TRY, () -> fail("ran")).acquired());
        assertFalse(AdvisoryLock.withLock(conn, Key.of(KeyId.of("jobs")), TRY, () -> fail("ran")).acquired());
        Db.value(peer, "SELECT pg_advisory_lock(7, 8)");
        assertFalse(AdvisoryLock.withLock(conn, Key.of(7, 8), TRY, () -> fail("ran")).acquired());
        assertTrue(AdvisoryLock.withLock(conn, Key.of(7L << 32 | 8), TRY, () -> 1).acquired(), "a pair is not a bigint");
        assertEquals(0, Db.advisoryLocksHeld(conn));
    }

    @Test
    void badArgumentsAreRefusedBeforeAnyQuery() throws Exception {
        Db.Wrapped w = new Db.Wrapped(conn);
        assertThrows(NullPointerException.class, () -> AdvisoryLock.withLock(w.conn, null, () -> 1));
        assertThrows(NullPointerException.class, () -> AdvisoryLock.withLock(w.conn, Key.of((String) null), () -> 1));
        assertThrows(IllegalArgumentException.class, () -> AdvisoryLock.withLock(w.conn, Key.of("\udfff"), () -> 1));
        assertThrows(NullPointerException.class, () -> AdvisoryLock.withLock(null, Key.of(1), () -> 1));
        assertThrows(NullPointerException.class, () -> AdvisoryLock.withLock(w.conn, Key.of(1), null, () -> 1));
        assertThrows(NullPointerException.class, () -> AdvisoryLock.withLock(w.conn, Key.of(1), null));
        assertThrows(IllegalArgumentException.class,
            () -> AdvisoryLock.withLock(w.conn, Key.of(1), LockOptions.DEFAULT.withTimeout(Duration.ofMillis(-1)), () -> 1));
        assertThrows(IllegalArgumentException.class,
            () -> AdvisoryLock.withLock(w.conn, Key.of(1), TRY.withTimeout(Duration.ofSeconds(1)), () -> 1));
        assertEquals(List.of(), w.sql);
    }

    @Test
    void shared() throws Exception {
        LockOptions shared = LockOptions.DEFAULT.withShared(true);
        long id = KeyId.of("shared");
        AdvisoryLock.withLock(conn, Key.of("shared"), shared, () -> {
            assertTrue(freeShared(id), "another shared holder is excluded");
            assertFalse(free(id), "an exclusive holder is not");
            return null;
        });
        assertTrue(free(id));
        peerHolds("shared", true);
        assertTrue(AdvisoryLock.withLock(conn, Key.of("shared"), shared.withNoWait(true), () -> 1).acquired());
        assertFalse(AdvisoryLock.withLock(conn, Key.of("shared"), TRY, () -> 1).acquired());
        peerReleases();
        peerHolds("shared", false);
        assertFalse(AdvisoryLock.withLock(conn, Key.of("shared"), shared.withNoWait(true), () -> 1).acquired());
        assertEquals(0, Db.advisoryLocksHeld(conn));
    }

    @Test
    void tryTakesOnlyAFreeLock() throws Exception {
        assertTrue(AdvisoryLock.withLock(conn, Key.of("try"), TRY, () -> free("try")).acquired());
        peerHolds("try", false);
        List<String> ran = new ArrayList<>();
        for (LockOptions options : List.of(TRY, LockOptions.DEFAULT.withTimeout(Duration.ZERO))) {
            long start = System.nanoTime();
            LockResult<Integer> r = AdvisoryLock.withLock(conn, Key.of("try"), options, () -> {
                ran.add("ran");
                return 1;
            });
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "a try does not wait");
            assertFalse(r.acquired());
            assertNull(r.value());
            assertEquals("55P03", assertThrows(LockNotAcquiredException.class, r::orElseThrow).getSQLState());
        }
        assertEquals(List.of(), ran);
        conn.setAutoCommit(false);
        insert("before");
        assertFalse(AdvisoryLock.withLock(conn, Key.of("try"), TRY, () -> 1).acquired());
        assertFalse(AdvisoryLock.withLock(conn, Key.of("try"), TRY.withXact(true), () -> 1).acquired());
        insert("after");
        conn.commit();
        assertEquals(List.of("after", "before"), rows());
        assertEquals(0, Db.advisoryLocksHeld(conn));
    }

    @Test
    void aTimeoutThatRunsOutIsNotAcquired() throws Exception {
        peerHolds("timed", false);
        Db.execute(conn, "SET lock_timeout = '7s'");
        long start = System.nanoTime();
        LockResult<?> r = AdvisoryLock.withLock(conn, Key.of("timed"), LockOptions.DEFAULT.withTimeout(Duration.ofMillis(300)),
            () -> fail("ran without the lock"));
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertFalse(r.acquired());
        assertTrue(waited >= 290 && waited < 5000, "waited " + waited + " ms");
        assertEquals("7s", Db.value(conn, "SHOW lock_timeout"));

        conn.setAutoCommit(false);
        Db.execute(conn, "SET LOCAL lock_timeout = '3s'");
        insert("before");
        for (LockOptions options : List.of(LockOptions.DEFAULT, XACT)) {
            assertFalse(AdvisoryLock.withLock(conn, Key.of("timed"), options.withTimeout(Duration.ofMillis(100)),
                () -> fail("ran without the lock")).acquired());
            assertEquals("3s", Db.value(conn, "SHOW lock_timeout"), "the caller's lock_timeout");
        }
        insert("after"); // the transaction is usable
        conn.commit();
        assertEquals(List.of("after", "before"), rows());
        assertEquals("7s", Db.value(conn, "SHOW lock_timeout"));
        assertEquals(0, Db.advisoryLocksHeld(conn));
    }

    @Test
    void aTimedWaitGetsTheLockWhenTheHolderLetsGo() throws Exception {
        int pid = pid();
        record Case(boolean transaction, LockOptions options) {}
        for (Case c : List.of(new Case(false, LockOptions.DEFAULT), new Case(true, LockOptions.DEFAULT), new Case(true, XACT))) {
            boolean transaction = c.transaction();
            LockOptions options = c.options();
            conn.setAutoCommit(!transaction);
            if (transaction) Db.execute(conn, "SET LOCAL lock_timeout = '3s'");
            peerHolds("queued", false);
            long start = System.nanoTime();
            Future<LockResult<Object>> waiter = background.submit(() -> AdvisoryLock.withLock(conn, Key.of("queued"),
                options.withTimeout(Duration.ofSeconds(20)), () -> Db.value(conn, "SHOW lock_timeout")));
            awaitWaiting(pid);
            Thread.sleep(300);
            peerReleases();
            LockResult<Object> r = waiter.get(20, TimeUnit.SECONDS);
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(r.acquired());
            assertTrue(waited >= 300 && waited < 15000, "waited " + waited + " ms");
            assertEquals(transaction ? "3s" : "0", r.value(), "lock_timeout in the body");
            assertEquals(options.xact(), !free("queued"), "held after the body");
            if (transaction) conn.rollback();
            assertTrue(free("queued"));
        }
    }

    // The lock statement, rewritten to a function that takes the lock and
    // then fails with the SQLSTATE in pglocks_test.sqlstate: what an error
    // that fires just as the lock is granted (lock_timeout, a cancel) leaves.
    private Db.Wrapped racing() throws SQLException {
        return racing(conn);
    }

    private static Db.Wrapped racing(Connection conn) throws SQLException {
        for (String[] f : new String[][] {
                {"lock", "k bigint", "k"}, {"lock_shared", "k1 int, k2 int", "k1, k2"}, {"xact_lock", "k bigint", "k"}}) {
            Db.execute(conn, "CREATE OR REPLACE FUNCTION pg_temp.raced_" + f[0] + "(" + f[1] + ") RETURNS void "
                + "LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_catalog.pg_advisory_" + f[0] + "(" + f[2] + "); "
                + "RAISE EXCEPTION 'raced' USING ERRCODE = current_setting('pglocks_test.sqlstate'); END $$");
        }
        return new Db.Wrapped(conn, sql -> sql.replaceAll("pg_catalog\\.pg_advisory_((xact_)?lock(_shared)?)\\(", "pg_temp.raced_$1("));
    }

    @Test
    void aGrantThatRacesWithTheTimeoutIsGivenBack() throws Exception {
        Db.Wrapped w = racing();
        Db.execute(conn, "SET pglocks_test.sqlstate = '55P03'");
        LockOptions timed = LockOptions.DEFAULT.withTimeout(Duration.ofSeconds(5));
        for (boolean transaction : new boolean[] {false, true}) {
            conn.setAutoCommit(!transaction);
            if (transaction) insert("kept");
            for (LockOptions options : List.of(timed, timed.withShared(true), timed.withXact(true))) {
                if (options.xact() && !transaction) continue;
                Key key = options.shared() ? Key.of(-1, -2) : Key.of("raced");
                assertFalse(AdvisoryLock.withLock(w.conn, key, options, () -> fail("ran without the lock")).acquired());
                assertEquals(0, Db.advisoryLocksHeld(conn), options + " in a transaction: " + transaction);
            }
            if (transaction) conn.commit(); // still usable
        }
        assertEquals(List.of("kept"), rows());
        assertTrue(w.sql.stream().anyMatch(s -> s.contains("pg_catalog.pg_advisory_xact_lock(")));
    }

    @Test
    void aGrantThatRacesWithACancelIsGivenBack() throws Exception {
        Db.Wrapped w = racing();
        Db.execute(conn, "SET pglocks_test.sqlstate = '57014'");
        for (boolean transaction : new boolean[] {false, true}) {
            conn.setAutoCommit(!transaction);
            for (LockOptions options : List.of(LockOptions.DEFAULT, LockOptions.DEFAULT.withShared(true), XACT)) {
                if (options.xact() && !transaction) continue;
                Key key = options.shared() ? Key.of(-1, -2) : Key.of("raced");
                SQLException e = assertThrows(SQLException.class,
                    () -> AdvisoryLock.withLock(w.conn, key, options, () -> fail("ran without the lock")));
                assertEquals("57014", e.getSQLState());
                assertEquals(0, Db.advisoryLocksHeld(conn), options + " in a transaction: " + transaction);
            }
            if (transaction) conn.rollback();
        }
    }

    // pgjdbc's autosave: "always" rolls back past our savepoint when a
    // statement fails, "conservative" leaves the transaction aborted and
    // puts a SAVEPOINT of its own before a query of several statements.
    @Test
    void pgjdbcAutosave() throws Exception {
        peerHolds("autosaved", false);
        for (String autosave : List.of("always", "conservative")) {
            try (Connection c = Db.connect(database, "autosave", autosave)) {
                c.setAutoCommit(false);
                Db.execute(c, "SET LOCAL lock_timeout = '3s'");
                for (LockOptions options : List.of(LockOptions.DEFAULT, XACT)) {
                    LockOptions timed = options.withTimeout(Duration.ofMillis(100));
                    assertFalse(AdvisoryLock.withLock(c, Key.of("autosaved"), timed, () -> fail("ran")).acquired(),
                        autosave + " " + options);
                    assertEquals("3s", Db.value(c, "SHOW lock_timeout"), autosave);
                    Db.Wrapped w = racing(c);
                    Db.execute(c, "SET pglocks_test.sqlstate = '55P03'");
                    assertFalse(AdvisoryLock.withLock(w.conn, Key.of("raced"), timed, () -> fail("ran")).acquired());
                    assertEquals(0, Db.advisoryLocksHeld(c), autosave + " " + options);
                    Db.execute(c, "SET pglocks_test.sqlstate = '57014'");
                    assertEquals("57014", assertThrows(SQLException.class,
                        () -> AdvisoryLock.withLock(w.conn, Key.of("raced"), options, () -> fail("ran"))).getSQLState());
                    assertEquals(0, Db.advisoryLocksHeld(c), autosave + " " + options);
                }
                Db.execute(c, "SAVEPOINT mine");
                assertEquals("22012", assertThrows(SQLException.class,
                    () -> AdvisoryLock.withLock(c, Key.of("autosaved 2"), () -> Db.value(c, "SELECT 1 / 0"))).getSQLState());
                assertTrue(free("autosaved 2"));
                Db.execute(c, "ROLLBACK TO SAVEPOINT mine"); // survives
                assertEquals(3, Db.value(c, "SELECT 3"));
                c.rollback();
            }
        }
    }

    // A cancel (or statement_timeout) of the statement that restores the
    // caller's lock_timeout, after a timed lock was granted in a transaction.
    @Test
    void aFailedRestoreOfLockTimeoutGivesTheLockBack() throws Exception {
        Db.execute(conn, "CREATE FUNCTION pg_temp.failing_restore(v text) RETURNS text LANGUAGE plpgsql AS $$ "
            + "BEGIN RAISE EXCEPTION 'canceled' USING ERRCODE = 'query_canceled'; END $$");
        Db.Wrapped w = new Db.Wrapped(conn, sql -> sql.equals(Statements.RESTORE_LOCK_TIMEOUT)
            ? "SELECT pg_temp.failing_restore(?::text)" : sql);
        conn.setAutoCommit(false);
        Db.execute(conn, "SET LOCAL lock_timeout = '3s'");
        insert("kept");
        LockOptions timed = LockOptions.DEFAULT.withTimeout(Duration.ofSeconds(5));
        assertEquals("57014", assertThrows(SQLException.class,
            () -> AdvisoryLock.withLock(w.conn, Key.of("restored"), timed, () -> fail("ran"))).getSQLState());
        assertEquals(0, Db.advisoryLocksHeld(conn));
        assertFalse(aborted(), "rolled back to our savepoint");
        assertEquals("3s", Db.value(conn, "SHOW lock_timeout"));
        // the hold was not counted: a grant racing with a timeout is still given back
        Db.Wrapped raced = racing();
        Db.execute(conn, "SET pglocks_test.sqlstate = '55P03'");
        assertFalse(AdvisoryLock.withLock(raced.conn, Key.of("restored"), timed, () -> fail("ran")).acquired());
        assertEquals(0, Db.advisoryLocksHeld(conn));
        conn.commit();
        assertEquals(List.of("kept"), rows());
    }

    @Test
    void aCancelDuringTheWaitLeavesNoLock() throws Exception {
        int pid = pid();
        peerHolds("canceled", false);
        for (boolean transaction : new boolean[] {false, true}) {
            conn.setAutoCommit(!transaction);
            if (transaction) insert("kept");
            Future<?> waiter = background.submit(() -> AdvisoryLock.withLock(conn, Key.of("canceled"), () -> fail("ran")));
            awaitWaiting(pid);
            Db.value(peer, "SELECT pg_cancel_backend(?)", pid);
            ExecutionException e = assertThrows(ExecutionException.class, () -> waiter.get(20, TimeUnit.SECONDS));
            assertEquals("57014", assertInstanceOf(SQLException.class, e.getCause()).getSQLState());
            assertEquals(0, Db.advisoryLocksHeld(conn));
            if (transaction) conn.commit(); // still usable
        }
        assertEquals(List.of("kept"), rows());
    }

    @Test
    void releasedWhenTheBodyThrows() throws Exception {
        for (boolean transaction : new boolean[] {false, true}) {
            conn.setAutoCommit(!transaction);
            if (transaction) insert("kept");
            RuntimeException boom = new IllegalStateException("boom");
            assertSame(boom, assertThrows(IllegalStateException.class, () -> AdvisoryLock.withLock(conn, Key.of("thrown"), () -> {
                assertFalse(free("thrown"));
                throw boom;
            })));
            assertTrue(free("thrown"));
            IOException checked = new IOException("checked");
            assertSame(checked, assertThrows(IOException.class,
                () -> AdvisoryLock.withLock(conn, Key.of("thrown"), () -> { throw checked; })));
            assertTrue(free("thrown"));
            if (transaction) {
                assertFalse(aborted(), "a Java exception does not abort the transaction");
                conn.commit();
            }
        }
        assertEquals(List.of("kept"), rows());
        assertEquals(0, Db.advisoryLocksHeld(conn));
    }

    @Test
    void aTransactionTheBodyAbortedStaysAborted() throws Exception {
        conn.setAutoCommit(false);
        insert("before");
        SQLException e = assertThrows(SQLException.class, () -> AdvisoryLock.withLock(conn, Key.of("broken"), () -> {
            insert("inside");
            return Db.value(conn, "SELECT 1 / 0");
        }));
        assertEquals("22012", e.getSQLState(), "the body's own error");
        assertTrue(free("broken"), "lock left behind");
        assertTrue(aborted(), "a transaction the body aborted must stay aborted");
        conn.rollback();
        assertEquals(List.of(), rows());
        assertEquals(0, Db.advisoryLocksHeld(conn));
    }

    @Test
    void aSavepointOlderThanTheLockSurvivesTheAbort() throws Exception {
        conn.setAutoCommit(false);
        insert("before");
        Db.execute(conn, "SAVEPOINT mine");
        assertThrows(SQLException.class, () -> AdvisoryLock.withLock(conn, Key.of("broken"), () -> {
            insert("inside");
            return Db.value(conn, "SELECT 1 / 0");
        }));
        assertTrue(aborted());
        Db.execute(conn, "ROLLBACK TO SAVEPOINT mine"); // the owner's way out, short of a rollback
        insert("after");
        conn.commit();
        assertEquals(List.of("after", "before"), rows());
        assertEquals(0, Db.advisoryLocksHeld(conn));
    }

    @Test
    void aSwallowedErrorCommitsNothing() throws Exception {
        conn.setAutoCommit(false);
        insert("before");
        SQLException e = assertThrows(SQLException.class, () -> AdvisoryLock.withLock(conn, Key.of("swallowed"), () -> {
            try {
                Db.value(conn, "SELECT 1 / 0");
            } catch (SQLException swallowed) {
                // and goes on
            }
            return null;
        }));
        assertEquals("25P02", e.getSQLState());
        assertTrue(e.getMessage().contains("aborted inside an advisory lock's block"), e.getMessage());
        assertTrue(free("swallowed"), "lock left behind");
        assertTrue(aborted());
        try {
            conn.commit(); // of an aborted transaction: a rollback
        } catch (SQLException expected) {
            // pgjdbc says so
        }
        assertEquals(List.of(), rows());
    }

    @Test
    void aBodyMayEndItsTransaction() throws Exception {
        conn.setAutoCommit(false);
        LockResult<String> r = AdvisoryLock.withLock(conn, Key.of("manual"), () -> {
            insert("committed");
            conn.commit();
            insert("rolled back");
            conn.rollback();
            return "done";
        });
        assertEquals("done", r.orElseThrow());
        assertTrue(free("manual"));
        assertFalse(aborted());
        conn.rollback();
        assertEquals(List.of("committed"), rows());

        // commits, then aborts the next one: that one stays aborted
        SQLException e = assertThrows(SQLException.class, () -> AdvisoryLock.withLock(conn, Key.of("manual"), () -> {
            insert("also committed");
            conn.commit();
            insert("lost");
            return Db.value(conn, "SELECT 1 / 0");
        }));
        assertEquals("22012", e.getSQLState());
        assertTrue(free("manual"));
        assertTrue(aborted());
        conn.rollback();
        assertEquals(List.of("also committed", "committed"), rows());
        assertEquals(0, Db.advisoryLocksHeld(conn));
    }

    @Test
    void aBodyMayRollBackToAnOlderSavepoint() throws Exception {
        conn.setAutoCommit(false);
        insert("before");
        Db.execute(conn, "SAVEPOINT mine");
        assertTrue(AdvisoryLock.withLock(conn, Key.of("rolled back to"), () -> {
            insert("undone");
            Db.execute(conn, "ROLLBACK TO SAVEPOINT mine");
            return 1;
        }).acquired());
        assertTrue(free("rolled back to"));
        conn.commit();
        assertEquals(List.of("before"), rows());
    }

    @Test
    void releasingAnOlderSavepointIsAnErrorButNoLeak() throws Exception {
        conn.setAutoCommit(false);
        Db.execute(conn, "SAVEPOINT mine");
        SQLException e = assertThrows(SQLException.class, () -> AdvisoryLock.withLock(conn, Key.of("released"), () -> {
            Db.execute(conn, "RELEASE SAVEPOINT mine"); // and ours with it
            return 1;
        }));
        assertEquals("3B001", e.getSQLState());
        assertTrue(free("released"));
        conn.rollback();
    }

    @Test
    void nestedLocksOfOneKeyOnOneConnection() throws Exception {
        boolean[] broken = {false};
        // lock statements that fail in the server before any grant, once broken is set
        Db.Wrapped w = new Db.Wrapped(conn,
            sql -> broken[0] ? sql.replace("pg_catalog.pg_advisory_lock(", "no_such_function(") : sql);
        for (boolean transaction : new boolean[] {false, true}) {
            conn.setAutoCommit(!transaction);
            AdvisoryLock.withLock(w.conn, Key.of("nested"), () -> {
                AdvisoryLock.withLock(w.conn, Key.of("nested"), () -> {
                    assertFalse(free("nested"));
                    return AdvisoryLock.withLock(w.conn, Key.of(KeyId.of("nested")), () -> free("nested"));
                });
                assertFalse(free("nested"), "the inner lock released the outer one's hold");
                broken[0] = true;
                assertEquals("42883", assertThrows(SQLException.class,
                    () -> AdvisoryLock.withLock(w.conn, Key.of("nested"), () -> fail("ran"))).getSQLState());
                broken[0] = false;
                assertFalse(free("nested"), "a failed attempt released the outer one's hold");
                return null;
            });
            assertTrue(free("nested"));
            assertEquals(0, Db.advisoryLocksHeld(conn));
            if (transaction) {
                assertFalse(aborted());
                conn.rollback();
            }
        }
    }

    @Test
    void aTransactionLockIsHeldUntilTheTransactionEnds() throws Exception {
        conn.setAutoCommit(false);
        assertEquals(7, AdvisoryLock.withLock(conn, Key.of("xact"), XACT, () -> 7).value());
        assertFalse(free("xact"), "released before the transaction ended");
        assertEquals(1, Db.advisoryLocksHeld(conn));
        conn.commit();
        assertTrue(free("xact"));
        assertTrue(AdvisoryLock.withLock(conn, Key.of(3, 4), XACT.withShared(true), () -> freeShared(3, 4)).value());
        assertFalse(free(3, 4));
        conn.rollback();
        assertTrue(free(3, 4));
        assertEquals(0, Db.advisoryLocksHeld(conn));
    }

    @Test
    void aTransactionLockNeedsATransaction() throws Exception {
        Db.Wrapped w = new Db.Wrapped(conn);
        assertThrows(IllegalArgumentException.class, () -> AdvisoryLock.withLock(w.conn, Key.of("xact"), XACT, () -> 1));
        assertEquals(List.of(), w.sql);
    }

    @Test
    void theUnlockIsChecked() throws Exception {
        long id = KeyId.of("unlocked");
        for (boolean transaction : new boolean[] {false, true}) {
            conn.setAutoCommit(!transaction);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> AdvisoryLock.withLock(conn, Key.of("unlocked"), () -> Db.value(conn, "SELECT pg_advisory_unlock(?::bigint)", id)));
            assertTrue(e.getMessage().contains("no longer held"), e.getMessage());
            RuntimeException boom = new RuntimeException("boom");
            assertSame(boom, assertThrows(RuntimeException.class, () -> AdvisoryLock.withLock(conn, Key.of("unlocked"), () -> {
                Db.value(conn, "SELECT pg_advisory_unlock(?::bigint)", id);
                throw boom; // the body's error, not the unlock's
            })));
            assertEquals(0, Db.advisoryLocksHeld(conn));
            if (transaction) conn.rollback();
        }
    }

    @Test
    void everyKeyIsATypedParameter() throws Exception {
        Db.Wrapped w = new Db.Wrapped(conn);
        AdvisoryLock.withLock(w.conn, Key.of(42), () -> {
            assertFalse(free(42L));
            assertTrue(free("42"), "locked the text key '42'");
            return null;
        });
        conn.setAutoCommit(false);
        LockOptions timed = LockOptions.DEFAULT.withTimeout(Duration.ofSeconds(1));
        for (LockOptions options : List.of(LockOptions.DEFAULT, TRY, timed, XACT, timed.withXact(true))) {
            AdvisoryLock.withLock(w.conn, Key.of(1, 2), options, () -> 1);
            AdvisoryLock.withLock(w.conn, Key.of("typed"), options.withShared(true), () -> 1);
        }
        conn.rollback();
        Pattern untyped = Pattern.compile("\\?(?!::(bigint|int|text)\\b)");
        assertTrue(w.sql.size() > 10);
        for (String sql : w.sql) assertFalse(untyped.matcher(sql).find(), sql);
    }
}
