package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.ReadHorizon;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What holds readers of the log back, as the store and the runner report it. */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresReadHorizonTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Test
    @Timeout(60)
    void nothing_holds_readers_back_but_an_append_in_flight_which_is_named_with_its_session_and_age() throws Exception {
        String url = DB.newSchemaUrl("horizon");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            AppendResult first = append(store, 1);
            try (Connection foreign = transactionWithId(url, "another-application", false)) {
                ReadHorizon free = store.readHorizon();

                assertThat(free.heldBy())
                        .as("a foreign transaction holds nothing back")
                        .isEmpty();
                assertThat(free.position()).isGreaterThan(first.position());
                assertThat(free.age()).isZero();
                assertThat(foreign.isValid(1)).isTrue();
            }

            try (Connection appending = transactionWithId(url, "slow-appender", true)) {
                long pid = pid(appending);
                Thread.sleep(50);
                ReadHorizon held = store.readHorizon();

                assertThat(held.heldBy()).hasValueSatisfying(h -> {
                    assertThat(h.pid()).hasValue(pid);
                    assertThat(h.description()).contains("slow-appender").contains("idle in transaction");
                    assertThat(h.age())
                            .hasValueSatisfying(a -> assertThat(a).isGreaterThanOrEqualTo(Duration.ofMillis(50)));
                });
                assertThat(held.position()).isLessThanOrEqualTo(append(store, 2).position());
                appending.rollback(); // answered once the lock is gone (closing is not)
            }

            assertThat(store.readHorizon().heldBy()).as("once it ends").isEmpty();
        }
    }

    @Test
    @Timeout(60)
    void a_long_hold_is_logged_once_and_shown_in_the_projection_statuses() throws Exception {
        String url = DB.newSchemaUrl("horizon");
        List<LogRecord> warnings = new ArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel() == Level.WARNING) {
                    synchronized (warnings) {
                        warnings.add(r);
                    }
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger logger = Logger.getLogger(PostgresDialect.class.getName());
        logger.addHandler(handler);
        try (JdbcEventStore store = JdbcEventStore.builder(url)
                        .warnWhenReadersHeldFor(Duration.ofMillis(200))
                        .open();
                ProjectionRunner runner = ProjectionRunner.builder(store)
                        .add(store.projectors()
                                .keyed(
                                        new ProjectionRunnerContract.Totals("totals"),
                                        ProjectionRunnerContract.CODEC,
                                        ProjectionRunnerContract.TOTALS))
                        .build()) {
            append(store, 1);
            try (Connection appending = transactionWithId(url, "stuck-appender", true)) {
                long pid = pid(appending);
                store.readAll(0, 10);
                assertThat(messages(warnings)).as("not yet: the hold is young").isEmpty();

                Thread.sleep(300);
                store.readAll(0, 10);
                store.readAll(0, 10);
                ProjectionStatus status = runner.status("totals");

                assertThat(messages(warnings))
                        .singleElement()
                        .satisfies(m -> assertThat(m).contains("session " + pid).contains("stuck-appender"));
                assertThat(status.heldBy())
                        .hasValueSatisfying(h -> assertThat(h.pid()).hasValue(pid));
                appending.rollback(); // answered once the lock is gone (closing is not)
            }
            assertThat(runner.status("totals").heldBy()).isEmpty();
        } finally {
            logger.removeHandler(handler);
        }
    }

    private static List<String> messages(List<LogRecord> records) {
        synchronized (records) {
            return records.stream().map(LogRecord::getMessage).toList();
        }
    }

    private static AppendResult append(JdbcEventStore store, int i) {
        return store.append("s", ExpectedVersion.any(), List.of(EventData.of("E", "{\"i\":" + i + "}")));
    }

    /**
     * A session inside a transaction with an id: as an append in flight would be (it holds the
     * events table's write lock) when {@code appends}, otherwise of another application.
     */
    private static Connection transactionWithId(String url, String application, boolean appends) throws Exception {
        Connection c = DriverManager.getConnection(url + "&ApplicationName=" + application);
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            if (appends) {
                st.execute("LOCK TABLE annals_events IN ROW EXCLUSIVE MODE");
            }
            st.execute("SELECT pg_current_xact_id()");
        }
        return c;
    }

    private static long pid(Connection c) throws Exception {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
