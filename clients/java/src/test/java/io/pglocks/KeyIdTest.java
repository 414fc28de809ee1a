package io.pglocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeyIdTest {
    @Test
    void everySharedVector() throws Exception {
        int count = 0;
        for (Vectors v : Vectors.all()) {
            assertEquals(v.keyId(), KeyId.of(v.key()), v.description());
            assertEquals(v.crc32(), KeyId.crc32(v.key()), v.description());
            count++;
        }
        assertTrue(count >= 300, "only " + count + " vectors");
    }

    @Test
    void loneSurrogateIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> KeyId.of("\ud800"));
        assertThrows(IllegalArgumentException.class, () -> KeyId.crc32("a\udc00"));
        assertThrows(IllegalArgumentException.class, () -> Key.of("\ud800"));
    }

    @Test
    void nullIsRefusedWithAMessage() {
        for (Runnable call : new Runnable[] {() -> KeyId.of(null), () -> KeyId.crc32(null), () -> Key.of(null)}) {
            assertEquals("the key must not be null", assertThrows(NullPointerException.class, call::run).getMessage());
        }
    }
}
