package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.ReadOnlyStoreException;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * How a store opens, on every database: the table prefix, the three opening modes, the DDL for
 * other migration tools, and migrations checked by checksum.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class OpeningContract extends ReliabilityContract {

    /** The tables (and views) of the database at {@code url}, lower case. */
    abstract Set<String> tables(String url) throws SQLException;

    /** The class-path folder of the database's SQL. */
    abstract String folder();

    /** The schema version this code brings the database to. */
    int latest() {
        return Migrator.list(folder()).size();
    }

    /** The SQL to run through plain JDBC on {@code url}. */
    static void sql(String url, String... statements) throws SQLException {
        ReliabilityDb.execute(url, statements);
    }

    static long count(String url, String table) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static List<EventData> one(String type) {
        return List.of(EventData.of(type, "{\"amount\":1}"));
    }

    @Nested
    class Table_names {

        @Test
        void every_table_carries_the_annals_prefix_by_default() throws SQLException {
            String url = db().newUrl("prefix");
            JdbcEventStore.open(url).close();

            assertThat(tables(url)).isNotEmpty().allMatch(t -> t.startsWith("annals_"));
            assertThat(tables(url))
                    .contains(
                            "annals_events",
                            "annals_snapshots",
                            "annals_projection_checkpoints",
                            "annals_projection_rows",
                            "annals_schema_version");
        }

        @Test
        void two_stores_with_different_prefixes_share_a_database_without_seeing_each_other() throws SQLException {
            String url = db().newUrl("two");
            try (JdbcEventStore shop =
                            JdbcEventStore.builder(url).tablePrefix("shop_").open();
                    JdbcEventStore audit =
                            JdbcEventStore.builder(url).tablePrefix("audit_").open()) {
                shop.append("order-1", ExpectedVersion.noStream(), one("Placed"));

                assertThat(shop.readAll(0, 10)).hasSize(1);
                assertThat(audit.readAll(0, 10)).isEmpty();
                assertThat(audit.currentVersion("order-1")).isZero();
            }
            assertThat(tables(url)).contains("shop_events", "audit_events").noneMatch(t -> t.startsWith("annals_"));
        }

        @Test
        void a_prefix_that_is_not_a_plain_identifier_is_refused_before_anything_connects() {
            for (String bad : List.of("Shop_", "shop-", "1shop", "shop; DROP TABLE x; --", "\"q\"", "a".repeat(31))) {
                assertThatThrownBy(() ->
                                JdbcEventStore.builder("jdbc:sqlite:never.db").tablePrefix(bad))
                        .as(bad)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("table prefix");
            }
        }
    }

    @Nested
    class Validate_mode {

        @Test
        void refuses_a_database_without_a_schema_and_creates_nothing() throws SQLException {
            String url = db().newUrl("empty");
            sql(url, "CREATE TABLE app_table (id INTEGER)"); // the database exists, the schema not

            assertThatThrownBy(() -> JdbcEventStore.builder(url)
                            .openMode(OpenMode.VALIDATE)
                            .open())
                    .isInstanceOf(SchemaVersionException.class)
                    .hasMessageContaining("no Annals schema")
                    .hasMessageContaining("MIGRATE");
            assertThat(tables(url)).containsExactly("app_table");
        }

        @Test
        void names_the_missing_migration_when_the_schema_is_behind() throws SQLException {
            String url = db().newUrl("behind");
            JdbcEventStore.open(url).close();
            sql(url, "DELETE FROM annals_schema_version WHERE version = " + latest());

            assertThatThrownBy(() -> JdbcEventStore.builder(url)
                            .openMode(OpenMode.VALIDATE)
                            .open())
                    .isInstanceOf(SchemaVersionException.class)
                    .hasMessageContaining("at version " + (latest() - 1) + ", this version of Annals needs " + latest())
                    .hasMessageContaining(
                            Migrator.list(folder()).get(latest() - 1).resource());
        }

        @Test
        void a_schema_behind_is_brought_up_to_date_by_the_ddl_after_its_version() throws SQLException {
            String url = db().newUrl("after");
            String whole = JdbcEventStore.builder(url).ddl();
            String upToV1 = whole.substring(0, whole.lastIndexOf('\n', whole.indexOf("/V2__")));
            apply(url, upToV1);

            assertThatThrownBy(() -> JdbcEventStore.builder(url)
                            .openMode(OpenMode.VALIDATE)
                            .open())
                    .isInstanceOf(SchemaVersionException.class)
                    .hasMessageContaining("ddlAfter(1)");
            String rest = JdbcEventStore.builder(url).ddlAfter(1);
            assertThat(rest).contains("V2__projections.sql").doesNotContain("V1__");
            apply(url, rest);

            try (JdbcEventStore store =
                    JdbcEventStore.builder(url).openMode(OpenMode.VALIDATE).open()) {
                store.append("s", ExpectedVersion.noStream(), one("E"));
                assertThat(store.projectors()
                                .keyed(new ProjectionRunnerContract.Totals("t"), CODEC, TOTALS)
                                .checkpoint())
                        .isZero();
            }
            assertThatThrownBy(() -> JdbcEventStore.builder(url).ddlAfter(latest() + 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("between 0 and " + latest());
        }

        @Test
        void opens_a_current_schema_and_writes_through_it() throws SQLException {
            String url = db().newUrl("current");
            JdbcEventStore.open(url).close();

            try (JdbcEventStore store =
                    JdbcEventStore.builder(url).openMode(OpenMode.VALIDATE).open()) {
                store.append("s", ExpectedVersion.noStream(), one("E"));
                assertThat(store.currentVersion("s")).isEqualTo(1);
            }
        }

        @Test
        void accepts_a_schema_applied_from_the_printed_ddl() throws SQLException {
            String url = db().newUrl("ddl");
            String ddl = JdbcEventStore.builder(url).tablePrefix("ext_").ddl();
            try (Connection c = DriverManager.getConnection(url);
                    Statement st = c.createStatement()) {
                for (String statement : Migrator.statements(ddl)) {
                    st.execute(statement);
                }
            }

            try (JdbcEventStore store = JdbcEventStore.builder(url)
                    .tablePrefix("ext_")
                    .openMode(OpenMode.VALIDATE)
                    .open()) {
                store.append("s", ExpectedVersion.noStream(), one("E"));
                assertThat(store.readAll(0, 10)).hasSize(1);
            }
            assertThat(ddl).contains("ext_events").doesNotContain("annals_").doesNotContain("{");
        }
    }

    @Nested
    class Read_only_mode {

        @Test
        void reads_events_snapshots_and_read_models_and_refuses_every_write() throws Exception {
            String url = db().newUrl("ro");
            long position;
            try (JdbcEventStore store = JdbcEventStore.open(url)) {
                position = store.append(
                                "acct-1",
                                ExpectedVersion.noStream(),
                                List.of(CODEC.encode(new ProjectionRunnerContract.Deposited(5))))
                        .position();
                store.snapshots()
                        .save(new Snapshot(
                                "acct-1",
                                1,
                                store.readStream("acct-1", 1, 1).get(0).eventId(),
                                1,
                                "{}",
                                Instant.EPOCH));
                KeyedProjector<String, ProjectionRunnerContract.Total> totals =
                        store.projectors().keyed(new ProjectionRunnerContract.Totals("totals"), CODEC, TOTALS);
                try (ProjectionRunner runner =
                        ProjectionRunner.builder(store).add(totals).build()) {
                    runner.catchUp();
                }
            }
            long events = count(url, "annals_events");

            try (JdbcEventStore store =
                    JdbcEventStore.builder(url).openMode(OpenMode.READ_ONLY).open()) {
                assertThat(store.readStream("acct-1", 1, 10)).hasSize(1);
                assertThat(store.readAll(0, 10)).hasSize(1);
                assertThat(store.currentVersion("acct-1")).isEqualTo(1);
                assertThat(store.snapshots().load("acct-1")).isPresent();
                KeyedProjector<String, ProjectionRunnerContract.Total> totals =
                        store.projectors().keyed(new ProjectionRunnerContract.Totals("totals"), CODEC, TOTALS);
                assertThat(totals.checkpoint()).isEqualTo(position);
                assertThat(totals.get("acct-1")).contains(new ProjectionRunnerContract.Total(5, 1));

                assertThatThrownBy(() -> store.append("acct-1", ExpectedVersion.any(), one("E")))
                        .isInstanceOf(ReadOnlyStoreException.class)
                        .hasMessageContaining("read-only");
                assertThatThrownBy(() -> store.snapshots()
                                .save(new Snapshot("acct-1", 1, UUID.randomUUID(), 1, "{}", Instant.EPOCH)))
                        .isInstanceOf(ReadOnlyStoreException.class);
                assertThatThrownBy(totals::reset).isInstanceOf(ReadOnlyStoreException.class);
                assertThatThrownBy(() -> totals.apply(position, position + 1, List.of()))
                        .isInstanceOf(ReadOnlyStoreException.class);
            }
            assertThat(count(url, "annals_events")).isEqualTo(events);
        }

        @Test
        void refuses_a_database_without_a_schema() throws SQLException {
            String url = db().newUrl("ro-empty");
            sql(url, "CREATE TABLE app_table (id INTEGER)");

            assertThatThrownBy(() -> JdbcEventStore.builder(url)
                            .openMode(OpenMode.READ_ONLY)
                            .open())
                    .isInstanceOf(SchemaVersionException.class);
            assertThat(tables(url)).containsExactly("app_table");
        }
    }

    @Nested
    class Migrations {

        @Test
        void a_migration_whose_checksum_changed_is_refused_in_every_mode() throws SQLException {
            String url = db().newUrl("sum");
            JdbcEventStore.open(url).close();
            sql(url, "UPDATE annals_schema_version SET checksum = 'edited' WHERE version = 1");

            for (OpenMode mode : OpenMode.values()) {
                assertThatThrownBy(
                                () -> JdbcEventStore.builder(url).openMode(mode).open())
                        .as(mode.name())
                        .isInstanceOf(SchemaVersionException.class)
                        .hasMessageContaining("V1__events_and_snapshots.sql")
                        .hasMessageContaining("checksum");
            }
        }

        @Test
        void making_a_projector_writes_nothing_until_its_first_batch() throws SQLException {
            String url = db().newUrl("lazy");
            try (JdbcEventStore store = JdbcEventStore.open(url)) {
                KeyedProjector<String, ProjectionRunnerContract.Total> totals =
                        store.projectors().keyed(new ProjectionRunnerContract.Totals("totals"), CODEC, TOTALS);
                assertThat(count(url, "annals_projection_checkpoints")).isZero();
                assertThat(totals.checkpoint()).isZero();

                store.append(
                        "acct-1",
                        ExpectedVersion.noStream(),
                        List.of(CODEC.encode(new ProjectionRunnerContract.Deposited(2))));
                try (ProjectionRunner runner =
                        ProjectionRunner.builder(store).add(totals).build()) {
                    runner.start();
                    assertThat(runner.awaitPosition(store.readAll(0, 1).get(0).position(), Duration.ofSeconds(30)))
                            .isTrue();
                }
                assertThat(count(url, "annals_projection_checkpoints")).isEqualTo(1);
            }
        }
    }

    static void apply(String url, String script) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                Statement st = c.createStatement()) {
            for (String statement : Migrator.statements(script)) {
                st.execute(statement);
            }
        }
    }

    /** The table names of a JDBC connection's current schema (or the SQLite file), lower case. */
    static Set<String> tablesOf(String url, String schema) throws SQLException {
        Set<String> out = new TreeSet<>();
        try (Connection c = DriverManager.getConnection(url)) {
            DatabaseMetaData meta = c.getMetaData();
            try (ResultSet rs = meta.getTables(null, schema, "%", new String[] {"TABLE"})) {
                while (rs.next()) {
                    String name = rs.getString("TABLE_NAME").toLowerCase(java.util.Locale.ROOT);
                    if (!name.startsWith("sqlite_")) {
                        out.add(name);
                    }
                }
            }
        }
        return out;
    }
}
