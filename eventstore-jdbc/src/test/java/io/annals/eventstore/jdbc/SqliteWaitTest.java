package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** How long a SQLite appender waits when the database is held by a writer outside the process. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SqliteWaitTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void appenders_queued_behind_a_held_database_give_up_on_their_own_deadline_not_their_turn() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("held.db");
        int appenders = 6;
        try (JdbcEventStore store = JdbcEventStore.builder(url)
                        .busyTimeout(Duration.ofMillis(400))
                        .maxPoolSize(appenders + 1)
                        .open();
                Connection other = DriverManager.getConnection(url);
                Statement st = other.createStatement()) {
            st.execute("BEGIN IMMEDIATE"); // another process's writer, holding the database
            ExecutorService pool = Executors.newFixedThreadPool(appenders);
            CyclicBarrier start = new CyclicBarrier(appenders);
            List<Future<Throwable>> failures = new ArrayList<>();
            try {
                for (int i = 0; i < appenders; i++) {
                    String stream = "s-" + i;
                    failures.add(pool.submit(() -> {
                        start.await();
                        try {
                            store.append(stream, ExpectedVersion.any(), List.of(EventData.of("E", "{}")));
                            return null;
                        } catch (RuntimeException e) {
                            return e;
                        }
                    }));
                }
                List<String> messages = new ArrayList<>();
                for (Future<Throwable> f : failures) {
                    Throwable e = f.get();
                    assertThat(e)
                            .as("the database is held throughout: no append can land")
                            .isNotNull();
                    messages.add(String.valueOf(e.getMessage()));
                }
                // the first in line meets SQLite's busy timeout; those queued behind it in this
                // process stop waiting for their turn when their own deadline passes
                assertThat(messages).anyMatch(m -> m.contains("for this process's turn to write"));
            } finally {
                pool.shutdownNow();
                st.execute("ROLLBACK");
            }
            store.append("after", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}")));
            assertThat(store.readAll(0, 10)).hasSize(1);
        }
    }
}
