package io.pglocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client against the pglocks extension, which these tests create in the default database. */
class ExtensionTest {
    private static final LockOptions TRY = LockOptions.DEFAULT.withNoWait(true);

    private Connection conn;
    private Connection server; // a session using the extension's functions

    @BeforeEach
    void connect() throws SQLException {
        conn = Db.connect(Db.DEFAULT_DATABASE);
        server = Db.connect(Db.DEFAULT_DATABASE);
        Db.execute(server, "CREATE EXTENSION IF NOT EXISTS pglocks");
    }

    @AfterEach
    void close() throws SQLException {
        conn.close();
        server.close();
    }

    // pglocks.lock(..., wait => false) from the other session, given back at once
    private boolean serverTry(String args) throws SQLException {
        boolean free = (Boolean) Db.value(server, "SELECT pglocks.lock(" + args + ", wait => false)");
        if (free) Db.value(server, "SELECT pglocks.unlock_all()");
        return free;
    }

    @Test
    void keyIdsAreTheExtensions() throws Exception {
        int count = 0;
        for (Vectors v : Vectors.all()) {
            if (v.key().indexOf('\0') >= 0) continue; // text cannot hold it
            assertEquals(v.keyId(), KeyId.of(v.key()), v.description());
            assertEquals(Db.value(server, "SELECT pglocks.key_id(?::text)", v.key()), KeyId.of(v.key()), v.description());
            assertEquals(Db.value(server, "SELECT pglocks.crc32_key_id(?::text)", v.key()), KeyId.crc32(v.key()), v.description());
            count++;
        }
        assertTrue(count >= 300, "only " + count + " vectors");
    }

    @Test
    void theClientsLockIsPglocksLock() throws Exception {
        assertTrue(AdvisoryLock.withLock(conn, Key.of("orders:42"), () -> serverTry("'orders:42'") ? "free" : "held")
            .value().equals("held"));
        assertTrue(serverTry("'orders:42'"));
        AdvisoryLock.withLock(conn, Key.of(42), () -> {
            assertFalse(serverTry("42::bigint"));
            assertTrue(serverTry("'42'"), "the bigint key 42 is not the text key '42'");
            return null;
        });
        AdvisoryLock.withLock(conn, Key.of(1, 2), () -> {
            assertFalse(serverTry("1, 2"));
            return null;
        });
        AdvisoryLock.withLock(conn, Key.of("shared"), LockOptions.DEFAULT.withShared(true), () -> {
            assertTrue(serverTry("'shared', shared => true"));
            assertFalse(serverTry("'shared'"));
            return null;
        });
        assertEquals(0, Db.advisoryLocksHeld(conn));
    }

    @Test
    void pglocksLockIsTheClientsLock() throws Exception {
        Db.value(server, "SELECT pglocks.lock('jobs')");
        assertFalse(AdvisoryLock.withLock(conn, Key.of("jobs"), TRY, () -> fail("ran")).acquired());
        Db.value(server, "SELECT pglocks.unlock('jobs')");
        assertTrue(AdvisoryLock.withLock(conn, Key.of("jobs"), TRY, () -> 1).acquired());
        Db.value(server, "SELECT pglocks.lock('jobs', shared => true)");
        assertTrue(AdvisoryLock.withLock(conn, Key.of("jobs"), TRY.withShared(true), () -> 1).acquired());
        assertFalse(AdvisoryLock.withLock(conn, Key.of("jobs"), TRY, () -> 1).acquired());
        Db.value(server, "SELECT pglocks.unlock_all()");
        assertEquals(0, Db.advisoryLocksHeld(conn));
    }
}
