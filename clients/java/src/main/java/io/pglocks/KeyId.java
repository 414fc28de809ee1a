package io.pglocks;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import java.util.zip.CRC32;

/** Key ids of the pglocks extension; the spec is docs/key-hashing.md. */
public final class KeyId {
    private KeyId() {}

    /**
     * First 8 bytes of SHA-256 over the key's UTF-8 bytes, little-endian signed: pglocks.key_id(key).
     *
     * @throws NullPointerException if the key is null
     * @throws IllegalArgumentException if the key has a lone surrogate (no UTF-8 form)
     */
    public static long of(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(utf8(key));
            return ByteBuffer.wrap(digest, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /**
     * django-pglocks 1.x: CRC-32 of the UTF-8 bytes as a signed 32-bit value:
     * pglocks.crc32_key_id(key). Refuses what {@link #of} refuses.
     */
    public static long crc32(String key) {
        CRC32 crc = new CRC32();
        crc.update(utf8(key));
        return (int) crc.getValue();
    }

    // A lone surrogate has no UTF-8 form: refuse it rather than hash a '?'.
    private static byte[] utf8(String key) {
        Objects.requireNonNull(key, "the key must not be null");
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(key));
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the key is not valid Unicode (a lone surrogate)", e);
        }
    }
}
