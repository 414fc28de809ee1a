package io.pglocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/** What needs no server: keys, options, and what the compiler refuses. */
class ApiTest {
    @Test
    void keysAreEqualWhenTheyNameTheSameLock() {
        assertEquals(Key.of("orders:42"), Key.of(KeyId.of("orders:42")));
        assertEquals(Key.of(1, 2), Key.of(1, 2));
        assertNotEquals(Key.of(1, 2), Key.of(1L << 32 | 2)); // PostgreSQL's two key spaces
        assertNotEquals(Key.of(42), Key.of("42"));
        assertEquals("'orders:42'", Key.of("orders:42").toString());
        assertEquals("(-1, 2)", Key.of(-1, 2).toString());
        assertEquals("-42", Key.of(-42).toString());
    }

    @Test
    void options() {
        LockOptions d = LockOptions.DEFAULT;
        assertFalse(d.shared() || d.noWait() || d.xact());
        assertNull(d.timeout());
        assertEquals(-1, d.timeoutMillis());
        assertEquals(0, d.withTimeout(Duration.ZERO).timeoutMillis()); // a try
        assertEquals(1, d.withTimeout(Duration.ofNanos(1)).timeoutMillis()); // rounded up
        assertEquals(2, d.withTimeout(Duration.ofMillis(1).plusNanos(1)).timeoutMillis());
        assertEquals(Integer.MAX_VALUE, d.withTimeout(Duration.ofMillis(Integer.MAX_VALUE)).timeoutMillis());
        LockOptions all = d.withShared(true).withXact(true).withTimeout(Duration.ofSeconds(2));
        assertEquals(new LockOptions(true, false, Duration.ofSeconds(2), true), all);
        assertTrue(d.withNoWait(true).noWait());
    }

    @Test
    void badTimeoutsAreRefused() {
        LockOptions d = LockOptions.DEFAULT;
        assertThrows(IllegalArgumentException.class, () -> d.withTimeout(Duration.ofNanos(-1)));
        assertThrows(IllegalArgumentException.class, () -> d.withTimeout(Duration.ofMillis(Integer.MAX_VALUE).plusNanos(1)));
        assertThrows(IllegalArgumentException.class, () -> d.withTimeout(Duration.ofSeconds(Long.MAX_VALUE)));
        assertThrows(IllegalArgumentException.class, () -> d.withNoWait(true).withTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> d.withTimeout(Duration.ofSeconds(1)).withNoWait(true));
    }

    @Test
    void orElseThrow() throws Exception {
        assertEquals("v", LockResult.acquired(Key.of(1), "v").orElseThrow());
        LockNotAcquiredException e = assertThrows(LockNotAcquiredException.class,
            () -> LockResult.notAcquired(Key.of("busy")).orElseThrow());
        assertEquals("55P03", e.getSQLState());
        assertEquals("could not acquire advisory lock 'busy'", e.getMessage());
    }

    // Wrong key types, out-of-range numbers, pairs of the wrong length and
    // pools are refused by the compiler: the API has no overload for them.
    @Test
    void theCompilerRefusesWhatIsNotAKeyOrAConnection() throws Exception {
        String run = "AdvisoryLock.withLock(%s, %s, () -> 1)";
        String conn = "(java.sql.Connection) null";
        assertTrue(compiles(String.format(run, conn, "Key.of(\"x\")")));
        assertTrue(compiles(String.format(run, conn, "Key.of(Long.MIN_VALUE)")));
        assertTrue(compiles(String.format(run, conn, "Key.of(Integer.MIN_VALUE, -1)")));
        for (String key : List.of("Key.of(1.5)", "Key.of(1.5f)", "Key.of(true)",
                "Key.of(1L << 40, 0)", "Key.of(1, 2, 3)", "Key.of(new int[] {1, 2})", "Key.of(java.util.List.of(1, 2))",
                "Key.of(java.math.BigInteger.ONE.shiftLeft(63))", "Key.of((Object) \"x\")", "\"x\"", "42L")) {
            assertFalse(compiles(String.format(run, conn, key)), key);
        }
        assertFalse(compiles(String.format(run, "(javax.sql.DataSource) null", "Key.of(1)")), "a pool");
        assertFalse(compiles(String.format(run, "(javax.sql.PooledConnection) null", "Key.of(1)")));
        assertFalse(compiles("LockOptions.DEFAULT.withTimeout(1.5)"));
    }

    private static boolean compiles(String statement) throws Exception {
        String source = "import io.pglocks.*; class Snippet { void run() throws Exception { " + statement + "; } }";
        JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///Snippet.java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        String api = Paths.get(Key.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        Path out = Files.createTempDirectory("pglocks-snippet");
        try {
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            return javac.getTask(new StringWriter(), null, diagnostic -> {}, List.of("-cp", api, "-d", out.toString()),
                null, List.of(file)).call();
        } finally {
            delete(out);
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) Files.delete(p);
        }
    }
}
