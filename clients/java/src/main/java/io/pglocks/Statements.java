package io.pglocks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;

/** The SQL of PostgreSQL's advisory lock functions for one key and mode, and how it is run. */
final class Statements {
    static final String LOCK_NOT_AVAILABLE = "55P03"; // what running out of lock_timeout raises
    static final String IN_FAILED_TRANSACTION = "25P02";
    static final String INVALID_SAVEPOINT = "3B001";
    static final String RESTORE_LOCK_TIMEOUT = "SELECT pg_catalog.set_config('lock_timeout', ?::text, true)";
    static final String REABORT = "DO $pglocks$ BEGIN RAISE EXCEPTION USING ERRCODE = 'in_failed_sql_transaction', "
        + "MESSAGE = 'the transaction was aborted inside an advisory lock''s block', "
        + "HINT = 'The lock has been released; roll the transaction back.'; END $pglocks$";

    private static final AtomicLong savepoints = new AtomicLong();

    private final Key key;
    private final String suffix;
    private final String args;
    private final String mode;

    Statements(Key key, boolean shared) {
        this.key = key;
        this.suffix = shared ? "_shared" : "";
        // typed: an untyped 42 would make pglocks.lock($1) the text key '42'
        this.args = key.isPair() ? "?::int, ?::int" : "?::bigint";
        this.mode = shared ? "ShareLock" : "ExclusiveLock";
    }

    /** A savepoint name unique in this process. */
    static String newSavepoint() {
        return "pglocks_" + savepoints.incrementAndGet();
    }

    /**
     * pg_[try_]advisory_[xact_]lock[_shared] of the key. Timed: under a
     * lock_timeout given as the first parameter (milliseconds), with the
     * caller's lock_timeout as the first column; the CTEs make set_config run
     * before the lock, and is_local ends it with the statement outside a
     * transaction (in one, the caller restores it).
     */
    String lock(boolean wait, boolean xact, boolean timed) {
        String call = "pg_catalog.pg_" + (wait ? "" : "try_") + "advisory" + (xact ? "_xact" : "") + "_lock" + suffix
            + "(" + args + ")";
        if (!timed) return "SELECT " + call;
        return "WITH p AS MATERIALIZED (SELECT pg_catalog.current_setting('lock_timeout') AS prev), "
            + "t AS MATERIALIZED (SELECT prev, pg_catalog.set_config('lock_timeout', ?::text, true) FROM p) "
            + "SELECT t.prev, " + call + " FROM t";
    }

    /** The unlock call, a boolean: false if the session held no such lock. */
    String unlock() {
        return "pg_catalog.pg_advisory_unlock" + suffix + "(" + args + ")";
    }

    /** Gives back a hold of the key found in pg_locks (one granted as the lock statement failed). */
    String leftover() {
        String k = key.isPair() ? "(SELECT ?::int AS a, ?::int AS b) AS k" : "(SELECT ?::bigint AS a) AS k";
        String row = key.isPair()
            ? "l.objsubid = 2 AND l.classid = k.a::oid AND l.objid = k.b::oid"
            : "l.objsubid = 1 AND l.classid = ((k.a >> 32) & 4294967295)::oid AND l.objid = (k.a & 4294967295)::oid";
        return "SELECT pg_catalog.pg_advisory_unlock" + suffix + "(" + (key.isPair() ? "k.a, k.b" : "k.a") + ") "
            + "FROM " + k + ", pg_catalog.pg_locks AS l WHERE l.locktype = 'advisory' "
            + "AND l.pid = pg_catalog.pg_backend_pid() AND l.granted AND l.mode = '" + mode + "' AND " + row;
    }

    /** The key's parameters, after the timeout's milliseconds if there is one. */
    Object[] params(Long millis) {
        Object[] keyParams = key.isPair() ? new Object[] {key.key1(), key.key2()} : new Object[] {key.id()};
        if (millis == null) return keyParams;
        Object[] all = new Object[keyParams.length + 1];
        all[0] = millis;
        System.arraycopy(keyParams, 0, all, 1, keyParams.length);
        return all;
    }

    /**
     * Runs sql, which may be several statements separated by semicolons (one
     * round trip), and returns the first row of the last result set, or null.
     */
    static Object[] query(Connection conn, String sql, Object... params) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) st.setObject(i + 1, params[i]);
            Object[] row = null;
            for (boolean isResultSet = st.execute(); isResultSet || st.getUpdateCount() != -1;
                    isResultSet = st.getMoreResults()) {
                if (isResultSet) {
                    try (ResultSet rs = st.getResultSet()) {
                        row = rs.next() ? row(rs) : null;
                    }
                }
            }
            return row;
        }
    }

    private static Object[] row(ResultSet rs) throws SQLException {
        Object[] row = new Object[rs.getMetaData().getColumnCount()];
        for (int i = 0; i < row.length; i++) row[i] = rs.getObject(i + 1);
        return row;
    }

    /**
     * Back to a savepoint of ours, which is then gone; false if it was gone
     * already (pgjdbc's autosave=always rolls back past it when a statement
     * fails, and the transaction is then usable). Two statements: pgjdbc's
     * autosave=conservative puts a SAVEPOINT of its own before a query of
     * several, which fails in an aborted transaction.
     */
    static boolean rollbackTo(Connection conn, String savepoint) throws SQLException {
        try {
            query(conn, "ROLLBACK TO SAVEPOINT " + savepoint);
        } catch (SQLException e) {
            if (!INVALID_SAVEPOINT.equals(e.getSQLState())) throw e;
            return false;
        }
        query(conn, "RELEASE SAVEPOINT " + savepoint);
        return true;
    }
}
