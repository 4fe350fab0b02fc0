package io.annals.eventstore.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

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
