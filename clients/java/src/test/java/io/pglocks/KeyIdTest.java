package io.pglocks;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.Assume;
import org.junit.Test;

public class KeyIdTest {
    // vectors/key_ids.tsv: key as UTF-8 hex or repeat:<unit hex>:<count>, key_id, crc32_key_id
    @Test
    public void everySharedVector() throws Exception {
        int count = 0;
        for (String line : Files.readAllLines(Paths.get("../../vectors/key_ids.tsv"), StandardCharsets.UTF_8)) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] cols = line.split("\t", -1);
            byte[] bytes;
            if (cols[0].startsWith("repeat:")) {
                String[] rule = cols[0].split(":");
                byte[] unit = hex(rule[1]);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                for (int i = Integer.parseInt(rule[2]); i > 0; i--) out.write(unit);
                bytes = out.toByteArray();
            } else {
                bytes = hex(cols[0]);
            }
            String key = new String(bytes, StandardCharsets.UTF_8);
            assertEquals(cols[3], Long.parseLong(cols[1]), KeyId.of(key));
            assertEquals(cols[3], Long.parseLong(cols[2]), KeyId.crc32(key));
            count++;
        }
        assertTrue("only " + count + " vectors", count >= 300);
    }

    @Test(expected = IllegalArgumentException.class)
    public void loneSurrogateIsRefused() {
        KeyId.of("\ud800");
    }

    private static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    // Against a live server with the pglocks extension, from libpq's environment.
    private static Connection connect() throws SQLException {
        String host = System.getenv("PGHOST");
        Assume.assumeTrue("PGHOST is not set: no server", host != null);
        Properties p = new Properties();
        p.setProperty("user", System.getenv("PGUSER"));
        if (System.getenv("PGPASSWORD") != null) p.setProperty("password", System.getenv("PGPASSWORD"));
        String db = System.getenv().getOrDefault("PGDATABASE", "postgres");
        return DriverManager.getConnection(
            "jdbc:postgresql://" + host + ":" + System.getenv().getOrDefault("PGPORT", "5432") + "/" + db, p);
    }

    private static boolean serverTry(Statement server, String key) throws SQLException {
        try (ResultSet rs = server.executeQuery("SELECT pglocks.lock('" + key + "', wait => false)")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    @Test
    public void clientAndServerTakeTheSameLock() throws Exception {
        try (Connection client = connect(); Connection serverConn = connect();
             Statement server = serverConn.createStatement()) {
            server.execute("CREATE EXTENSION IF NOT EXISTS pglocks");
            boolean ran = AdvisoryLock.withLock(client, "orders:42", false, true,
                () -> assertFalse("server got the client's lock", serverTry(server, "orders:42")));
            assertTrue(ran);
            assertTrue("not released", serverTry(server, "orders:42"));
            assertFalse("client got the server's lock",
                AdvisoryLock.withLock(client, "orders:42", false, false, () -> { throw new AssertionError("ran"); }));
            server.execute("SELECT pglocks.unlock('orders:42')");
        }
    }

    @Test
    public void releasedWhenTheBodyThrowsInABrokenTransaction() throws Exception {
        try (Connection client = connect(); Connection serverConn = connect();
             Statement server = serverConn.createStatement()) {
            server.execute("CREATE EXTENSION IF NOT EXISTS pglocks");
            client.setAutoCommit(false);
            try {
                AdvisoryLock.withLock(client, "broken", false, true, () -> {
                    try (Statement st = client.createStatement()) {
                        st.execute("SELECT 1 / 0");
                    }
                });
                throw new AssertionError("the body's error was lost");
            } catch (SQLException e) {
                assertEquals("22012", e.getSQLState());
            }
            assertTrue("not released", serverTry(server, "broken"));
            server.execute("SELECT pglocks.unlock('broken')");
        }
    }
}
