package io.pglocks;

import java.util.Objects;

/**
 * The key of an advisory lock: a text key (locked by its {@link KeyId#of key
 * id}), a 64-bit integer, or a pair of 32-bit integers. These are PostgreSQL's
 * two key spaces: {@code Key.of(42)} is {@code pg_advisory_lock(42::bigint)},
 * {@code Key.of(1, 2)} is {@code pg_advisory_lock(1, 2)}, and
 * {@code Key.of("orders:42")} is {@code pglocks.lock('orders:42')}.
 *
 * <p>Keys are equal when they name the same lock: {@code Key.of("x")} equals
 * {@code Key.of(KeyId.of("x"))}.
 */
public final class Key {
    private final String text; // only to name the key in messages
    private final boolean pair;
    private final long id; // a pair: key1 and key2 in the high and low halves

    private Key(String text, boolean pair, long id) {
        this.text = text;
        this.pair = pair;
        this.id = id;
    }

    /** A text key, hashed with {@link KeyId#of}: a null or a lone surrogate is refused. */
    public static Key of(String text) {
        return new Key(text, false, KeyId.of(text));
    }

    /** A 64-bit key: {@code pg_advisory_lock(id::bigint)}. */
    public static Key of(long id) {
        return new Key(null, false, id);
    }

    /** A pair of 32-bit keys: {@code pg_advisory_lock(key1::int, key2::int)}. */
    public static Key of(int key1, int key2) {
        return new Key(null, true, (long) key1 << 32 | key2 & 0xFFFFFFFFL);
    }

    boolean isPair() {
        return pair;
    }

    long id() {
        return id;
    }

    int key1() {
        return (int) (id >> 32);
    }

    int key2() {
        return (int) id;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Key && ((Key) other).pair == pair && ((Key) other).id == id;
    }

    @Override
    public int hashCode() {
        return Objects.hash(pair, id);
    }

    @Override
    public String toString() {
        if (pair) return "(" + key1() + ", " + key2() + ")";
        return text != null ? "'" + text + "'" : Long.toString(id);
    }
}
