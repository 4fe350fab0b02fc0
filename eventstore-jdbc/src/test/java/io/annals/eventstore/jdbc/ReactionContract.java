package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.Command;
import io.annals.eventstore.DuplicateEventIdException;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Projections that react to events with new ones (process managers), on every JDBC store: their
 * appends and commands join the batch's transaction, so each reaction is stored exactly once and
 * commits or rolls back with the checkpoint.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class ReactionContract extends ClosingTest {

    /** A fresh, empty store. */
    abstract JdbcEventStore newStore();

    /** Counts the deposits of one account: the state is the count, each event its new value. */
    record Count(String aggregateId) implements Command {}

    static final class Receipts implements Aggregate<Long, Count, Deposited> {
        @Override
        public String category() {
            return "receipts";
        }

        @Override
        public Long initialState() {
            return 0L;
        }

        @Override
        public List<Deposited> decide(Long state, Count command) {
            return List.of(new Deposited(state + 1));
        }

        @Override
        public Long evolve(Long state, Deposited event) {
            return event.amount();
        }
    }

    /** What a reaction does for one deposit, on the batch's connection. */
    interface Reaction {
        void react(Connection c, Envelope<Deposited> e) throws Exception;
    }

    /** A process manager over the deposits of streams {@code acct-*}. */
    static SqlProjection<Deposited> reacting(String name, boolean declares, Reaction reaction) {
        return reacting(name, "acct-", declares, reaction);
    }

    /** A process manager over the deposits of the streams whose id starts with {@code prefix}. */
    static SqlProjection<Deposited> reacting(String name, String prefix, boolean declares, Reaction reaction) {
        return new SqlProjection<>() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void apply(Connection c, Envelope<Deposited> e) throws SQLException {
                if (!e.recorded().streamId().startsWith(prefix)) {
                    return;
                }
                try {
                    reaction.react(c, e);
                } catch (SQLException | RuntimeException ex) {
                    throw ex;
                } catch (Exception ex) {
                    throw new IllegalStateException(ex);
                }
            }

            @Override
            public void reset(Connection c) {}

            @Override
            public boolean appendsEvents() {
                return declares;
            }
        };
    }

    static AppendResult deposit(JdbcEventStore store, String stream, long amount) {
        return store.append(stream, ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(amount))));
    }

    static List<Long> amounts(JdbcEventStore store, String stream) {
        return store.readStream(stream, 1, 100_000).stream()
                .map(r -> CODEC.decode(r).event().amount())
                .toList();
    }

    static List<Long> positions(List<RecordedEvent> events) {
        return events.stream().map(RecordedEvent::position).toList();
    }

    static List<RecordedEvent> readAll(JdbcEventStore store) {
        List<RecordedEvent> all = new ArrayList<>();
        long after = 0;
        while (true) {
            List<RecordedEvent> page = store.readAll(after, 500);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
            after = page.get(page.size() - 1).position();
        }
    }

    @Test
    @Timeout(120)
    void each_reaction_is_stored_once_while_writers_run_and_batches_fail() throws Exception {
        JdbcEventStore store = closeLater(newStore());
        CommandHandler<Long, Count, Deposited> receipts = CommandHandler.builder(new Receipts(), store, CODEC)
                .snapshots(new SnapshotSettings<>(
                        store.snapshots(), new ReactionStates(), 1, SnapshotPolicy.everyEvents(3)))
                .build();
        Set<UUID> seen = ConcurrentHashMap.newKeySet();
        SqlProjection<Deposited> manager = reacting("receipts", true, (c, e) -> {
            String account = e.recorded().streamId();
            // a command: its reads see what this batch appended before
            receipts.handle(new Count(account));
            // two events in one append, after the command's in the same transaction
            store.append(
                    "audit-" + account,
                    ExpectedVersion.any(),
                    List.of(
                            CODEC.encode(new Deposited(e.event().amount())),
                            CODEC.encode(new Deposited(-e.event().amount()))));
            // every fifth event fails its batch, the first time it is seen
            if (seen.add(e.recorded().eventId()) && seen.size() % 5 == 0) {
                throw new IllegalStateException("the batch fails after reacting");
            }
        });
        ProjectionRunner runner = closeLater(ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .batchSize(7)
                .pollInterval(Duration.ofMillis(5))
                .maxBackoff(Duration.ofMillis(20))
                .build());
        runner.start();

        // A reader tails the log meanwhile: it must see every event once, in order.
        List<RecordedEvent> tailed = new ArrayList<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread tailer = new Thread(() -> {
            long after = 0;
            while (true) {
                boolean last = !writing.get();
                List<RecordedEvent> page = store.readAll(after, 50);
                tailed.addAll(page);
                if (!page.isEmpty()) {
                    after = page.get(page.size() - 1).position();
                } else if (last) {
                    return;
                }
            }
        });
        tailer.start();

        int writers = 4;
        int perWriter = 40;
        Map<String, AtomicInteger> deposits = new ConcurrentHashMap<>();
        AtomicLong lastDeposit = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int id = w;
            threads.add(new Thread(() -> {
                for (int i = 0; i < perWriter; i++) {
                    String account = "acct-" + ((id + i) % 5);
                    lastDeposit.accumulateAndGet(deposit(store, account, i + 1).position(), Math::max);
                    deposits.computeIfAbsent(account, k -> new AtomicInteger()).incrementAndGet();
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        // (a read of the log now might stop below a batch in flight)
        long end = lastDeposit.get();
        assertThat(runner.awaitPosition(end, Duration.ofSeconds(60))).isTrue();
        writing.set(false);
        tailer.join();

        for (Map.Entry<String, AtomicInteger> d : deposits.entrySet()) {
            int n = d.getValue().get();
            List<Long> expected = new ArrayList<>();
            for (long i = 1; i <= n; i++) {
                expected.add(i);
            }
            assertThat(amounts(store, "receipts-" + d.getKey()))
                    .as("one receipt per deposit of %s, counted in order", d.getKey())
                    .isEqualTo(expected);
            assertThat(amounts(store, "audit-" + d.getKey())).hasSize(2 * n);
        }
        List<RecordedEvent> all = readAll(store);
        assertThat(all).hasSize(writers * perWriter * 4);
        assertThat(positions(tailed)).as("what a tailing reader saw").isEqualTo(positions(all));
        assertThat(positions(all)).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void an_append_that_fails_inside_a_batch_undoes_only_itself() {
        JdbcEventStore store = closeLater(newStore());
        deposit(store, "acct-1", 10);
        SqlProjection<Deposited> manager = reacting("careful", true, (c, e) -> {
            store.append("x", ExpectedVersion.noStream(), List.of(CODEC.encode(new Deposited(1))));
            try {
                store.append("x", ExpectedVersion.noStream(), List.of(CODEC.encode(new Deposited(2))));
                throw new AssertionError("the second append to x should have conflicted");
            } catch (WrongExpectedVersionException expected) {
                // caught: the batch goes on
            }
            EventData reused = new EventData(e.recorded().eventId(), "Deposited", "{\"amount\":4}", Map.of());
            try {
                // a unique violation: on PostgreSQL it would abort the whole transaction
                store.append("z", ExpectedVersion.any(), List.of(reused));
                throw new AssertionError("the id is stored in another stream");
            } catch (DuplicateEventIdException expected) {
                // caught as well
            }
            store.append("y", ExpectedVersion.noStream(), List.of(CODEC.encode(new Deposited(3))));
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            ProjectionStatus status = runner.catchUp().get(0);

            assertThat(status.lastError()).isEmpty();
            assertThat(amounts(store, "x")).containsExactly(1L);
            assertThat(amounts(store, "y")).containsExactly(3L);
            assertThat(store.currentVersion("z")).isZero();
        }
    }

    @Test
    void a_batch_that_fails_takes_its_reactions_with_it() {
        JdbcEventStore store = closeLater(newStore());
        deposit(store, "acct-1", 10);
        deposit(store, "acct-2", 20);
        AtomicBoolean broken = new AtomicBoolean(true);
        SqlProjection<Deposited> manager = reacting("fragile", true, (c, e) -> {
            store.append(
                    "reaction-" + e.recorded().streamId(),
                    ExpectedVersion.noStream(),
                    List.of(CODEC.encode(e.event())));
            if (broken.get() && e.recorded().streamId().equals("acct-2")) {
                throw new IllegalStateException("broken");
            }
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            ProjectionStatus failed = runner.catchUp().get(0);

            assertThat(failed.lastError()).hasValueSatisfying(m -> assertThat(m).contains("broken"));
            assertThat(failed.checkpoint()).isZero();
            assertThat(store.currentVersion("reaction-acct-1")).isZero();

            broken.set(false);
            ProjectionStatus done = runner.catchUp().get(0);

            assertThat(done.lastError()).isEmpty();
            assertThat(amounts(store, "reaction-acct-1")).containsExactly(10L);
            assertThat(amounts(store, "reaction-acct-2")).containsExactly(20L);
        }
    }

    @Test
    void a_projection_that_does_not_declare_it_appends_is_refused_and_writes_nothing() {
        JdbcEventStore store = closeLater(newStore());
        deposit(store, "acct-1", 10);
        SqlProjection<Deposited> manager = reacting("undeclared", false, (c, e) -> {
            store.append("x", ExpectedVersion.any(), List.of(CODEC.encode(e.event())));
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            ProjectionStatus status = runner.catchUp().get(0);

            assertThat(status.lastError()).hasValueSatisfying(m -> assertThat(m).contains("appendsEvents()"));
            assertThat(status.checkpoint()).isZero();
            assertThat(store.currentVersion("x")).isZero();
        }
    }

    @Test
    @Timeout(60)
    void reads_inside_a_batch_see_its_own_appends_and_other_threads_do_not() throws Exception {
        JdbcEventStore store = closeLater(newStore());
        deposit(store, "acct-1", 10);
        CountDownLatch appended = new CountDownLatch(1);
        CountDownLatch looked = new CountDownLatch(1);
        List<Long> seenInside = new ArrayList<>();
        SqlProjection<Deposited> manager = reacting("reader", true, (c, e) -> {
            store.append("inside", ExpectedVersion.noStream(), List.of(CODEC.encode(new Deposited(7))));
            seenInside.add(store.currentVersion("inside"));
            appended.countDown();
            looked.await();
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .build()) {
            Thread batch = new Thread(runner::catchUp);
            batch.start();
            appended.await();
            long seenOutside = store.currentVersion("inside");
            looked.countDown();
            batch.join();

            assertThat(seenInside).containsExactly(1L);
            assertThat(seenOutside).as("before the batch commits").isZero();
            assertThat(store.currentVersion("inside")).isEqualTo(1);
        }
    }

    /** Stores the receipt count as text. */
    static final class ReactionStates implements io.annals.eventstore.StateCodec<Long> {
        @Override
        public String serialize(Long state) {
            return "{\"count\":" + state + "}";
        }

        @Override
        public Long deserialize(String text) {
            return Long.parseLong(text.replaceAll("[^0-9]", ""));
        }
    }

    @Test
    @Timeout(60)
    void a_reaction_wakes_the_other_projections_when_its_batch_commits() {
        JdbcEventStore store = closeLater(newStore());
        SqlProjection<Deposited> manager = reacting(
                "manager",
                true,
                (c, e) -> store.append(
                        "reaction-" + e.recorded().streamId(),
                        ExpectedVersion.noStream(),
                        List.of(CODEC.encode(e.event()))));
        SqlProjection<Deposited> watcher = reacting("watcher", "reaction-", false, (c, e) -> {});
        ProjectionRunner runner = closeLater(ProjectionRunner.builder(store)
                .add(store.projectors().sql(manager, CODEC))
                .add(store.projectors().sql(watcher, CODEC))
                .pollInterval(Duration.ofHours(1)) // only wake-ups make it read again
                .build());
        runner.start();

        AppendResult deposit = deposit(store, "acct-1", 10);
        assertThat(runner.awaitPosition("manager", deposit.position(), Duration.ofSeconds(20)))
                .isTrue();
        long reaction = store.readStream("reaction-acct-1", 1, 1).get(0).position();

        assertThat(runner.awaitPosition("watcher", reaction, Duration.ofSeconds(20)))
                .as("the reaction, committed with the manager's batch, woke the watcher")
                .isTrue();
    }
}
