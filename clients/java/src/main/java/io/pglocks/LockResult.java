package io.pglocks;

/**
 * What {@link AdvisoryLock#withLock} did: either it took the lock and ran the
 * body ({@link #acquired()}, and the body's {@link #value()}), or the lock was
 * busy (a try, or a timeout that ran out) and the body did not run.
 */
public final class LockResult<T> {
    private final Key key;
    private final boolean acquired;
    private final T value;

    private LockResult(Key key, boolean acquired, T value) {
        this.key = key;
        this.acquired = acquired;
        this.value = value;
    }

    static <T> LockResult<T> acquired(Key key, T value) {
        return new LockResult<>(key, true, value);
    }

    static <T> LockResult<T> notAcquired(Key key) {
        return new LockResult<>(key, false, null);
    }

    /** Whether the lock was taken (and the body ran). */
    public boolean acquired() {
        return acquired;
    }

    /** The body's value; null if the lock was not acquired. */
    public T value() {
        return value;
    }

    /** The body's value, or LockNotAcquiredException if the lock was not acquired. */
    public T orElseThrow() throws LockNotAcquiredException {
        if (!acquired) throw new LockNotAcquiredException(key);
        return value;
    }

    @Override
    public String toString() {
        return acquired ? "LockResult[acquired " + key + ", value=" + value + "]" : "LockResult[not acquired " + key + "]";
    }
}
