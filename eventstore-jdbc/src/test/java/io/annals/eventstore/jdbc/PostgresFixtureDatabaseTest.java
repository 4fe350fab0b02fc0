package io.annals.eventstore.jdbc;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/**
 * The PostgreSQL fixture dumps of earlier versions (pg_dump, plain SQL), each restored into a
 * schema of its own. Restored transaction ids are those of the cluster that wrote them, as after
 * any logical restore into another cluster.
 */
@Tag("postgres")
class PostgresFixtureDatabaseTest extends FixtureDatabaseContract {

    private static final List<String> SCHEMAS = new ArrayList<>();

    @Override
    JdbcEventStore.Builder restore(String version) throws Exception {
        String dump;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/" + version + "/postgresql.sql")) {
            if (in == null) {
                throw new IllegalStateException("no fixture fixtures/" + version + "/postgresql.sql");
            }
            // psql's meta-commands (\restrict) are not SQL
            dump = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .filter(line -> !line.startsWith("\\"))
                    .collect(Collectors.joining("\n"));
        }
        String schema = "annals_restored_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        synchronized (SCHEMAS) {
            SCHEMAS.add(schema);
        }
        try (Connection c = DriverManager.getConnection(PostgresTestDatabase.URL);
                Statement st = c.createStatement()) {
            for (String sql : Migrator.statements(dump.replace(FixtureDatabases.PG_SCHEMA + ".", schema + ".")
                    .replace("CREATE SCHEMA " + FixtureDatabases.PG_SCHEMA + ";", "CREATE SCHEMA " + schema + ";"))) {
                st.execute(sql);
            }
        }
        return FixtureDatabases.configure(JdbcEventStore.builder(PostgresTestDatabase.URL))
                .schema(schema);
    }

    @AfterAll
    static void drop() {
        synchronized (SCHEMAS) {
            SCHEMAS.forEach(s -> PostgresTestDatabase.execute("DROP SCHEMA IF EXISTS " + s + " CASCADE"));
            SCHEMAS.clear();
        }
    }
}
