package io.pglocks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Runs code under a PostgreSQL session advisory lock over JDBC. Locks are
 * PostgreSQL's own: a key locked here is the same lock as pglocks.lock(key).
 *
 * <pre>
 * boolean ran = AdvisoryLock.withLock(conn, "orders:42", false, true, () -&gt; ship(42));
 * </pre>
 */
public final class AdvisoryLock {
    private AdvisoryLock() {}

    /** The body: may throw any exception, which comes through unchanged. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    /** A text key, hashed with {@link KeyId#of}. */
    public static boolean withLock(Connection conn, String key, boolean shared, boolean wait, Body body)
            throws Exception {
        return withLock(conn, KeyId.of(key), shared, wait, body);
    }

    /**
     * Takes the lock (waiting unless {@code wait} is false), runs the body and
     * releases the lock when it returns or throws. Returns false, without
     * running the body, if the lock was busy and {@code wait} is false. If the
     * body leaves the transaction aborted, it is rolled back (it could only be
     * rolled back) so that the lock can be released.
     */
    public static boolean withLock(Connection conn, long key, boolean shared, boolean wait, Body body)
            throws Exception {
        String suffix = shared ? "_shared" : "";
        if (wait) {
            take(conn, suffix, key);
        } else if (!query(conn, "SELECT pg_try_advisory_lock" + suffix + "(?)", key)) {
            return false;
        }
        try {
            body.run();
        } finally {
            String unlock = "SELECT pg_advisory_unlock" + suffix + "(?)";
            try {
                query(conn, unlock, key);
            } catch (SQLException e) {
                if (!"25P02".equals(e.getSQLState())) throw e; // transaction aborted
                conn.rollback();
                query(conn, unlock, key);
            }
        }
        return true;
    }

    /*
     * Runs the statement that waits for the lock. An error can end the wait
     * just as the lock is granted (a cancel, a query timeout,
     * statement_timeout): the statement fails and the session holds the lock
     * all the same. No hold in this mode existed before (it would have been
     * granted at once), so a hold left then is that one: give it back, unless
     * the failure left a transaction aborted (then nothing can run before its
     * owner rolls it back).
     */
    private static void take(Connection conn, String suffix, long key) throws SQLException {
        try {
            query(conn, "SELECT pg_advisory_lock" + suffix + "(?) IS NULL", key);
        } catch (SQLException e) {
            String mode = suffix.isEmpty() ? "ExclusiveLock" : "ShareLock";
            try {
                if (conn.getAutoCommit()) {
                    query(conn, "SELECT pg_advisory_unlock" + suffix + "(k.a) FROM (SELECT ?::bigint AS a) AS k, "
                        + "pg_catalog.pg_locks AS l WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() "
                        + "AND l.granted AND l.mode = '" + mode + "' AND l.objsubid = 1 "
                        + "AND l.classid = ((k.a >> 32) & 4294967295)::oid AND l.objid = (k.a & 4294967295)::oid",
                        key);
                }
            } catch (SQLException leftover) {
                e.addSuppressed(leftover); // the error to report is the first one
            }
            throw e;
        }
    }

    // one boolean from a query of at most one row (false for none)
    private static boolean query(Connection conn, String sql, long key) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(sql)) {
            st.setLong(1, key);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }
}
