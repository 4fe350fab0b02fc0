package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Scenarios 9, 10 and 11 on PostgreSQL, and the {@code schema} option. */
@Tag("postgres")
class PostgresHostileInputTest extends HostileInputContract {

    private static final ReliabilityDb DB = ReliabilityDb.postgres();
    private boolean remembered;

    @Override
    ReliabilityDb db() {
        if (!remembered) {
            remembered = true;
            remember(DB);
        }
        return DB;
    }

    @Test
    void a_configured_schema_is_created_and_holds_every_table() throws Exception {
        String schema =
                "annals_cfg_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        try {
            try (JdbcEventStore store = JdbcEventStore.builder(PostgresTestDatabase.URL)
                    .schema(schema)
                    .open()) {
                store.append("s", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}")));
                store.snapshots().load("s");
                assertThat(store.currentVersion("s")).isEqualTo(1);
            }
            try (Connection c = DriverManager.getConnection(PostgresTestDatabase.URL);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + schema + ".annals_events")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(1);
            }
        } finally {
            PostgresTestDatabase.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    @Test
    void a_schema_is_created_and_used_with_a_data_source_of_the_application() throws Exception {
        String schema =
                "annals_ds_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(PostgresTestDatabase.URL);
        try (HikariDataSource ds = new HikariDataSource(config)) {
            try (JdbcEventStore store =
                    JdbcEventStore.builder(ds).schema(schema).open()) {
                store.append("s", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}")));
            }
            try (Connection c = ds.getConnection();
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + schema + ".annals_events")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(1);
                assertThat(c.getSchema()).isNotEqualTo(schema); // the application's connections are left alone
            }
        } finally {
            PostgresTestDatabase.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
