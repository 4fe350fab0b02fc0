package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        String schema = "annals_cfg_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        try {
            try (JdbcEventStore store = JdbcEventStore.builder(PostgresTestDatabase.URL).schema(schema).open()) {
                store.append("s", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}")));
                store.snapshots().load("s");
                assertThat(store.currentVersion("s")).isEqualTo(1);
            }
            try (Connection c = DriverManager.getConnection(PostgresTestDatabase.URL);
                 Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + schema + ".events")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(1);
            }
        } finally {
            PostgresTestDatabase.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    @Test
    void a_schema_is_refused_with_a_data_source_of_the_application() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db().newUrl("ds"));
        try (HikariDataSource ds = new HikariDataSource(config)) {
            assertThatThrownBy(() -> JdbcEventStore.builder(ds).schema("events").open())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("currentSchema");
        }
    }
}
