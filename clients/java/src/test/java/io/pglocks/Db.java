package io.pglocks;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.UnaryOperator;

/** The live server, from libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). */
final class Db {
    private Db() {}

    static final String DEFAULT_DATABASE = env("PGDATABASE", env("PGUSER", System.getProperty("user.name")));

    static String env(String name, String otherwise) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? otherwise : value;
    }

    /** A connection to a database of the server, in autocommit mode; more pgjdbc properties as name, value pairs. */
    static Connection connect(String database, String... properties) throws SQLException {
        // pgjdbc speaks TCP only: a socket directory means this machine
        String host = env("PGHOST", "localhost");
        if (host.startsWith("/")) host = "localhost";
        Properties props = new Properties();
        for (int i = 0; i < properties.length; i += 2) props.setProperty(properties[i], properties[i + 1]);
        props.setProperty("user", env("PGUSER", System.getProperty("user.name")));
        if (System.getenv("PGPASSWORD") != null) props.setProperty("password", System.getenv("PGPASSWORD"));
        return DriverManager.getConnection(
            "jdbc:postgresql://" + host + ":" + env("PGPORT", "5432") + "/" + database, props);
    }

    static Object value(Connection conn, String sql, Object... params) throws SQLException {
        try (var st = conn.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) st.setObject(i + 1, params[i]);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        }
    }

    static void execute(Connection conn, String sql) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute(sql);
        }
    }

    /** The advisory locks this connection's session holds. */
    static long advisoryLocksHeld(Connection conn) throws SQLException {
        return (Long) value(conn, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()");
    }

    /** The SQL a connection was asked to run, logged, and rewritten on the way by {@code rewrite}. */
    static final class Wrapped {
        final List<String> sql = new ArrayList<>();
        final Connection conn;

        Wrapped(Connection target, UnaryOperator<String> rewrite) {
            conn = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "equals": return proxy == args[0];
                        case "hashCode": return System.identityHashCode(proxy);
                        case "prepareStatement": case "prepareCall": case "nativeSQL":
                            sql.add((String) args[0]);
                            args[0] = rewrite.apply((String) args[0]);
                            break;
                        case "createStatement":
                            sql.add("createStatement");
                            break;
                        default:
                    }
                    try {
                        return method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        }

        Wrapped(Connection target) {
            this(target, UnaryOperator.identity());
        }
    }
}
