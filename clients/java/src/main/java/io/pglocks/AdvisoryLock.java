package io.pglocks;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;

/**
 * Runs code under a PostgreSQL advisory lock over JDBC. Locks are PostgreSQL's
 * own ({@code pg_catalog.pg_advisory_*}), so this works on a server without
 * the pglocks extension, and {@code Key.of("orders:42")} here is the same lock
 * as {@code pglocks.lock('orders:42')} in SQL.
 *
 * <pre>{@code
 * LockResult<Integer> shipped = AdvisoryLock.withLock(conn, Key.of("orders:42"),
 *     LockOptions.DEFAULT.withTimeout(Duration.ofSeconds(5)), () -> ship(conn, 42));
 * }</pre>
 *
 * <p>A lock belongs to one server session: pass one {@link Connection} (a
 * pooled one is fine while it is borrowed), not a {@code DataSource}.
 * Transactions are JDBC's: the connection is in one when autocommit is off.
 */
public final class AdvisoryLock {
    private AdvisoryLock() {}

    /** The body run under the lock; its exception, of type E, comes through unchanged. */
    @FunctionalInterface
    public interface Body<T, E extends Exception> {
        T run() throws E;
    }

    /** {@link #withLock(Connection, Key, LockOptions, Body)} with {@link LockOptions#DEFAULT}. */
    public static <T, E extends Exception> LockResult<T> withLock(Connection conn, Key key, Body<T, E> body)
            throws SQLException, E {
        return withLock(conn, key, LockOptions.DEFAULT, body);
    }

    /**
     * Takes the lock, runs the body and returns its value. If the lock is not
     * acquired (a try that found it busy, or a timeout that ran out) the body
     * does not run, and the result says so.
     *
     * <p>A session lock (the default) is released when the body returns or
     * throws. In a transaction it is taken after a savepoint; if the body
     * leaves the transaction aborted, the lock is released and the transaction
     * aborted again, so that it must still be rolled back (an SQLException
     * 25P02 if the body returned normally). A transaction lock
     * ({@link LockOptions#xact}) is held until the transaction ends.
     *
     * @throws NullPointerException if an argument is null, before any query
     * @throws IllegalArgumentException for a transaction lock on a connection
     *     in autocommit mode, before any query
     * @throws IllegalStateException if the body returned normally but the lock
     *     was no longer held at its end (unlocked inside the body)
     * @throws SQLException from the lock statements (not a timeout running out)
     * @throws E the body's own exception
     */
    public static <T, E extends Exception> LockResult<T> withLock(
            Connection conn, Key key, LockOptions options, Body<T, E> body) throws SQLException, E {
        Objects.requireNonNull(conn, "conn must not be null");
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(options, "options must not be null");
        Objects.requireNonNull(body, "body must not be null");
        Statements sql = new Statements(key, options.shared());
        long millis = options.noWait() ? 0 : options.timeoutMillis();
        if (options.xact()) {
            if (conn.getAutoCommit()) {
                throw new IllegalArgumentException("a transaction lock needs a transaction (autocommit off): "
                    + "it would end with the statement that takes it");
            }
            return takeXact(conn, sql, millis) ? LockResult.acquired(key, body.run()) : LockResult.notAcquired(key);
        }
        SessionHold hold = new SessionHold(conn, sql, key, options.shared());
        if (!hold.take(millis)) return LockResult.notAcquired(key);
        T value;
        try {
            value = body.run();
        } catch (Throwable bodyError) {
            try {
                hold.release(true);
            } catch (Throwable releaseError) {
                bodyError.addSuppressed(releaseError);
            }
            throw bodyError;
        }
        if (!hold.release(false)) {
            throw new IllegalStateException("advisory lock " + key
                + " was no longer held at the end of the body (unlocked inside it?)");
        }
        return LockResult.acquired(key, value);
    }

    /**
     * Takes a transaction lock inside a savepoint of ours and returns whether
     * it was taken. Released, the savepoint hands the lock to the transaction;
     * rolled back to, after a busy try or a failed lock statement, it leaves
     * nothing (a lock granted as the statement failed belongs to it).
     */
    private static boolean takeXact(Connection conn, Statements sql, long millis) throws SQLException {
        boolean timed = millis > 0;
        String savepoint = Statements.newSavepoint();
        Object[] row;
        try {
            row = Statements.query(conn, "SAVEPOINT " + savepoint + "; " + sql.lock(millis != 0, true, timed),
                sql.params(timed ? millis : null));
        } catch (SQLException e) {
            if (timed && Statements.LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                Statements.rollbackTo(conn, savepoint);
                return false;
            }
            try {
                Statements.rollbackTo(conn, savepoint);
            } catch (SQLException | RuntimeException rollback) {
                e.addSuppressed(rollback);
            }
            throw e;
        }
        if (millis == 0 && !(Boolean) row[0]) {
            Statements.rollbackTo(conn, savepoint);
            return false;
        }
        if (timed) Statements.query(conn, "RELEASE SAVEPOINT " + savepoint + "; " + Statements.RESTORE_LOCK_TIMEOUT, row[0]);
        else Statements.query(conn, "RELEASE SAVEPOINT " + savepoint);
        return true;
    }
}
