package io.pglocks;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
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

    // A connection whose pg_advisory_lock calls go to pg_temp.granted_as_canceled.
    private static Connection racing(Connection conn) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                if (method.getName().equals("prepareStatement") && args.length == 1) {
                    args[0] = ((String) args[0]).replaceFirst(
                        "pg_advisory_lock(_shared)?\\(", "pg_temp.granted_as_canceled$1(");
                }
                try {
                    return method.invoke(conn, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
    }

    // What a cancel or statement_timeout that fires just as the lock is
    // granted leaves: the lock granted and the statement failed. Stand in for
    // pg_advisory_lock with a function that does both.
    @Test
    public void aGrantThatRacesWithAnErrorIsGivenBack() throws Exception {
        try (Connection client = connect(); Statement st = client.createStatement()) {
            for (String suffix : new String[] {"", "_shared"}) {
                st.execute("CREATE FUNCTION pg_temp.granted_as_canceled" + suffix + "(k bigint) RETURNS void "
                    + "LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_lock" + suffix + "(k); RAISE EXCEPTION "
                    + "'canceling statement due to statement timeout' USING ERRCODE = '57014'; END $$");
            }
            for (boolean shared : new boolean[] {false, true}) {
                try {
                    AdvisoryLock.withLock(racing(client), "raced", shared, true, () -> {
                        throw new AssertionError("ran without the lock");
                    });
                    throw new AssertionError("the error was lost");
                } catch (SQLException e) {
                    assertEquals("57014", e.getSQLState());
                }
                try (ResultSet rs = st.executeQuery(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")) {
                    rs.next();
                    assertEquals("locks left, shared " + shared, 0, rs.getInt(1));
                }
            }
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
