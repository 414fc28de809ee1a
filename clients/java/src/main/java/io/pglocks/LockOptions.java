package io.pglocks;

import java.time.Duration;

/**
 * How to take a lock: start from {@link #DEFAULT} (exclusive, waiting as long
 * as it takes, held for the session until the body ends) and change it with
 * the {@code with...} methods, e.g.
 * {@code LockOptions.DEFAULT.withShared(true).withTimeout(Duration.ofSeconds(5))}.
 *
 * @param shared a shared lock ({@code pg_advisory_lock_shared}) instead of an exclusive one
 * @param noWait a try: the lock only if it is free now (PostgreSQL's NOWAIT)
 * @param timeout null, or the longest wait, in the server's lock queue ({@code lock_timeout});
 *     whole milliseconds, rounded up; zero is a try
 * @param xact a transaction lock ({@code pg_advisory_xact_lock}), held until the transaction ends
 */
public record LockOptions(boolean shared, boolean noWait, Duration timeout, boolean xact) {
    /** Exclusive, waits, session scope. */
    public static final LockOptions DEFAULT = new LockOptions(false, false, null, false);

    private static final long MAX_MILLIS = Integer.MAX_VALUE; // lock_timeout's limit

    /**
     * @throws IllegalArgumentException if the timeout is negative or longer than
     *     {@code lock_timeout} allows (24.8 days), or set together with {@code noWait}
     */
    public LockOptions {
        if (timeout != null) {
            if (timeout.isNegative() || timeout.compareTo(Duration.ofMillis(MAX_MILLIS)) > 0) {
                throw new IllegalArgumentException("timeout must be from 0 to " + MAX_MILLIS + " ms, not " + timeout);
            }
            if (noWait) {
                throw new IllegalArgumentException("a timeout and noWait together: noWait is a try, and so is a timeout of 0");
            }
        }
    }

    public LockOptions withShared(boolean shared) {
        return new LockOptions(shared, noWait, timeout, xact);
    }

    public LockOptions withNoWait(boolean noWait) {
        return new LockOptions(shared, noWait, timeout, xact);
    }

    public LockOptions withTimeout(Duration timeout) {
        return new LockOptions(shared, noWait, timeout, xact);
    }

    public LockOptions withXact(boolean xact) {
        return new LockOptions(shared, noWait, timeout, xact);
    }

    /** The timeout as lock_timeout's milliseconds, -1 for none, 0 for a try. */
    long timeoutMillis() {
        if (timeout == null) return -1;
        return timeout.plusNanos(999_999).toMillis(); // rounded up: 1 ns waits 1 ms, not 0
    }
}
