package io.annals.eventstore.jdbc;

import static io.annals.eventstore.jdbc.ReactionContract.amounts;
import static io.annals.eventstore.jdbc.ReactionContract.positions;
import static io.annals.eventstore.jdbc.ReactionContract.readAll;
import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.ReadHorizon;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Tag("postgres")
class PostgresReactionRaceTest extends ReactionRaceContract {

    static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    JdbcEventStore.Builder builder() {
        return JdbcEventStore.builder(DB.newSchemaUrl("races"));
    }

    /** One connection for the lease, one for the batch. */
    @Override
    int smallPool() {
        return 2;
    }

    private static void sql(JdbcEventStore store, String... statements) throws SQLException {
        try (Connection c = store.dataSource().getConnection();
                Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    /** Appends to stream {@code slow} take {@code seconds} each, inside their statement. */
    private static void slowAppends(JdbcEventStore store, int seconds) throws SQLException {
        sql(
                store,
                "CREATE FUNCTION slow_append() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " + "PERFORM pg_sleep("
                        + seconds + "); RETURN NEW; END $$",
                "CREATE TRIGGER slow_append BEFORE INSERT ON annals_events FOR EACH ROW "
                        + "WHEN (NEW.stream_id = 'slow') EXECUTE FUNCTION slow_append()");
    }

    private static void awaitHeld(JdbcEventStore store) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.readHorizon().heldBy().isEmpty()) {
            assertThat(System.nanoTime()).as("an append in flight").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /**
     * A batch reads the log as other readers do, plus its own appends once no older append is
     * in flight: with one in flight, it stops below it, as a tailing reader must (events of the
     * older append may still appear there), and its own appends, above, wait too.
     */
    @Test
    @Timeout(60)
    void read_all_inside_a_batch_stops_below_an_older_append_still_in_flight() throws Exception {
        JdbcEventStore store = closeLater(newStore());
        store.append("acct-1", ExpectedVersion.any(), List.of(deposit(10)));
        slowAppends(store, 3);
        CompletableFuture<?> slow =
                CompletableFuture.runAsync(() -> store.append("slow", ExpectedVersion.any(), List.of(deposit(1))));
        awaitHeld(store);
        List<String> seenInside = new ArrayList<>();
        List<String> streamInside = new ArrayList<>();
        SqlProjection<Deposited> manager = on("reads-all", "acct-", (c, e) -> {
            store.append("reaction", ExpectedVersion.noStream(), List.of(deposit(1)));
            store.readStream("reaction", 1, 10).forEach(r -> streamInside.add(r.streamId()));
            store.readAll(0, 100).forEach(r -> seenInside.add(r.streamId()));
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
        }
        slow.get();
        assertThat(streamInside).as("readStream inside the batch").containsExactly("reaction");
        assertThat(seenInside).as("readAll inside the batch").containsExactly("acct-1");
        assertThat(store.readAll(0, 100))
                .extracting(RecordedEvent::streamId)
                .containsExactly("acct-1", "slow", "reaction");
    }

    /**
     * Two process managers append to the same two streams in opposite orders: the server finds
     * the deadlock within its deadlock_timeout (1 s) and one batch should fail, roll back and go
     * again, so both finish within seconds.
     */
    @Test
    @Timeout(120)
    void two_reacting_projections_that_deadlock_both_finish_within_seconds() throws Exception {
        deadlockingProjections(closeLater(newStore()));
    }

    /** The same on a DataSource of the application's own, which has no lock_timeout. */
    @Test
    @Timeout(120)
    void two_reacting_projections_that_deadlock_on_an_application_data_source_finish_within_seconds() throws Exception {
        com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
        config.setJdbcUrl(DB.newSchemaUrl("races"));
        config.setMaximumPoolSize(8);
        com.zaxxer.hikari.HikariDataSource pool = closeLater(new com.zaxxer.hikari.HikariDataSource(config));
        deadlockingProjections(closeLater(JdbcEventStore.open(pool)));
    }

    private static long deadlocks() throws SQLException {
        try (Connection c = java.sql.DriverManager.getConnection(PostgresTestDatabase.URL);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT pg_stat_clear_snapshot(), deadlocks FROM pg_stat_database WHERE datname = current_database()")) {
            rs.next();
            return rs.getLong(2);
        }
    }

    private void deadlockingProjections(JdbcEventStore store) throws Exception {
        long deadlocksBefore = deadlocks();
        store.append("acct-1", ExpectedVersion.any(), List.of(deposit(10)));
        CyclicBarrier both = new CyclicBarrier(2);
        AtomicBoolean first = new AtomicBoolean(true);
        SqlProjection<Deposited> ab = on("a-then-b", "acct-", (c, e) -> {
            store.append("A", ExpectedVersion.any(), List.of(deposit(1)));
            if (first.get()) {
                both.await(10, TimeUnit.SECONDS);
            }
            store.append("B", ExpectedVersion.any(), List.of(deposit(1)));
        });
        SqlProjection<Deposited> ba = on("b-then-a", "acct-", (c, e) -> {
            store.append("B", ExpectedVersion.any(), List.of(deposit(2)));
            if (first.get()) {
                both.await(10, TimeUnit.SECONDS);
                first.set(false);
            }
            store.append("A", ExpectedVersion.any(), List.of(deposit(2)));
        });
        long end = readAll(store).get(0).position();
        long t0 = System.nanoTime();
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(ab, CODEC))
                .add(store.projectors().sql(ba, CODEC))
                .pollInterval(Duration.ofMillis(10))
                .maxBackoff(Duration.ofMillis(200))
                .build()) {
            runner.start();
            boolean done = runner.awaitPosition(end, Duration.ofSeconds(60));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            List<String> errors = new ArrayList<>();
            for (ProjectionStatus s : runner.statuses()) {
                s.lastError().ifPresent(m -> errors.add(s.name() + ": " + m));
            }
            Thread.sleep(600); // the statistics collector
            long found = deadlocks() - deadlocksBefore;
            assertThat(done).isTrue();
            assertThat(millis)
                    .as(
                            "both batches done after %d ms; deadlocks the server found meanwhile: %d; errors %s",
                            millis, found, errors)
                    .isLessThan(3_000);
        }
        assertThat(amounts(store, "A")).containsExactlyInAnyOrder(1L, 2L);
        assertThat(amounts(store, "B")).containsExactlyInAnyOrder(1L, 2L);
    }

    /** store.readHorizon() names the reacting batch in flight, before and after its append. */
    @Test
    @Timeout(60)
    void read_horizon_names_the_reacting_batch_in_flight() throws Exception {
        JdbcEventStore store = closeLater(newStore());
        store.append("acct-1", ExpectedVersion.any(), List.of(deposit(10)));
        AtomicLong batchPid = new AtomicLong();
        List<ReadHorizon> seen = Collections.synchronizedList(new ArrayList<>());
        List<Long> reactionPosition = new ArrayList<>();
        SqlProjection<Deposited> manager = on("named", "acct-", (c, e) -> {
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                batchPid.set(rs.getLong(1));
            }
            seen.add(CompletableFuture.supplyAsync(store::readHorizon).get());
            reactionPosition.add(store.append("reaction", ExpectedVersion.noStream(), List.of(deposit(1)))
                    .position());
            seen.add(CompletableFuture.supplyAsync(store::readHorizon).get());
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
        }
        assertThat(seen).hasSize(2).allSatisfy(h -> {
            assertThat(h.heldBy())
                    .hasValueSatisfying(holder -> assertThat(holder.pid()).hasValue(batchPid.get()));
            assertThat(h.position()).isLessThanOrEqualTo(reactionPosition.get(0));
        });
        assertThat(store.readHorizon().heldBy()).isEmpty();
    }

    /**
     * A reaction of thousands of appends (savepoints past PostgreSQL's subtransaction cache) and
     * a few large ones, while an outside writer appends and a reader tails the log.
     */
    @Test
    @Timeout(300)
    void a_huge_reaction_is_numbered_in_order_and_tailed_once() throws Exception {
        JdbcEventStore store = closeLater(newStore());
        store.append("acct-1", ExpectedVersion.any(), List.of(deposit(10)));
        int singles = 3000;
        int bigs = 5;
        int bigSize = 2000;
        SqlProjection<Deposited> manager = on("huge", "acct-", (c, e) -> {
            for (int i = 0; i < singles; i++) {
                store.append("r-" + (i % 10), ExpectedVersion.any(), List.of(keyed(e, "s" + i, i)));
            }
            for (int b = 0; b < bigs; b++) {
                List<EventData> events = new ArrayList<>();
                for (int i = 0; i < bigSize; i++) {
                    events.add(keyed(e, "b" + b + "/" + i, i));
                }
                store.append("big-" + b, ExpectedVersion.noStream(), events);
            }
        });
        Tailer tailer = new Tailer(store);
        tailer.start();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong outside = new AtomicLong();
        Thread writer = new Thread(() -> {
            while (writing.get()) {
                store.append("outside", ExpectedVersion.any(), List.of(deposit(1)));
                outside.incrementAndGet();
            }
        });
        writer.start();
        long t0 = System.nanoTime();
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        writing.set(false);
        writer.join();
        List<RecordedEvent> tailed = tailer.finish();
        List<RecordedEvent> all = readAll(store);

        List<RecordedEvent> reactions = all.stream()
                .filter(r -> r.streamId().startsWith("r-") || r.streamId().startsWith("big-"))
                .toList();
        assertThat(reactions).as("batch took %d ms", millis).hasSize(singles + bigs * bigSize);
        assertThat(reactions.stream()
                        .map(r -> r.position() >> PostgresDialect.INDEX_BITS)
                        .distinct())
                .hasSize(1);
        assertThat(reactions.stream().map(r -> r.position() & PostgresDialect.MAX_EVENTS_PER_APPEND))
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, singles + bigs * bigSize)
                        .boxed()
                        .toList());
        assertThat(all).hasSize((int) (1 + singles + bigs * bigSize + outside.get()));
        assertThat(positions(all)).isSorted().doesNotHaveDuplicates();
        assertThat(positions(tailed)).as("what a tailing reader saw").isEqualTo(positions(all));
    }

    /**
     * A DataSource of the application's own whose connections are REPEATABLE READ (the store
     * says such a DataSource is supported: its races become serialization failures, run again). An
     * outside writer appends to a stream after the batch began; the batch's any() append to it
     * should go on top, or fail at once, not spin on a snapshot that never changes.
     */
    @Test
    @Timeout(120)
    void an_any_append_in_a_repeatable_read_batch_after_an_outside_append_does_not_spin() throws Exception {
        com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
        config.setJdbcUrl(DB.newSchemaUrl("races"));
        config.setMaximumPoolSize(8);
        config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
        com.zaxxer.hikari.HikariDataSource pool = closeLater(new com.zaxxer.hikari.HikariDataSource(config));
        JdbcEventStore store = closeLater(JdbcEventStore.open(pool));
        store.append("acct-1", ExpectedVersion.any(), List.of(deposit(10)));
        store.append("shared", ExpectedVersion.any(), List.of(deposit(1)));
        AtomicBoolean first = new AtomicBoolean(true);
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        AtomicLong appendMillis = new AtomicLong();
        SqlProjection<Deposited> manager = on("rr", "acct-", (c, e) -> {
            store.readStream("shared", 1, 10); // the batch's snapshot is taken by now
            if (first.getAndSet(false)) {
                CompletableFuture.runAsync(() -> store.append("shared", ExpectedVersion.any(), List.of(deposit(2))))
                        .get();
            }
            long t0 = System.nanoTime();
            try {
                store.append("shared", ExpectedVersion.any(), List.of(deposit(3)));
            } catch (RuntimeException ex) {
                errors.add(ex.toString());
                throw ex;
            } finally {
                appendMillis.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            }
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            runner.catchUp();
            assertThat(appendMillis.get())
                    .as("the batch's any() append took %d ms; errors: %s", appendMillis.get(), errors)
                    .isLessThan(5_000);
            runner.catchUp();
        }
        assertThat(amounts(store, "shared")).containsExactly(1L, 2L, 3L);
    }

    /**
     * The batch's session is terminated by the server after its reactions were appended, before
     * it commits, again and again while outside writers run: each deposit is still answered once,
     * and a tailing reader sees every event once, in order.
     */
    @Test
    @Timeout(180)
    void reactions_are_stored_once_when_the_server_ends_batches_after_they_appended() throws Exception {
        JdbcEventStore store = closeLater(newStore());
        java.util.concurrent.atomic.AtomicInteger applied = new java.util.concurrent.atomic.AtomicInteger();
        SqlProjection<Deposited> manager = on("terminated", "acct-", (c, e) -> {
            store.append(
                    "echo-" + e.recorded().streamId(),
                    ExpectedVersion.any(),
                    List.of(EventData.of(
                            "Deposited",
                            CODEC.toJson(e.event()),
                            java.util.Map.of("cause", e.recorded().eventId().toString()))));
            if (applied.incrementAndGet() % 11 == 0) {
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT pg_terminate_backend(pg_backend_pid())");
                }
            }
        });
        Tailer tailer = new Tailer(store);
        tailer.start();
        int deposits = 0;
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .batchSize(4)
                .pollInterval(Duration.ofMillis(5))
                .maxBackoff(Duration.ofMillis(50))
                .build()) {
            runner.start();
            long last = 0;
            for (int i = 0; i < 200; i++) {
                last = store.append("acct-" + (i % 7), ExpectedVersion.any(), List.of(deposit(i)))
                        .position();
                deposits++;
            }
            assertThat(runner.awaitPosition(last, Duration.ofSeconds(90))).isTrue();
        }
        List<RecordedEvent> tailed = tailer.finish();
        List<RecordedEvent> all = readAll(store);
        java.util.Map<String, Long> perCause = all.stream()
                .filter(r -> r.streamId().startsWith("echo-"))
                .collect(java.util.stream.Collectors.groupingBy(
                        r -> r.metadata().get("cause"), java.util.stream.Collectors.counting()));
        assertThat(perCause).hasSize(deposits);
        assertThat(perCause.values()).allMatch(n -> n == 1);
        assertThat(positions(all)).isSorted().doesNotHaveDuplicates();
        assertThat(positions(tailed)).as("what a tailing reader saw").isEqualTo(positions(all));
    }
}
