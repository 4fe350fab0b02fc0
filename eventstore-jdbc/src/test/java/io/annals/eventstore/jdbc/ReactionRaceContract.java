package io.annals.eventstore.jdbc;

import static io.annals.eventstore.jdbc.ReactionContract.amounts;
import static io.annals.eventstore.jdbc.ReactionContract.positions;
import static io.annals.eventstore.jdbc.ReactionContract.readAll;
import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.jdbc.ReactionContract.Count;
import io.annals.eventstore.jdbc.ReactionContract.ReactionStates;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Races and failures around projections that append from their apply, on every JDBC store with real
 * threads: reads inside the batch, commands shared with the rest of the application, chains of
 * reactions under outside writers, rebuilds, small pools and interrupts.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class ReactionRaceContract extends ClosingTest {

    /** A builder for a fresh, empty store. */
    abstract JdbcEventStore.Builder builder();

    JdbcEventStore newStore() {
        return builder().open();
    }

    /** A projection that reacts to the deposits of the streams whose id starts with {@code prefix}. */
    static SqlProjection<Deposited> on(String name, String prefix, ReactionContract.Reaction reaction) {
        return ReactionContract.reacting(name, prefix, true, reaction);
    }

    static EventData deposit(long amount) {
        return CODEC.encode(new Deposited(amount));
    }

    /** An event whose id is derived from the event it reacts to, so a replay stores it once. */
    static EventData keyed(Envelope<Deposited> cause, String salt, long amount) {
        UUID id = UUID.nameUUIDFromBytes((cause.recorded().eventId() + "/" + salt).getBytes(StandardCharsets.UTF_8));
        return new EventData(id, "Deposited", "{\"amount\":" + amount + "}", Map.of());
    }

    /** Reads the log from the start, page by page, until {@code done} and an empty page. */
    static final class Tailer extends Thread {
        final List<RecordedEvent> seen = Collections.synchronizedList(new ArrayList<>());
        final AtomicBoolean done = new AtomicBoolean();
        private final JdbcEventStore store;
        volatile Throwable failure;

        Tailer(JdbcEventStore store) {
            this.store = store;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                long after = 0;
                while (true) {
                    boolean last = done.get();
                    List<RecordedEvent> page = store.readAll(after, 37);
                    seen.addAll(page);
                    if (!page.isEmpty()) {
                        after = page.get(page.size() - 1).position();
                    } else if (last) {
                        return;
                    }
                }
            } catch (Throwable t) {
                failure = t;
            }
        }

        List<RecordedEvent> finish() throws InterruptedException {
            done.set(true);
            join(60_000);
            assertThat(failure).as("the tailer's failure").isNull();
            return new ArrayList<>(seen);
        }
    }

    // ---------------------------------------------------------------------------------------

    /**
     * SqlProjection says: "The store's reads on that thread see the batch's own appends". readAll
     * is one of the store's reads; on SQLite it sees them, so it must on every store.
     */
    @Test
    @Timeout(60)
    void read_all_inside_a_batch_sees_the_batch_s_own_appends() {
        JdbcEventStore store = closeLater(newStore());
        store.append("acct-1", ExpectedVersion.any(), List.of(deposit(10)));
        List<String> seenInside = new ArrayList<>();
        AtomicLong countedInside = new AtomicLong();
        SqlProjection<Deposited> manager = on("reads-all", "acct-", (c, e) -> {
            store.append("reaction", ExpectedVersion.noStream(), List.of(deposit(1)));
            assertThat(store.currentVersion("reaction")).isEqualTo(1);
            countedInside.set(store.countEvents());
            store.readAll(0, 100).forEach(r -> seenInside.add(r.streamId()));
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
        }
        assertThat(countedInside.get()).as("countEvents inside the batch").isEqualTo(2);
        assertThat(seenInside).as("readAll inside the batch").containsExactly("acct-1", "reaction");
    }

    /** An aggregate that lets a test see when a command's decide runs on a given thread. */
    static final class HookedReceipts implements Aggregate<Long, Count, Deposited> {
        final ReactionContract.Receipts inner = new ReactionContract.Receipts();
        volatile Thread watched;
        final CountDownLatch decidedOnWatched = new CountDownLatch(1);

        @Override
        public String category() {
            return inner.category();
        }

        @Override
        public Long initialState() {
            return inner.initialState();
        }

        @Override
        public List<Deposited> decide(Long state, Count command) {
            if (Thread.currentThread() == watched) {
                decidedOnWatched.countDown();
            }
            return inner.decide(state, command);
        }

        @Override
        public Long evolve(Long state, Deposited event) {
            return inner.evolve(state, event);
        }
    }

    /**
     * The documentation's own example shares one CommandHandler between the process manager's
     * apply and the application. An outside command on an aggregate the batch commands too should
     * at worst wait for the batch to commit, then go again on top of it, as it does with a handler
     * of its own.
     */
    @Test
    @Timeout(60)
    void an_outside_command_on_an_aggregate_the_reaction_also_commands_is_not_failed() throws Exception {
        outsideCommandMeetsTheBatch(true);
    }

    /** The same with a handler of the application's own: the outside command waits, then succeeds. */
    @Test
    @Timeout(60)
    void an_outside_command_through_a_handler_of_its_own_waits_for_the_batch_and_succeeds() throws Exception {
        outsideCommandMeetsTheBatch(false);
    }

    private void outsideCommandMeetsTheBatch(boolean shared) throws Exception {
        JdbcEventStore store =
                closeLater(builder().busyTimeout(Duration.ofSeconds(2)).open());
        HookedReceipts aggregate = new HookedReceipts();
        CommandHandler<Long, Count, Deposited> receipts =
                CommandHandler.builder(aggregate, store, CODEC).build();
        CommandHandler<Long, Count, Deposited> outsideReceipts = shared
                ? receipts
                : CommandHandler.builder(aggregate, store, CODEC).build();
        store.append("acct-1", ExpectedVersion.any(), List.of(deposit(10)));
        CountDownLatch batchCommanded = new CountDownLatch(1);
        SqlProjection<Deposited> manager = on("shared-handler", "acct-", (c, e) -> {
            receipts.handle(new Count("x"));
            batchCommanded.countDown();
            // the outside command is under way (its decide ran) before the batch's second one
            aggregate.decidedOnWatched.await(10, TimeUnit.SECONDS);
            receipts.handle(new Count("x"));
        });
        AtomicReference<Throwable> outsideFailure = new AtomicReference<>();
        AtomicLong outsideNanos = new AtomicLong();
        Thread outside = new Thread(() -> {
            try {
                batchCommanded.await();
                long t0 = System.nanoTime();
                try {
                    outsideReceipts.handle(new Count("x"));
                } finally {
                    outsideNanos.set(System.nanoTime() - t0);
                }
            } catch (Throwable t) {
                outsideFailure.set(t);
            }
        });
        aggregate.watched = outside;
        outside.start();
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
        }
        outside.join();

        assertThat(outsideFailure.get())
                .as("the outside command (took %d ms)", TimeUnit.NANOSECONDS.toMillis(outsideNanos.get()))
                .isNull();
        assertThat(amounts(store, "receipts-x")).containsExactly(1L, 2L, 3L);
    }

    /**
     * Reactions feed a second reacting projection, both append to streams outside writers append
     * to (any() and exactly()), batches fail now and then; every reaction is stored once and a
     * reader tailing the log sees every event once, in order.
     */
    @Test
    @Timeout(180)
    void chained_reactions_under_outside_writers_are_stored_once_and_tailed_in_order() throws Exception {
        JdbcEventStore store = closeLater(newStore());
        AtomicInteger failures = new AtomicInteger();
        Map<UUID, Boolean> failedOnce = new ConcurrentHashMap<>();
        // first: each deposit to acct-k gets a step1 event in step1-k, keyed on the deposit
        SqlProjection<Deposited> first = on("first", "acct-", (c, e) -> {
            String k = e.recorded().streamId().substring("acct-".length());
            store.append(
                    "step1-" + k,
                    ExpectedVersion.any(),
                    List.of(keyed(e, "step1", e.event().amount())));
            if (failedOnce.putIfAbsent(e.recorded().eventId(), true) == null && failures.incrementAndGet() % 7 == 0) {
                throw new IllegalStateException("the first batch fails after reacting");
            }
        });
        // second: each step1 event gets two step2 events, one per append, the second exactly()
        SqlProjection<Deposited> second = on("second", "step1-", (c, e) -> {
            String k = e.recorded().streamId().substring("step1-".length());
            store.append(
                    "step2-" + k,
                    ExpectedVersion.any(),
                    List.of(keyed(e, "a", e.event().amount())));
            for (int attempt = 0; ; attempt++) {
                long v = store.currentVersion("step2-" + k);
                try {
                    store.append(
                            "step2-" + k,
                            ExpectedVersion.exactly(v),
                            List.of(keyed(e, "b", -e.event().amount())));
                    break;
                } catch (WrongExpectedVersionException conflict) {
                    if (attempt > 50) {
                        throw conflict;
                    }
                }
            }
        });
        ProjectionRunner runner = closeLater(ProjectionRunner.builder(store)
                .add(store.projectors().sql(first, CODEC))
                .add(store.projectors().sql(second, CODEC))
                .batchSize(5)
                .pollInterval(Duration.ofMillis(5))
                .maxBackoff(Duration.ofMillis(20))
                .build());
        runner.start();
        Tailer tailer = new Tailer(store);
        tailer.start();

        int writers = 3;
        int perWriter = 40;
        AtomicInteger deposits = new AtomicInteger();
        AtomicInteger outsideStep1 = new AtomicInteger();
        AtomicInteger outsideStep2 = new AtomicInteger();
        List<Throwable> writerErrors = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int id = w;
            threads.add(new Thread(() -> {
                try {
                    for (int i = 0; i < perWriter; i++) {
                        String k = String.valueOf((id + i) % 4);
                        store.append("acct-" + k, ExpectedVersion.any(), List.of(deposit(i + 1)));
                        deposits.incrementAndGet();
                        if (i % 3 == 0) {
                            // an outside writer on a stream the first projection reacts into
                            store.append("step1-" + k, ExpectedVersion.any(), List.of(deposit(1000 + i)));
                            outsideStep1.incrementAndGet();
                        }
                        if (i % 4 == 1) {
                            // exactly() on a stream the second projection appends to
                            while (true) {
                                long v = store.currentVersion("step2-" + k);
                                try {
                                    store.append("step2-" + k, ExpectedVersion.exactly(v), List.of(deposit(7)));
                                    outsideStep2.incrementAndGet();
                                    break;
                                } catch (WrongExpectedVersionException conflict) {
                                    // go again on top of it
                                }
                            }
                        }
                    }
                } catch (Throwable t) {
                    writerErrors.add(t);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(writerErrors).as("outside writers' failures").isEmpty();
        int step1 = deposits.get() + outsideStep1.get();
        int step2 = 2 * step1 + outsideStep2.get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            long total = store.countEvents();
            if (total == deposits.get() + step1 + step2
                    && runner.statuses().stream().allMatch(s -> s.checkpoint() >= lastPosition(store))) {
                break;
            }
            Thread.sleep(50);
        }
        List<RecordedEvent> tailed = tailer.finish();
        List<RecordedEvent> all = readAll(store);

        assertThat(all.stream().filter(r -> r.streamId().startsWith("acct-"))).hasSize(deposits.get());
        assertThat(all.stream().filter(r -> r.streamId().startsWith("step1-"))).hasSize(step1);
        assertThat(all.stream().filter(r -> r.streamId().startsWith("step2-"))).hasSize(step2);
        assertThat(all.stream().map(RecordedEvent::eventId).distinct()).hasSize(all.size());
        assertThat(positions(all)).isSorted().doesNotHaveDuplicates();
        assertThat(positions(tailed)).as("what a tailing reader saw").isEqualTo(positions(all));
        for (ProjectionStatus s : runner.statuses()) {
            assertThat(s.lastError()).as(s.name()).isEmpty();
        }
    }

    private static long lastPosition(JdbcEventStore store) {
        List<RecordedEvent> all = readAll(store);
        return all.isEmpty() ? 0 : all.get(all.size() - 1).position();
    }

    /** A rebuild replays every event: reactions keyed on their cause are stored once. */
    @Test
    @Timeout(120)
    void a_rebuild_of_a_reacting_projection_stores_no_reaction_twice() {
        JdbcEventStore store = closeLater(newStore());
        for (int i = 0; i < 30; i++) {
            store.append("acct-" + (i % 3), ExpectedVersion.any(), List.of(deposit(i)));
        }
        SqlProjection<Deposited> manager = on("rebuilt", "acct-", (c, e) -> {
            String k = e.recorded().streamId();
            store.append("r1-" + k, ExpectedVersion.any(), List.of(keyed(e, "one", 1)));
            store.append(
                    "r2-" + k,
                    ExpectedVersion.any(),
                    List.of(keyed(e, "two", 2), keyed(e, "three", 3), keyed(e, "four", 4)));
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .batchSize(4)
                .build()) {
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
            long before = store.countEvents();
            List<RecordedEvent> beforeAll = readAll(store);
            runner.rebuild("rebuilt", p -> {});
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
            assertThat(store.countEvents()).isEqualTo(before).isEqualTo(30 + 30 * 4);
            assertThat(positions(readAll(store))).isEqualTo(positions(beforeAll));
        }
    }

    /** Commands, snapshots and reads inside the batch on a pool of {@link #smallPool()} connections. */
    @Test
    @Timeout(60)
    void a_reacting_projection_runs_on_the_smallest_pool() {
        JdbcEventStore store = closeLater(builder().maxPoolSize(smallPool()).open());
        CommandHandler<Long, Count, Deposited> receipts = CommandHandler.builder(
                        new ReactionContract.Receipts(), store, CODEC)
                .snapshots(new SnapshotSettings<>(
                        store.snapshots(), new ReactionStates(), 1, SnapshotPolicy.everyEvents(2)))
                .build();
        for (int i = 0; i < 12; i++) {
            store.append("acct-" + (i % 2), ExpectedVersion.any(), List.of(deposit(i)));
        }
        SqlProjection<Deposited> manager = on("small", "acct-", (c, e) -> {
            receipts.handle(new Count(e.recorded().streamId()));
            store.readAll(0, 10);
            store.readHorizon();
            store.snapshots().load("receipts-" + e.recorded().streamId());
            store.append("log", ExpectedVersion.any(), List.of(deposit(e.event().amount())));
        });
        long t0 = System.nanoTime();
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .batchSize(5)
                .build()) {
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
        }
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(10_000);
        assertThat(amounts(store, "receipts-acct-0")).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(amounts(store, "log")).hasSize(12);
    }

    /** The smallest pool the documentation allows a runner of one projection. */
    abstract int smallPool();

    /**
     * A batch whose apply leaves the thread interrupted (a library it calls was interrupted) still
     * stores each reaction once, and the runner goes on.
     */
    @Test
    @Timeout(60)
    void an_interrupted_batch_thread_stores_each_reaction_once() {
        JdbcEventStore store = closeLater(newStore());
        for (int i = 0; i < 10; i++) {
            store.append("acct-1", ExpectedVersion.any(), List.of(deposit(i)));
        }
        AtomicInteger applied = new AtomicInteger();
        SqlProjection<Deposited> manager = on("interrupted", "acct-", (c, e) -> {
            store.append(
                    "r", ExpectedVersion.any(), List.of(keyed(e, "r", e.event().amount())));
            if (applied.incrementAndGet() % 3 == 0) {
                Thread.currentThread().interrupt();
            }
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .batchSize(2)
                .build()) {
            for (int i = 0; i < 10 && runner.status("interrupted").checkpoint() < lastPosition(store); i++) {
                runner.catchUp();
            }
        }
        assertThat(amounts(store, "r")).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    }

    /**
     * A snapshot saved by a command inside a batch that then fails goes with the batch; the
     * aggregate loads right afterwards, and the retried batch counts on from the stored events.
     */
    @Test
    @Timeout(60)
    void a_snapshot_saved_in_a_failed_batch_does_not_outlive_it() {
        JdbcEventStore store = closeLater(newStore());
        CommandHandler<Long, Count, Deposited> receipts = CommandHandler.builder(
                        new ReactionContract.Receipts(), store, CODEC)
                .snapshots(new SnapshotSettings<>(
                        store.snapshots(), new ReactionStates(), 1, SnapshotPolicy.everyEvents(1)))
                .build();
        for (int i = 0; i < 4; i++) {
            store.append("acct-1", ExpectedVersion.any(), List.of(deposit(i)));
        }
        AtomicBoolean broken = new AtomicBoolean(true);
        SqlProjection<Deposited> manager = on("snapshots", "acct-", (c, e) -> {
            receipts.handle(new Count("y"));
            if (broken.get() && e.event().amount() == 3) {
                throw new IllegalStateException("broken");
            }
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            assertThat(runner.catchUp().get(0).lastError()).isPresent();
            assertThat(store.snapshots().load("receipts-y")).isEmpty();
            assertThat(receipts.load("y").version()).isZero();
            // outside the batch meanwhile
            receipts.handle(new Count("y"));
            broken.set(false);
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
        }
        assertThat(amounts(store, "receipts-y")).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(store.snapshots().load("receipts-y"))
                .hasValueSatisfying(s -> assertThat(s.version()).isEqualTo(5));
        assertThat(receipts.load("y").state()).isEqualTo(5L);
    }

    static AppendResult append(JdbcEventStore store, String stream, long amount) {
        return store.append(stream, ExpectedVersion.any(), List.of(deposit(amount)));
    }

    static CompletableFuture<Void> async(Runnable r) {
        return CompletableFuture.runAsync(r);
    }
}
