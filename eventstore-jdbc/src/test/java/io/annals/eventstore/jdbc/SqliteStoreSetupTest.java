package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SqliteStoreSetupTest {

    @TempDir
    Path dir;

    private String url(String name) {
        return "jdbc:sqlite:" + dir.resolve(name);
    }

    private static String pragma(Connection c, String name) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("PRAGMA " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Nested
    class Pragmas {

        @Test
        void the_store_runs_in_wal_mode_with_full_sync_by_default() throws SQLException {
            try (JdbcEventStore store = JdbcEventStore.open(url("a.db"))) {
                store.append("s", ExpectedVersion.any(), List.of(EventData.of("E", "{}")));
            }
            try (Connection c = DriverManager.getConnection(url("a.db"))) {
                assertThat(pragma(c, "journal_mode")).isEqualTo("wal");
            }
        }

        @Test
        void each_connection_the_store_uses_gets_the_durability_asked_for() throws SQLException {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(url("b.db"));
            config.setMaximumPoolSize(1);
            try (HikariDataSource pool = new HikariDataSource(config)) {
                try (JdbcEventStore store = JdbcEventStore.builder(pool)
                        .durability(Durability.NORMAL)
                        .open()) {
                    store.append("s", ExpectedVersion.any(), List.of(EventData.of("E", "{}")));
                    try (Connection c = pool.getConnection()) {
                        assertThat(pragma(c, "synchronous")).isEqualTo("1");
                        assertThat(pragma(c, "busy_timeout")).isEqualTo("5000");
                    }
                }
                try (JdbcEventStore store = JdbcEventStore.builder(pool).open()) {
                    store.append("s", ExpectedVersion.any(), List.of(EventData.of("E", "{}")));
                    try (Connection c = pool.getConnection()) {
                        assertThat(pragma(c, "synchronous")).isEqualTo("2");
                    }
                }
            }
        }

        /**
         * SQLite checkpoints the WAL (every 1,000 pages by default) only when a committing
         * statement runs to its end; an append that stopped reading its RETURNING row early left
         * every append in the WAL for ever (18 KB each).
         */
        @Test
        void single_event_appends_let_sqlite_checkpoint_the_wal() throws Exception {
            try (JdbcEventStore store = JdbcEventStore.builder(url("wal.db"))
                    .durability(Durability.NORMAL)
                    .open()) {
                for (int i = 0; i < 1_500; i++) {
                    store.append(
                            "s-" + (i % 10), ExpectedVersion.any(), List.of(EventData.of("E", "{\"i\":" + i + "}")));
                }
                // 1,000 pages of 4 KB, plus the frames of the append that crossed the mark.
                assertThat(java.nio.file.Files.size(dir.resolve("wal.db-wal"))).isLessThan(6L * 1024 * 1024);
                assertThat(store.countEvents()).isEqualTo(1_500);
            }
        }

        @Test
        void a_data_source_with_auto_commit_off_is_refused_with_a_clear_message() {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(url("c.db"));
            config.setAutoCommit(false);
            try (HikariDataSource pool = new HikariDataSource(config)) {
                assertThatThrownBy(() -> JdbcEventStore.open(pool))
                        .isInstanceOf(EventStoreException.class)
                        .hasMessageContaining("auto-commit");
            }
        }
    }

    @Nested
    class Opening {

        @Test
        void an_in_memory_url_is_refused() {
            assertThatThrownBy(() -> JdbcEventStore.open("jdbc:sqlite::memory:"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("in-memory");
        }

        @Test
        void an_unsupported_url_is_refused() {
            assertThatThrownBy(() -> JdbcEventStore.open("jdbc:h2:mem:x"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unsupported JDBC URL");
        }

        @Test
        void close_leaves_a_data_source_passed_in_open() throws SQLException {
            SQLiteDataSource ds = new SQLiteDataSource();
            ds.setUrl(url("d.db"));
            JdbcEventStore.open(ds).close();

            try (Connection c = ds.getConnection()) {
                assertThat(c.isValid(1)).isTrue();
            }
            try (JdbcEventStore store = JdbcEventStore.open(ds)) {
                assertThat(store.currentVersion("s")).isZero();
            }
        }

        @Test
        void events_survive_closing_and_reopening_the_store() {
            try (JdbcEventStore store = JdbcEventStore.open(url("e.db"))) {
                store.append("s", ExpectedVersion.noStream(), List.of(EventData.of("E", "{\"a\":1}")));
            }
            try (JdbcEventStore store = JdbcEventStore.open(url("e.db"))) {
                assertThat(store.currentVersion("s")).isEqualTo(1);
                assertThat(store.readAll(0, 10)).hasSize(1);
            }
        }
    }

    @Nested
    class Migrations {

        @Test
        void each_applied_migration_is_recorded_once() throws SQLException {
            JdbcEventStore.open(url("m.db")).close();
            JdbcEventStore.open(url("m.db")).close();

            try (Connection c = DriverManager.getConnection(url("m.db"));
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery(
                            "SELECT version, description FROM annals_schema_version ORDER BY version")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(1);
                assertThat(rs.getString(2)).isEqualTo("events and snapshots");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(2);
                assertThat(rs.getString(2)).isEqualTo("projections");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(3);
                assertThat(rs.getString(2)).isEqualTo("tags");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(4);
                assertThat(rs.getString(2)).isEqualTo("stream deletion");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(5);
                assertThat(rs.getString(2)).isEqualTo("subject keys");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(6);
                assertThat(rs.getString(2)).isEqualTo("stream truncation");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(7);
                assertThat(rs.getString(2)).isEqualTo("dead letters");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(8);
                assertThat(rs.getString(2)).isEqualTo("projection versions");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(9);
                assertThat(rs.getString(2)).isEqualTo("stream categories");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(10);
                assertThat(rs.getString(2)).isEqualTo("checkpoint repairs");
                assertThat(rs.next()).isFalse();
            }
        }

        @Test
        void a_schema_newer_than_this_library_is_refused() throws SQLException {
            JdbcEventStore.open(url("n.db")).close();
            try (Connection c = DriverManager.getConnection(url("n.db"));
                    Statement st = c.createStatement()) {
                st.execute("INSERT INTO annals_schema_version VALUES (99, 'from the future', 'x', 'x')");
            }

            assertThatThrownBy(() -> JdbcEventStore.open(url("n.db")))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("schema is at version 99");
        }

        @Test
        void migration_scripts_split_at_line_ending_semicolons_outside_dollar_blocks() {
            List<String> sql = Migrator.statements("""
                    -- a comment
                    CREATE TABLE a (x INT);
                    CREATE FUNCTION f() RETURNS INT AS $$
                    BEGIN RETURN 1; END;
                    $$ LANGUAGE plpgsql;
                    """);

            assertThat(sql).hasSize(2);
            assertThat(sql.get(0)).isEqualTo("CREATE TABLE a (x INT)");
            assertThat(sql.get(1)).startsWith("CREATE FUNCTION").endsWith("LANGUAGE plpgsql");
        }
    }

    /** A DataSource handing every caller the same physical connection, which close() keeps open. */
    private static DataSource singleConnection(Connection physical) {
        Connection shared = (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "close" -> null;
                    case "unwrap" -> physical.unwrap((Class<?>) args[0]);
                    default -> method.invoke(physical, args);
                });
        return (DataSource) Proxy.newProxyInstance(
                DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getConnection")) {
                        return shared;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Nested
    class Concurrency_across_stores {

        /** Reads keep their statements prepared; two threads on one connection must not share one. */
        @Test
        void threads_reading_through_one_shared_connection_each_get_their_own_stream() throws Exception {
            try (Connection physical = DriverManager.getConnection(url("single.db"));
                    JdbcEventStore store = JdbcEventStore.open(singleConnection(physical))) {
                for (int s = 0; s < 6; s++) {
                    List<EventData> events = new ArrayList<>();
                    for (int i = 0; i < 200; i++) {
                        events.add(EventData.of("E", "{\"s\":" + s + "}"));
                    }
                    store.append("s" + s, ExpectedVersion.noStream(), events);
                }
                ExecutorService pool = Executors.newFixedThreadPool(6);
                try {
                    List<Future<Integer>> reads = new ArrayList<>();
                    for (int t = 0; t < 6; t++) {
                        String stream = "s" + t;
                        reads.add(pool.submit(() -> {
                            int good = 0;
                            for (int k = 0; k < 100; k++) {
                                List<RecordedEvent> got = store.readStream(stream, 1, 1000);
                                if (got.size() == 200
                                        && got.stream()
                                                .allMatch(e -> e.streamId().equals(stream))) {
                                    good++;
                                }
                            }
                            return good;
                        }));
                    }
                    for (Future<Integer> read : reads) {
                        assertThat(read.get(60, TimeUnit.SECONDS)).isEqualTo(100);
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        }

        @Test
        void two_stores_on_one_file_serialise_their_writes() throws Exception {
            try (JdbcEventStore a = JdbcEventStore.open(url("shared.db"));
                    JdbcEventStore b = JdbcEventStore.open(url("shared.db"))) {
                Thread[] threads = new Thread[4];
                for (int t = 0; t < threads.length; t++) {
                    JdbcEventStore s = t % 2 == 0 ? a : b;
                    String stream = "s-" + t;
                    threads[t] = new Thread(() -> {
                        for (int i = 0; i < 50; i++) {
                            s.append(stream, ExpectedVersion.exactly(i), List.of(EventData.of("E", "{}")));
                        }
                    });
                    threads[t].start();
                }
                for (Thread t : threads) {
                    t.join();
                }
                assertThat(a.readAll(0, 1000)).hasSize(200);
                assertThat(b.currentVersion("s-1")).isEqualTo(50);
            }
        }
    }
}
