package io.pglocks;

import java.sql.SQLException;

/**
 * The lock was busy: a try found it held, or a timeout ran out. Its SQLSTATE
 * is PostgreSQL's {@code lock_not_available}, 55P03.
 */
public class LockNotAcquiredException extends SQLException {
    private static final long serialVersionUID = 1L;

    public LockNotAcquiredException(Key key) {
        super("could not acquire advisory lock " + key, "55P03");
    }
}
