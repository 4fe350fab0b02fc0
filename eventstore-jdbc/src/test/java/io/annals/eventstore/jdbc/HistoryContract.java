package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.projection.CheckpointConflictException;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.projection.Projector;
import io.annals.eventstore.tck.EventStoreContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.ProjectionRunnerContract.Total;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenarios 3, 4 and 7 of the reliability suite: a history check of concurrent writers against
 * subscribers that restart, batches that must not interleave, and competing projection runners.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class HistoryContract extends ReliabilityContract {

    // --- 3. history check -----------------------------------------------------------------

    @Test
    @Timeout(300)
    void concurrent_writers_and_restarting_subscribers_agree_on_one_history() throws Exception {
        historyCheck(25, new Random(3));
    }

    @Test
    @Tag("nightly")
    @Timeout(3600)
    void a_long_run_of_concurrent_writers_and_restarting_subscribers_agrees_on_one_history() throws Exception {
        historyCheck(400, new Random(33));
    }

    private void historyCheck(int appendsPerWriter, Random seeds) throws Exception {
        String url = db().newUrl("history");
        int writers = 8;
        int subscribers = 4;
        try (JdbcEventStore store =
                JdbcEventStore.builder(url).maxPoolSize(writers + 2).open()) {
            db().installAbortTrigger(url);
            db().installSlowCommitTrigger(url, 8);
            Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
            Set<UUID> rolledBack = ConcurrentHashMap.newKeySet();
            AtomicBoolean writing = new AtomicBoolean(true);
            ExecutorService pool = Executors.newFixedThreadPool(writers + subscribers);
            List<Subscriber> subs = new ArrayList<>();
            List<Future<?>> readers = new ArrayList<>();
            try {
                for (int s = 0; s < subscribers; s++) {
                    Subscriber sub = new Subscriber(url, new Random(seeds.nextLong()), writing);
                    subs.add(sub);
                    readers.add(pool.submit(sub));
                }
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    int writer = w;
                    Random random = new Random(seeds.nextLong());
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < appendsPerWriter; i++) {
                            List<EventData> batch = new ArrayList<>();
                            for (int k = 0; k <= random.nextInt(3); k++) {
                                batch.add(EventData.of(
                                        "Written", "{\"writer\":" + writer + ",\"i\":" + i + ",\"k\":" + k + "}"));
                            }
                            String stream = "h-" + random.nextInt(20);
                            int kind = random.nextInt(10);
                            if (kind == 0) {
                                // rolled back half-way: the trigger fails the last insert
                                batch.add(EventData.of("Aborted", "{\"writer\":" + writer + "}"));
                                batch.forEach(e -> rolledBack.add(e.eventId()));
                                assertThat(catchThrowable(() -> store.append(stream, ExpectedVersion.any(), batch)))
                                        .isInstanceOf(EventStoreException.class)
                                        .hasMessageContaining("aborted by the test trigger");
                            } else if (kind == 1) {
                                batch.forEach(e -> rolledBack.add(e.eventId()));
                                assertThat(catchThrowable(
                                                () -> store.append(stream, ExpectedVersion.exactly(1_000_000), batch)))
                                        .isInstanceOf(WrongExpectedVersionException.class);
                            } else {
                                store.append(stream, ExpectedVersion.any(), batch);
                                batch.forEach(e -> acknowledged.add(e.eventId()));
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(3000, TimeUnit.SECONDS);
                }
                writing.set(false);
                for (Future<?> f : readers) {
                    f.get(600, TimeUnit.SECONDS);
                }
            } finally {
                writing.set(false);
                pool.shutdownNow();
            }

            List<RecordedEvent> all = EventStoreContract.readAllOf(store);
            List<UUID> ids = all.stream().map(RecordedEvent::eventId).toList();
            assertThat(ids).as("no duplicate").doesNotHaveDuplicates();
            assertThat(ids)
                    .as("no lost write, nothing unacknowledged")
                    .containsExactlyInAnyOrderElementsOf(acknowledged);
            assertThat(ids).as("no event of a rolled-back append").doesNotContainAnyElementsOf(rolledBack);
            Map<String, Long> versions = new HashMap<>();
            for (int i = 0; i < all.size(); i++) {
                RecordedEvent r = all.get(i);
                if (i > 0) {
                    assertThat(r.position()).isGreaterThan(all.get(i - 1).position());
                }
                long previous = versions.getOrDefault(r.streamId(), 0L);
                assertThat(r.version()).as("versions of %s", r.streamId()).isEqualTo(previous + 1);
                versions.put(r.streamId(), r.version());
            }
            for (Subscriber sub : subs) {
                assertThat(sub.committed)
                        .as("what a subscriber saw: no skip, no duplicate, no reordering")
                        .containsExactlyElementsOf(ids);
                assertThat(sub.restarts).isPositive();
            }
        }
    }

    /**
     * A reader that tails the log, commits its checkpoint now and then, and restarts from its
     * last commit at random moments (with a new store, as a new process would), forgetting what
     * it read since.
     */
    private static final class Subscriber implements java.util.concurrent.Callable<Void> {
        final String url;
        final Random random;
        final AtomicBoolean writing;
        final List<UUID> committed = new ArrayList<>();
        long checkpoint;
        int restarts;

        Subscriber(String url, Random random, AtomicBoolean writing) {
            this.url = url;
            this.random = random;
            this.writing = writing;
        }

        @Override
        public Void call() throws Exception {
            JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(2).open();
            try {
                long read = checkpoint;
                List<UUID> pending = new ArrayList<>();
                while (true) {
                    boolean last = !writing.get();
                    List<RecordedEvent> page = store.readAll(read, 1 + random.nextInt(40));
                    for (RecordedEvent r : page) {
                        assertThat(r.position()).isGreaterThan(read);
                        read = r.position();
                        pending.add(r.eventId());
                    }
                    if (random.nextInt(3) > 0 || (page.isEmpty() && last)) {
                        assertThat(read).as("a checkpoint never goes backwards").isGreaterThanOrEqualTo(checkpoint);
                        checkpoint = read;
                        committed.addAll(pending);
                        pending.clear();
                    }
                    if (page.isEmpty() && last) {
                        return null;
                    }
                    // at least one crash with reads not yet committed, however fast the reader is
                    if (random.nextInt(25) == 0 || (restarts == 0 && !pending.isEmpty())) {
                        store.close(); // a crash: what was not committed is read again
                        store = JdbcEventStore.builder(url).maxPoolSize(2).open();
                        restarts++;
                        read = checkpoint;
                        pending.clear();
                    }
                    if (page.isEmpty()) {
                        Thread.sleep(1);
                    }
                }
            } finally {
                store.close();
            }
        }
    }

    // --- 4. batches do not interleave -----------------------------------------------------

    @Test
    @Timeout(300)
    void two_writers_of_thousand_event_batches_never_interleave_them_in_the_log() throws Exception {
        batchesStayWhole(3);
    }

    @Test
    @Tag("nightly")
    @Timeout(3600)
    void many_thousand_event_batches_written_at_once_never_interleave_in_the_log() throws Exception {
        batchesStayWhole(30);
    }

    private void batchesStayWhole(int rounds) throws Exception {
        String url = db().newUrl("batches");
        int size = 1_000;
        try (JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(4).open()) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<?>> done = new ArrayList<>();
                for (String stream : List.of("left", "right")) {
                    done.add(pool.submit(() -> {
                        for (int round = 0; round < rounds; round++) {
                            List<EventData> batch = new ArrayList<>();
                            for (int i = 0; i < size; i++) {
                                batch.add(EventData.of("Bulk", "{\"round\":" + round + ",\"i\":" + i + "}"));
                            }
                            start.await(60, TimeUnit.SECONDS); // both batches in flight together
                            store.append(stream, ExpectedVersion.exactly((long) round * size), batch);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(3000, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            List<RecordedEvent> all = EventStoreContract.readAllOf(store);
            assertThat(all).hasSize(2 * rounds * size);
            for (int k = 0; k < all.size(); k += size) {
                RecordedEvent first = all.get(k);
                assertThat((first.version() - 1) % size)
                        .as("a batch starts at index %d", k)
                        .isZero();
                for (int i = 1; i < size; i++) {
                    RecordedEvent r = all.get(k + i);
                    assertThat(r.streamId())
                            .as("event %d of the batch at index %d", i, k)
                            .isEqualTo(first.streamId());
                    assertThat(r.version()).isEqualTo(first.version() + i);
                }
            }
        }
    }

    // --- 7. competing projectors ----------------------------------------------------------

    @Test
    @Timeout(300)
    void two_runners_started_at_once_never_apply_events_together() throws Exception {
        competingRunners(3, 60, new Random(7));
    }

    @Test
    @Tag("nightly")
    @Timeout(3600)
    void many_take_overs_between_competing_runners_never_apply_events_together() throws Exception {
        competingRunners(30, 200, new Random(77));
    }

    private void competingRunners(int takeOvers, int depositsPerTurn, Random random) throws Exception {
        String url = db().newUrl("compete");
        try (JdbcEventStore writer = JdbcEventStore.open(url)) {
            DepositTables.create(writer.dataSource());
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            Map<String, Integer> appliedBy = new ConcurrentHashMap<>();
            long last = 0;
            for (int turn = 0; turn < takeOvers; turn++) {
                try (JdbcEventStore a = JdbcEventStore.open(url);
                        JdbcEventStore b = JdbcEventStore.open(url)) {
                    ProjectionRunner ra = competitor(a, "a", inside, most, appliedBy);
                    ProjectionRunner rb = competitor(b, "b", inside, most, appliedBy);
                    CyclicBarrier together = new CyclicBarrier(2);
                    Thread ta = new Thread(() -> startAt(together, ra));
                    Thread tb = new Thread(() -> startAt(together, rb));
                    ta.start();
                    tb.start();
                    for (int i = 0; i < depositsPerTurn; i++) {
                        long amount = 1 + random.nextInt(100);
                        last = writer.append(
                                        "acct-" + random.nextInt(5),
                                        ExpectedVersion.any(),
                                        List.of(CODEC.encode(new Deposited(amount))))
                                .position();
                    }
                    ta.join();
                    tb.join();
                    long target = last;
                    assertThat(awaitEither(ra, rb, target))
                            .as("one runner reached %d", target)
                            .isTrue();
                    // the leader goes (as if its process ended); the other takes over next turn
                    (random.nextBoolean() ? ra : rb).close();
                    ra.close();
                    rb.close();
                }
            }
            assertThat(most.get()).as("runners inside apply at once").isEqualTo(1);
            assertThat(DepositTables.logged(writer.dataSource())).isEqualTo((long) takeOvers * depositsPerTurn);
            Map<String, Total> expected = new TreeMap<>();
            for (RecordedEvent r : EventStoreContract.readAllOf(writer)) {
                long amount = CODEC.decode(r).event().amount();
                expected.merge(
                        r.streamId(),
                        new Total(amount, 1),
                        (x, y) -> new Total(x.sum() + y.sum(), x.count() + y.count()));
            }
            assertThat(DepositTables.totals(writer.dataSource())).isEqualTo(expected);
        }
    }

    private static void startAt(CyclicBarrier barrier, ProjectionRunner runner) {
        try {
            barrier.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        runner.start();
    }

    private static boolean awaitEither(ProjectionRunner a, ProjectionRunner b, long position)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (a.awaitPosition(position, Duration.ofMillis(50)) || b.awaitPosition(position, Duration.ofMillis(50))) {
                return true;
            }
        }
        return false;
    }

    private static ProjectionRunner competitor(
            JdbcEventStore store,
            String who,
            AtomicInteger inside,
            AtomicInteger most,
            Map<String, Integer> appliedBy) {
        DepositTables tables = new DepositTables();
        tables.hook = (c, e) -> {
            int now = inside.incrementAndGet();
            most.accumulateAndGet(now, Math::max);
            appliedBy.merge(who, 1, Integer::sum);
            Thread.onSpinWait();
            inside.decrementAndGet();
        };
        return ProjectionRunner.builder(store)
                .add(store.projectors().sql(tables, CODEC))
                .batchSize(5)
                .pollInterval(Duration.ofMillis(5))
                .maxBackoff(Duration.ofMillis(100))
                .build();
    }

    @Test
    @Timeout(120)
    void two_projectors_moving_one_checkpoint_at_once_compare_and_set_it_exactly_once() throws Exception {
        String url = db().newUrl("cas");
        try (JdbcEventStore a = JdbcEventStore.open(url);
                JdbcEventStore b = JdbcEventStore.open(url)) {
            DepositTables.create(a.dataSource());
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int round = 0; round < 20; round++) {
                    a.append("acct", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(round + 1))));
                    String name = "cas-" + round;
                    Projector pa = a.projectors()
                            .keyed(
                                    new io.annals.eventstore.tck.ProjectionRunnerContract.Totals(name),
                                    CODEC,
                                    io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS);
                    Projector pb = b.projectors()
                            .keyed(
                                    new io.annals.eventstore.tck.ProjectionRunnerContract.Totals(name),
                                    CODEC,
                                    io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS);
                    List<RecordedEvent> events = a.readAll(0, 1000);
                    long to = events.get(events.size() - 1).position();
                    CyclicBarrier together = new CyclicBarrier(2);
                    List<Future<Boolean>> results = new ArrayList<>();
                    for (Projector p : List.of(pa, pb)) {
                        results.add(pool.submit(() -> {
                            together.await(30, TimeUnit.SECONDS);
                            try {
                                p.apply(0, to, events);
                                return true;
                            } catch (CheckpointConflictException lost) {
                                return false;
                            }
                        }));
                    }
                    int won = 0;
                    for (Future<Boolean> f : results) {
                        won += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
                    }
                    assertThat(won).as("round %d", round).isEqualTo(1);
                    assertThat(pa.checkpoint()).isEqualTo(to);
                    long sum = (long) (round + 1) * (round + 2) / 2;
                    assertThat(a.projectors()
                                    .keyed(
                                            new io.annals.eventstore.tck.ProjectionRunnerContract.Totals(name),
                                            CODEC,
                                            io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS)
                                    .get("acct"))
                            .contains(new Total(sum, round + 1));
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    static List<ProjectionStatus> statuses(ProjectionRunner r) {
        return r.statuses();
    }
}
