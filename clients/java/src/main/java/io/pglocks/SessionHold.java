package io.pglocks;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A session lock held across a body: taken, and given back however the body
 * ends, without ever letting a transaction the body aborted commit.
 *
 * <p>In a transaction (autocommit off) the lock is taken after a savepoint of
 * ours. If the body leaves the transaction aborted, the savepoint is rolled
 * back to so that the unlock can run, and the transaction is then aborted
 * again on purpose: its owner must still roll it back, and nothing done in it
 * can commit.
 */
final class SessionHold {
    // A transaction-local setting listing our savepoints that exist,
    // comma-separated, innermost last: each is added just before it is taken,
    // so that it goes away with the transaction and with any ROLLBACK TO an
    // older savepoint (which destroys ours too), and removed when released.
    private static final String MARK = "pglocks_client.savepoints";

    // The holds each server session has through this class, by the driver's
    // own connection (a pool's wrapper unwrapped), lock and mode: a wait
    // interrupted by an error can only have been granted if there were none.
    private static final Map<Connection, Map<List<Object>, Integer>> holds = new WeakHashMap<>();

    private final Connection conn;
    private final Statements sql;
    private final Connection session;
    private final List<Object> hold;
    private String savepoint;

    SessionHold(Connection conn, Statements sql, Key key, boolean shared) throws SQLException {
        this.conn = conn;
        this.sql = sql;
        this.session = conn.unwrap(Connection.class);
        this.hold = List.of(key, shared);
    }

    /**
     * Runs the lock statement, counts the hold if it was taken, and returns
     * whether it was. {@code millis}: a timeout (running out of it is "not
     * taken"), 0 for a try, -1 to wait as long as it takes.
     */
    boolean take(long millis) throws SQLException {
        boolean wait = millis != 0;
        boolean timed = millis > 0;
        String before = "";
        if (!conn.getAutoCommit()) {
            savepoint = Statements.newSavepoint();
            before = "SELECT pg_catalog.set_config('" + MARK + "', pg_catalog.concat_ws(',', NULLIF(pg_catalog."
                + "current_setting('" + MARK + "', true), ''), '" + savepoint + "'), true); SAVEPOINT " + savepoint + "; ";
        }
        int held = count(0);
        Object[] row;
        try {
            row = Statements.query(conn, before + sql.lock(wait, false, timed), sql.params(timed ? millis : null));
        } catch (SQLException e) {
            if (timed && Statements.LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                backOut(held);
                return false;
            }
            try {
                backOut(held);
            } catch (SQLException | RuntimeException backOut) {
                e.addSuppressed(backOut); // the error to report is the lock's
            }
            throw e;
        }
        if (!wait && !(Boolean) row[0]) { // busy
            if (savepoint != null) Statements.query(conn, "RELEASE SAVEPOINT " + savepoint);
            return false;
        }
        if (timed && savepoint != null) {
            try {
                Statements.query(conn, Statements.RESTORE_LOCK_TIMEOUT, row[0]);
            } catch (SQLException | RuntimeException e) {
                // failed (a cancel) with the lock held: back to our savepoint
                // (and the caller's lock_timeout), and give it back
                try {
                    Statements.rollbackTo(conn, savepoint);
                    Statements.query(conn, "SELECT " + sql.unlock(), sql.params(null));
                } catch (SQLException | RuntimeException giveBack) {
                    e.addSuppressed(giveBack);
                }
                throw e;
            }
        }
        count(+1);
        return true;
    }

    /**
     * After a failed lock statement: our savepoint is rolled back to. An error
     * (a cancel, statement_timeout, lock_timeout) can end a wait just as the
     * lock is granted: the session holds it all the same. If it held none in
     * this mode before (it would then have been granted at once, with no wait
     * to interrupt), a hold found now is that one, and is given back.
     */
    private void backOut(int held) throws SQLException {
        if (savepoint != null) Statements.rollbackTo(conn, savepoint);
        if (held == 0) Statements.query(conn, sql.leftover(), sql.params(null));
    }

    /**
     * Gives the lock back at the end of the body and returns the unlock's
     * result. If the body left the transaction aborted, aborts it again and
     * raises 25P02 unless {@code bodyFailed} (the body's own error is on its way).
     */
    boolean release(boolean bodyFailed) throws SQLException {
        count(-1);
        Object[] row;
        try {
            if (savepoint == null) return (Boolean) Statements.query(conn, "SELECT " + sql.unlock(), sql.params(null))[0];
            // the unlock first, then our savepoint if it is still there: the
            // body may have committed, rolled back, or rolled back to an
            // older savepoint
            row = Statements.query(conn, "SELECT " + sql.unlock() + ", pg_catalog.current_setting('" + MARK + "', true)",
                sql.params(null));
        } catch (SQLException e) {
            if (!Statements.IN_FAILED_TRANSACTION.equals(e.getSQLState())) throw e;
            return giveBackAborted(bodyFailed);
        }
        List<String> marked = new ArrayList<>(Arrays.asList(row[1] == null ? new String[0] : ((String) row[1]).split(",")));
        if (marked.remove(savepoint)) {
            Statements.query(conn, "RELEASE SAVEPOINT " + savepoint + "; SELECT pg_catalog.set_config('" + MARK
                + "', ?::text, true)", String.join(",", marked));
        }
        return (Boolean) row[0];
    }

    private boolean giveBackAborted(boolean bodyFailed) throws SQLException {
        boolean restored = false;
        if (savepoint != null) {
            try {
                restored = Statements.rollbackTo(conn, savepoint);
            } catch (SQLException gone) {
                // the body ended the transaction the lock was taken in
            }
        }
        if (!restored) {
            // a transaction the body began, lost anyway: not ours to save
            if (conn.getAutoCommit()) Statements.query(conn, "ROLLBACK");
            else conn.rollback();
        }
        boolean released = (Boolean) Statements.query(conn, "SELECT " + sql.unlock(), sql.params(null))[0];
        // Abort it again on purpose (beginning one if none is open):
        // its owner must still roll it back, and nothing in it can commit.
        if (conn.getAutoCommit()) Statements.query(conn, "BEGIN");
        try {
            Statements.query(conn, Statements.REABORT);
        } catch (SQLException reabort) {
            if (!bodyFailed) throw reabort;
        }
        return released;
    }

    // Adds delta to this session's count of this hold, and returns the count before.
    private int count(int delta) {
        synchronized (holds) {
            Map<List<Object>, Integer> counts = holds.computeIfAbsent(session, c -> new HashMap<>());
            int before = counts.getOrDefault(hold, 0);
            if (before + delta > 0) counts.put(hold, before + delta);
            else counts.remove(hold);
            return before;
        }
    }
}
