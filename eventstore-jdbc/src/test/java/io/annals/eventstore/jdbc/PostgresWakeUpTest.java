package io.annals.eventstore.jdbc;

import static io.annals.eventstore.jdbc.ReactionContract.deposit;
import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.projection.InMemoryProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.tck.ProjectionRunnerContract.Totals;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Appends heard across store objects, as across processes: each store has its own pool, so its
 * own sessions on the server, which is all that {@code NOTIFY} and {@code LISTEN} see.
 */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresWakeUpTest extends ClosingTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    /**
     * A started runner on {@code store} that would poll only once an hour, but for wake-ups; once
     * the store listens (its first wake-up, at the start of listening, is behind us).
     */
    private ProjectionRunner hourly(JdbcEventStore store) throws InterruptedException {
        ProjectionRunner runner = closeLater(ProjectionRunner.builder(store)
                .add(new InMemoryProjector<>(new Totals("totals"), CODEC))
                .pollInterval(Duration.ofHours(1))
                .build());
        runner.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!store.hearsOtherProcesses()) {
            assertThat(System.nanoTime() - deadline).as("listening within 20 s").isNegative();
            Thread.sleep(10);
        }
        return runner;
    }

    @Test
    @Timeout(120)
    void an_append_through_another_store_wakes_the_runners_of_this_one() throws InterruptedException {
        String url = DB.newSchemaUrl("wakeups");
        JdbcEventStore writer = closeLater(JdbcEventStore.open(url));
        JdbcEventStore reader = closeLater(JdbcEventStore.open(url));
        AppendResult first = deposit(writer, "acct-0", 1);
        ProjectionRunner runner = hourly(reader);
        assertThat(runner.awaitPosition("totals", first.position(), Duration.ofSeconds(20)))
                .as("the first poll, at start")
                .isTrue();

        for (int i = 1; i <= 10; i++) {
            AppendResult written = deposit(writer, "acct-" + i, i);
            assertThat(runner.awaitPosition("totals", written.position(), Duration.ofSeconds(20)))
                    .as("deposit %d, heard from the other store long before the hourly poll", i)
                    .isTrue();
        }
    }

    @Test
    @Timeout(120)
    void a_store_does_not_hear_its_own_notifications_but_hears_another_store_s() throws Exception {
        String url = DB.newSchemaUrl("wakeups");
        JdbcEventStore store = closeLater(JdbcEventStore.open(url));
        JdbcEventStore other = closeLater(JdbcEventStore.open(url));
        hourly(store);
        AtomicInteger told = new AtomicInteger();
        closeLater(store.onAppend(told::incrementAndGet));
        for (int i = 1; i <= 5; i++) {
            deposit(store, "acct-" + i, i);
            Thread.sleep(50); // past the sender's 10 ms: one notification per append
        }
        // a notification of this store's would come back within milliseconds: give it a second
        Thread.sleep(1_000);
        assertThat(told).as("each append told once, when it committed").hasValue(5);

        deposit(other, "acct-9", 9);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (told.get() == 5 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(told.get()).as("the other store's append, heard").isGreaterThan(5);
    }

    /** How many notifications a connection listening on the store's channel gets for one append. */
    private static int notificationsOfOneAppend(String url, boolean notify) throws Exception {
        try (JdbcEventStore writer =
                        JdbcEventStore.builder(url).notifyAppends(notify).open();
                Connection listening = DriverManager.getConnection(url);
                Statement st = listening.createStatement()) {
            st.execute("LISTEN " + PgNotifications.channel(writer.identity()));
            deposit(writer, "acct-1", 1);
            PGNotification[] got = listening.unwrap(PGConnection.class).getNotifications(notify ? 20_000 : 500);
            return got == null ? 0 : got.length;
        }
    }

    @Test
    @Timeout(120)
    void an_append_is_announced_on_the_store_s_channel_unless_the_store_is_told_not_to() throws Exception {
        assertThat(notificationsOfOneAppend(DB.newSchemaUrl("wakeups"), true)).isEqualTo(1);
        assertThat(notificationsOfOneAppend(DB.newSchemaUrl("wakeups"), false)).isZero();
    }

    @Test
    void stores_on_the_same_tables_share_a_channel_and_others_do_not() {
        String url = DB.newSchemaUrl("wakeups");
        try (JdbcEventStore one = JdbcEventStore.open(url);
                JdbcEventStore two = JdbcEventStore.open(url);
                JdbcEventStore elsewhere = JdbcEventStore.open(DB.newSchemaUrl("wakeups"))) {
            assertThat(PgNotifications.channel(one.identity()))
                    .isEqualTo(PgNotifications.channel(two.identity()))
                    .isNotEqualTo(PgNotifications.channel(elsewhere.identity()))
                    .matches("annals_[0-9a-f]{24}");
        }
    }
}
