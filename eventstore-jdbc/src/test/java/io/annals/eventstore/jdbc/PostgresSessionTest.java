package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.tck.EventStoreContract;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What PostgreSQL sessions can do to a store: their isolation, a transaction left open, the xid range. */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@Timeout(120)
class PostgresSessionTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    private static String serializable(String url) {
        return url + "&options=-c%20default_transaction_isolation%3Dserializable";
    }

    @Test
    void appends_race_without_serialization_failures_on_sessions_that_default_to_serializable() throws Exception {
        String url = serializable(DB.newSchemaUrl("serializable"));
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(10);
        try (HikariDataSource applications = new HikariDataSource(config);
                JdbcEventStore onTheirs = JdbcEventStore.open(applications);
                JdbcEventStore onItsOwn =
                        JdbcEventStore.builder(url).maxPoolSize(10).open()) {
            for (JdbcEventStore store : List.of(onTheirs, onItsOwn)) {
                String stream = store == onTheirs ? "theirs" : "own";
                int threads = 8;
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                CyclicBarrier start = new CyclicBarrier(threads);
                List<EventData> repeated = List.of(EventData.of("E", "{\"again\":true}"));
                try {
                    List<Future<?>> done = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        done.add(pool.submit(() -> {
                            start.await();
                            for (int i = 0; i < 25; i++) {
                                store.append(stream, ExpectedVersion.any(), List.of(EventData.of("E", "{}")));
                                store.append(stream, ExpectedVersion.any(), repeated); // idempotent repeats
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get();
                    }
                } finally {
                    pool.shutdownNow();
                }
                assertThat(store.currentVersion(stream)).as(stream).isEqualTo(threads * 25 + 1);
            }
        }
    }

    @Test
    void a_connection_left_inside_a_transaction_by_other_code_is_refused_and_nothing_is_appended() throws Exception {
        String url = DB.newSchemaUrl("leaked");
        JdbcEventStore.open(url).close();
        try (Connection leaked = DriverManager.getConnection(url)) {
            try (Statement st = leaked.createStatement()) {
                st.execute("BEGIN"); // auto-commit stays on in the driver; the server is in a transaction
            }
            try (JdbcEventStore store = JdbcEventStore.open(new OneConnection(leaked))) {
                assertThatThrownBy(() -> store.append("s", ExpectedVersion.any(), List.of(EventData.of("E", "{}"))))
                        .isInstanceOf(StoreConfigurationException.class)
                        .hasMessageContaining("inside a transaction");
            } catch (StoreConfigurationException refusedAtOpen) {
                assertThat(refusedAtOpen).hasMessageContaining("inside a transaction");
            }
        }
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            assertThat(store.readAll(0, 10)).isEmpty();
        }
    }

    @Test
    void an_append_whose_position_would_overflow_is_refused_before_it_commits() throws Exception {
        String url = DB.newSchemaUrl("overflow");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            store.append("s", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}")));
            // as if the cluster had handed out 2^43 transaction ids
            try (Connection c = DriverManager.getConnection(url);
                    Statement st = c.createStatement()) {
                st.execute("UPDATE annals_log SET xid_offset = (1::bigint << 43) - pg_current_xact_id()::text::bigint");
            }
            for (List<EventData> events : List.of(
                    List.of(EventData.of("E", "{}")), List.of(EventData.of("E", "{}"), EventData.of("E", "{}")))) {
                assertThatThrownBy(() -> store.append("s", ExpectedVersion.any(), events))
                        .isInstanceOf(EventStoreException.class)
                        .hasMessageContaining("would overflow")
                        .hasMessageContaining("2^43");
            }
            assertThat(store.currentVersion("s")).isEqualTo(1);
            List<RecordedEvent> all = EventStoreContract.readAllOf(store);
            assertThat(all).hasSize(1);
        }
    }

    /** A DataSource that hands out one connection, as a pool would hand out a dirty one. */
    private record OneConnection(Connection connection) implements DataSource {
        @Override
        public Connection getConnection() {
            return (Connection) java.lang.reflect.Proxy.newProxyInstance(
                    getClass().getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                        if (method.getName().equals("close")) {
                            return null; // the pool keeps it
                        }
                        try {
                            return method.invoke(connection, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        @Override
        public Connection getConnection(String user, String password) {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {}

        @Override
        public void setLoginTimeout(int seconds) {}

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }
}
