package io.annals.eventstore.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The PostgreSQL server the tests talk to: a real one, never a mock. Its URL comes from the
 * system property {@code annals.test.postgres.url} (the {@code postgres} Maven profile sets it to
 * the server on 127.0.0.1:5432, database {@code test}). A test that cannot reach it fails.
 *
 * <p>Each store gets a schema of its own, dropped by {@link #dropAll()}.
 */
final class PostgresTestDatabase {

    static final String URL =
            System.getProperty("annals.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

    private final List<String> schemas = new ArrayList<>();
    private final List<HikariDataSource> pools = new ArrayList<>();

    /** The schema a URL of {@link #newSchemaUrl} names. */
    static String schemaOf(String url) {
        return url.substring(url.indexOf("currentSchema=") + "currentSchema=".length());
    }

    /** A JDBC URL on a new, empty schema. */
    synchronized String newSchemaUrl(String prefix) {
        String schema =
                prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        execute("CREATE SCHEMA " + schema);
        schemas.add(schema);
        return URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    /**
     * An application's pool on {@code url}, its sessions at {@code isolation} (a
     * {@code TRANSACTION_...} name; null for the server's default), closed by {@link #dropAll()}.
     */
    synchronized HikariDataSource pool(String url, String isolation, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        if (isolation != null) {
            config.setTransactionIsolation(isolation);
        }
        HikariDataSource pool = new HikariDataSource(config);
        pools.add(pool);
        return pool;
    }

    synchronized void dropAll() {
        pools.forEach(HikariDataSource::close);
        pools.clear();
        for (String schema : schemas) {
            execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
        schemas.clear();
    }

    /** {@link #URL} for the login role {@code role} (the server trusts local connections). */
    static String urlAs(String role) {
        String url = URL.replaceAll("([?&])user=[^&]*", "$1user=" + role);
        return url.equals(URL) && !URL.contains("user=" + role)
                ? URL + (URL.contains("?") ? "&" : "?") + "user=" + role
                : url;
    }

    /**
     * {@code url} with its sessions named {@code applicationName} in {@code pg_stat_activity}, so
     * that a test can find them among the server's other sessions.
     */
    static String named(String url, String applicationName) {
        return url + (url.contains("?") ? "&" : "?") + "ApplicationName=" + applicationName;
    }

    /**
     * Waits until a session named {@code applicationName} (see {@link #named}) waits for a lock;
     * fails the test after 30 s.
     */
    static void awaitWaitingForALock(String applicationName) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Connection c = DriverManager.getConnection(URL);
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity"
                        + " WHERE application_name = ? AND wait_event_type = 'Lock'")) {
            ps.setString(1, applicationName);
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) > 0) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no session of " + applicationName + " waited for a lock within 30 s");
                }
                Thread.sleep(20);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read pg_stat_activity: " + e.getMessage(), e);
        }
    }

    static void execute(String sql) {
        try (Connection c = DriverManager.getConnection(URL);
                Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "PostgreSQL at " + URL + ": " + e.getMessage()
                            + " (the PostgreSQL tests need a server: see README.md)",
                    e);
        }
    }
}
