package io.annals.eventstore.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.Command;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StateCodec;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.snapshot.InMemorySnapshotStore;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import io.annals.eventstore.snapshot.SnapshotStore;
import io.annals.eventstore.tck.ForwardingEventStore;
import io.annals.eventstore.tck.TestClock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CommandHandlerTest {

    // ---- a tiny domain: a counter that only goes up, to at most its limit ----

    record Counter(long total) {}

    record Add(String counterId, long amount) implements Command {
        @Override
        public String aggregateId() {
            return counterId;
        }
    }

    record Added(long amount) implements Event {}

    /** Rejects negative amounts and totals over the limit; a zero amount decides nothing. */
    static class CounterAggregate implements Aggregate<Counter, Add, Added> {
        final AtomicInteger decisions = new AtomicInteger();
        private final long limit;

        CounterAggregate() {
            this(Long.MAX_VALUE);
        }

        CounterAggregate(long limit) {
            this.limit = limit;
        }

        @Override
        public String category() {
            return "counter";
        }

        @Override
        public Counter initialState() {
            return new Counter(0);
        }

        @Override
        public List<Added> decide(Counter state, Add command) {
            decisions.incrementAndGet();
            if (command.amount() < 0) {
                throw new CommandRejectedException("negative", "cannot add " + command.amount());
            }
            if (command.amount() > limit - state.total()) {
                throw new CommandRejectedException(
                        "over_limit",
                        "the total " + state.total() + " plus " + command.amount() + " would exceed " + limit);
            }
            return command.amount() == 0 ? List.of() : List.of(new Added(command.amount()));
        }

        @Override
        public Counter evolve(Counter state, Added event) {
            return new Counter(state.total() + event.amount());
        }
    }

    /** A hand-written codec: the core has no JSON library, and this format is all it needs. */
    static final class AddedCodec implements EventCodec<Added> {
        private static final Pattern JSON = Pattern.compile("\\{\"amount\":(-?\\d+)}");

        @Override
        public String typeName(Added event) {
            return "Added";
        }

        @Override
        public String toJson(Added event) {
            return "{\"amount\":" + event.amount() + "}";
        }

        @Override
        public Added fromJson(String typeName, String json) {
            if (!typeName.equals("Added")) {
                throw new IllegalArgumentException("unknown type " + typeName);
            }
            return new Added(parse(json, JSON));
        }
    }

    static final class CounterStateCodec implements StateCodec<Counter> {
        private static final Pattern JSON = Pattern.compile("\\{\"total\":(-?\\d+)}");

        @Override
        public String serialize(Counter state) {
            return "{\"total\":" + state.total() + "}";
        }

        @Override
        public Counter deserialize(String text) {
            return new Counter(parse(text, JSON));
        }
    }

    private static long parse(String text, Pattern pattern) {
        Matcher m = pattern.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("not " + pattern + ": " + text);
        }
        return Long.parseLong(m.group(1));
    }

    /**
     * A store that records what the handler asks of it, can run a hook just before each of the
     * handler's appends (to make another writer get there first), and can pause after each read
     * (to widen the window between a load and its append, so that real threads collide).
     */
    static final class ObservedStore extends ForwardingEventStore {
        final List<ExpectedVersion> appendExpectations = Collections.synchronizedList(new ArrayList<>());
        final List<Long> readFromVersions = Collections.synchronizedList(new ArrayList<>());
        volatile Consumer<EventStore> beforeAppend = s -> {};
        volatile long pauseAfterReadMillis;

        ObservedStore(EventStore delegate) {
            super(delegate);
        }

        @Override
        public AppendResult append(String streamId, ExpectedVersion expected, List<EventData> events) {
            appendExpectations.add(expected);
            beforeAppend.accept(delegate);
            return delegate.append(streamId, expected, events);
        }

        @Override
        public List<RecordedEvent> readStream(String streamId, long fromVersion, int maxCount) {
            readFromVersions.add(fromVersion);
            List<RecordedEvent> events = delegate.readStream(streamId, fromVersion, maxCount);
            if (pauseAfterReadMillis > 0) {
                pause(pauseAfterReadMillis);
            }
            return events;
        }
    }

    private static final String ID = "c1";
    private static final String STREAM = "counter-c1";
    private static final AddedCodec CODEC = new AddedCodec();
    private static final Instant T0 = Instant.parse("2026-03-04T05:06:07Z");

    private final InMemoryEventStore memory = new InMemoryEventStore();
    private final ObservedStore store = new ObservedStore(memory);
    private final CounterAggregate counter = new CounterAggregate(1000);

    @AfterEach
    void closeStore() {
        store.close();
    }

    private CommandHandler<Counter, Add, Added> handler() {
        return CommandHandler.builder(counter, store, CODEC).build();
    }

    /** Appends {@code amount} to the counter's stream as another writer would. */
    private static void sneakIn(EventStore target, long amount) {
        target.append(STREAM, ExpectedVersion.any(), List.of(CODEC.encode(new Added(amount))));
    }

    private static <T extends Throwable> T thrown(Class<T> type, ThrowingCallable call) {
        Throwable t = catchThrowable(call);
        assertThat(t).isInstanceOf(type);
        return type.cast(t);
    }

    private List<Long> storedAmounts() {
        return memory.readStream(STREAM, 1, 10_000).stream()
                .map(r -> CODEC.decode(r).event().amount())
                .collect(Collectors.toList());
    }

    @Nested
    class Handling_a_command {

        @Test
        void on_a_new_aggregate_appends_expecting_version_0() {
            CommandResult<Counter, Added> result = handler().handle(new Add(ID, 5));

            assertThat(store.appendExpectations).containsExactly(ExpectedVersion.exactly(0));
            assertThat(result.streamId()).isEqualTo(STREAM);
            assertThat(result.state()).isEqualTo(new Counter(5));
            assertThat(result.version()).isEqualTo(1);
            assertThat(result.position()).isEqualTo(1);
            assertThat(result.events()).containsExactly(new Added(5));
            assertThat(result.attempts()).isEqualTo(1);
            RecordedEvent stored = memory.readStream(STREAM, 1, 10).get(0);
            assertThat(stored.type()).isEqualTo("Added");
            assertThat(stored.json()).isEqualTo("{\"amount\":5}");
        }

        @Test
        void on_an_existing_aggregate_appends_expecting_the_loaded_version() {
            CommandHandler<Counter, Add, Added> handler = handler();

            handler.handle(new Add(ID, 1));
            handler.handle(new Add(ID, 2));
            CommandResult<Counter, Added> third = handler.handle(new Add(ID, 3));

            assertThat(store.appendExpectations)
                    .containsExactly(
                            ExpectedVersion.exactly(0), ExpectedVersion.exactly(1), ExpectedVersion.exactly(2));
            assertThat(third.state()).isEqualTo(new Counter(6));
            assertThat(third.version()).isEqualTo(3);
            assertThat(handler.load(ID)).isEqualTo(new AggregateState<>(STREAM, new Counter(6), 3));
        }

        @Test
        void loading_an_aggregate_with_no_event_gives_the_initial_state_at_version_0() {
            assertThat(handler().load(ID)).isEqualTo(new AggregateState<>(STREAM, new Counter(0), 0));
        }

        @Test
        void a_rejected_command_is_not_retried_and_writes_nothing() {
            CommandRejectedException rejected =
                    thrown(CommandRejectedException.class, () -> handler().handle(new Add(ID, -1)));

            assertThat(rejected.code()).isEqualTo("negative");
            assertThat(counter.decisions).hasValue(1);
            assertThat(store.appendExpectations).isEmpty();
            assertThat(memory.currentVersion(STREAM)).isZero();
        }

        @Test
        void an_empty_decision_writes_nothing_and_reports_position_0() {
            CommandHandler<Counter, Add, Added> handler = handler();
            handler.handle(new Add(ID, 5));

            CommandResult<Counter, Added> result = handler.handle(new Add(ID, 0));

            assertThat(result.events()).isEmpty();
            assertThat(result.position()).isZero();
            assertThat(result.version()).isEqualTo(1);
            assertThat(result.state()).isEqualTo(new Counter(5));
            assertThat(result.attempts()).isEqualTo(1);
            assertThat(store.appendExpectations).hasSize(1);
            assertThat(memory.currentVersion(STREAM)).isEqualTo(1);
        }

        @Test
        void a_command_runs_on_a_thread_whose_interrupt_flag_is_set_if_it_need_not_wait() {
            Thread.currentThread().interrupt();
            try {
                assertThat(handler().handle(new Add(ID, 1)).version()).isEqualTo(1);
            } finally {
                Thread.interrupted();
            }
        }

        @Test
        void a_null_command_is_refused() {
            assertThatThrownBy(() -> handler().handle(null))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessage("command");
        }
    }

    @Test
    void an_evolve_that_fails_on_the_decided_events_fails_the_command_before_anything_is_stored() {
        CounterAggregate unlucky = new CounterAggregate() {
            @Override
            public Counter evolve(Counter state, Added event) {
                if (event.amount() == 13) {
                    throw new IllegalStateException("13 brings bad luck");
                }
                return super.evolve(state, event);
            }
        };
        CommandHandler<Counter, Add, Added> handler =
                CommandHandler.builder(unlucky, store, CODEC).build();

        assertThatThrownBy(() -> handler.handle(new Add(ID, 13))).hasMessage("13 brings bad luck");
        assertThat(storedAmounts()).isEmpty();
    }

    @Nested
    class Concurrent_changes {

        @Test
        void a_conflict_reloads_decides_again_and_appends_on_top_of_the_other_write() {
            AtomicInteger appends = new AtomicInteger();
            store.beforeAppend = s -> {
                if (appends.incrementAndGet() == 1) {
                    sneakIn(s, 100);
                }
            };

            CommandResult<Counter, Added> result = handler().handle(new Add(ID, 5));

            assertThat(result.attempts()).isEqualTo(2);
            assertThat(result.version()).isEqualTo(2);
            assertThat(result.state()).isEqualTo(new Counter(105));
            assertThat(store.appendExpectations)
                    .containsExactly(ExpectedVersion.exactly(0), ExpectedVersion.exactly(1));
            assertThat(storedAmounts()).containsExactly(100L, 5L);
        }

        @Test
        void a_command_decided_again_after_a_conflict_may_now_be_rejected() {
            AtomicInteger appends = new AtomicInteger();
            store.beforeAppend = s -> {
                if (appends.incrementAndGet() == 1) {
                    sneakIn(s, 990);
                }
            };

            assertThatThrownBy(() -> handler().handle(new Add(ID, 20)))
                    .isInstanceOfSatisfying(
                            CommandRejectedException.class,
                            e -> assertThat(e.code()).isEqualTo("over_limit"));
            assertThat(counter.decisions).hasValue(2);
            assertThat(storedAmounts()).containsExactly(990L);
        }

        @Test
        void gives_up_after_max_attempts_with_the_last_conflict() {
            store.beforeAppend = s -> sneakIn(s, 1);
            CommandHandler<Counter, Add, Added> handler =
                    CommandHandler.builder(counter, store, CODEC).maxAttempts(3).build();

            WrongExpectedVersionException conflict =
                    thrown(WrongExpectedVersionException.class, () -> handler.handle(new Add(ID, 5)));

            assertThat(conflict.streamId()).isEqualTo(STREAM);
            assertThat(conflict.expected()).isEqualTo(ExpectedVersion.exactly(2));
            assertThat(conflict.actual()).isEqualTo(3);
            assertThat(counter.decisions).hasValue(3);
            assertThat(store.appendExpectations).hasSize(3);
            assertThat(storedAmounts()).containsExactly(1L, 1L, 1L);
        }

        @Test
        void max_attempts_must_be_at_least_1() {
            assertThatIllegalArgumentException()
                    .isThrownBy(
                            () -> CommandHandler.builder(counter, store, CODEC).maxAttempts(0))
                    .withMessageContaining("maxAttempts");
        }

        /** Eight handlers on one store: eight processes, as far as the store can tell. */
        @Test
        @Timeout(120)
        void eight_handlers_adding_to_one_counter_all_land() throws Exception {
            runConcurrentAdds(
                    () -> CommandHandler.builder(new CounterAggregate(), store, CODEC)
                            .maxAttempts(10_000)
                            .build(),
                    true);
        }

        @Test
        @Timeout(120)
        void eight_handlers_adding_to_one_counter_all_land_with_snapshots_on() throws Exception {
            InMemorySnapshotStore shared = new InMemorySnapshotStore();
            runConcurrentAdds(
                    () -> CommandHandler.builder(new CounterAggregate(), store, CODEC)
                            .snapshots(new SnapshotSettings<>(
                                    shared, new CounterStateCodec(), 1, SnapshotPolicy.everyEvents(5)))
                            .maxAttempts(10_000)
                            .build(),
                    true);
        }

        @Test
        @Timeout(120)
        void eight_threads_on_one_handler_take_turns_on_an_aggregate_and_never_retry() throws Exception {
            CommandHandler<Counter, Add, Added> one =
                    CommandHandler.builder(new CounterAggregate(), store, CODEC).build();
            runConcurrentAdds(() -> one, false);
        }

        @Test
        @Timeout(120)
        void one_handler_runs_commands_for_different_aggregates_in_parallel() throws Exception {
            CountDownLatch bothInside = new CountDownLatch(2);
            Aggregate<Counter, Add, Added> waiting = new CounterAggregate() {
                @Override
                public List<Added> decide(Counter state, Add command) {
                    bothInside.countDown();
                    try {
                        if (!bothInside.await(10, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("the other command never came in");
                        }
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return super.decide(state, command);
                }
            };
            CommandHandler<Counter, Add, Added> handler =
                    CommandHandler.builder(waiting, store, CODEC).build();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<CommandResult<Counter, Added>> a = pool.submit(() -> handler.handle(new Add("a", 1)));
                Future<CommandResult<Counter, Added>> b = pool.submit(() -> handler.handle(new Add("b", 2)));
                assertThat(a.get(20, TimeUnit.SECONDS).version()).isEqualTo(1);
                assertThat(b.get(20, TimeUnit.SECONDS).version()).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
        }

        private void runConcurrentAdds(Supplier<CommandHandler<Counter, Add, Added>> handlers, boolean collide)
                throws Exception {
            int threads = 8;
            int perThread = 25;
            store.pauseAfterReadMillis = 1;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Long> sent = new ArrayList<>();
            List<Future<List<CommandResult<Counter, Added>>>> futures = new ArrayList<>();
            try {
                for (int t = 0; t < threads; t++) {
                    List<Long> amounts = new ArrayList<>();
                    for (int i = 1; i <= perThread; i++) {
                        amounts.add(t * 1000L + i); // unique, so a lost or doubled event shows
                    }
                    sent.addAll(amounts);
                    CommandHandler<Counter, Add, Added> handler = handlers.get();
                    futures.add(pool.submit(() -> {
                        start.await();
                        List<CommandResult<Counter, Added>> results = new ArrayList<>();
                        for (long amount : amounts) {
                            results.add(handler.handle(new Add(ID, amount)));
                        }
                        return results;
                    }));
                }
                List<CommandResult<Counter, Added>> results = new ArrayList<>();
                for (Future<List<CommandResult<Counter, Added>>> f : futures) {
                    results.addAll(f.get(100, TimeUnit.SECONDS));
                }

                int commands = threads * perThread;
                long sum = sent.stream().mapToLong(Long::longValue).sum();
                assertThat(handlers.get().load(ID)).isEqualTo(new AggregateState<>(STREAM, new Counter(sum), commands));
                assertThat(memory.readStream(STREAM, 1, 10_000))
                        .extracting(RecordedEvent::version)
                        .containsExactlyElementsOf(
                                LongStream.rangeClosed(1, commands).boxed().collect(Collectors.toList()));
                assertThat(storedAmounts()).containsExactlyInAnyOrderElementsOf(sent);
                assertThat(results)
                        .extracting(CommandResult::version)
                        .doesNotHaveDuplicates()
                        .hasSize(commands);
                int attempts =
                        results.stream().mapToInt(CommandResult::attempts).sum();
                if (collide) {
                    assertThat(attempts)
                            .as("attempts: the handlers must have collided for this test to mean much")
                            .isGreaterThan(commands);
                } else {
                    assertThat(attempts).as("attempts: one handler takes turns").isEqualTo(commands);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Nested
    class Snapshots {

        // The handler logs each snapshot it ignores or cannot save, with a stack trace; these
        // tests provoke that on purpose, so keep it out of the build output.
        private final Logger handlerLog = Logger.getLogger(CommandHandler.class.getName());
        private Level levelBefore;

        private final InMemorySnapshotStore snapshots = new InMemorySnapshotStore();

        @BeforeEach
        void quietHandlerLog() {
            levelBefore = handlerLog.getLevel();
            handlerLog.setLevel(Level.OFF);
        }

        @AfterEach
        void restoreHandlerLog() {
            handlerLog.setLevel(levelBefore);
        }

        private CommandHandler<Counter, Add, Added> handler(
                SnapshotStore snapshotStore, StateCodec<Counter> codec, int schemaVersion, int every) {
            return CommandHandler.builder(counter, store, CODEC)
                    .snapshots(new SnapshotSettings<>(
                            snapshotStore, codec, schemaVersion, SnapshotPolicy.everyEvents(every)))
                    .clock(new TestClock(T0))
                    .build();
        }

        private CommandHandler<Counter, Add, Added> handler() {
            return handler(snapshots, new CounterStateCodec(), 1, 3);
        }

        /** Seven events (1..7, total 28) through a handler snapshotting every 3: at version 6. */
        private void sevenEvents() {
            CommandHandler<Counter, Add, Added> handler = handler();
            for (int i = 1; i <= 7; i++) {
                handler.handle(new Add(ID, i));
            }
        }

        private UUID eventIdAt(long version) {
            return memory.readStream(STREAM, version, 1).get(0).eventId();
        }

        /** Replaces the stored snapshot (the in-memory store never moves one backwards). */
        private InMemorySnapshotStore holding(Snapshot snapshot) {
            InMemorySnapshotStore s = new InMemorySnapshotStore();
            s.save(snapshot);
            return s;
        }

        @Test
        void are_taken_each_time_the_version_crosses_a_multiple_of_n() {
            CommandHandler<Counter, Add, Added> handler = handler();

            handler.handle(new Add(ID, 1));
            handler.handle(new Add(ID, 2));
            assertThat(snapshots.load(STREAM)).isEmpty();

            handler.handle(new Add(ID, 3));
            assertThat(snapshots.load(STREAM))
                    .get()
                    .extracting(Snapshot::version, Snapshot::state)
                    .containsExactly(3L, "{\"total\":6}");

            for (int i = 4; i <= 7; i++) {
                handler.handle(new Add(ID, i));
            }
            Snapshot latest = snapshots.load(STREAM).orElseThrow();
            assertThat(latest.streamId()).isEqualTo(STREAM);
            assertThat(latest.version()).isEqualTo(6);
            assertThat(latest.lastEventId()).isEqualTo(eventIdAt(6));
            assertThat(latest.schemaVersion()).isEqualTo(1);
            assertThat(latest.state()).isEqualTo("{\"total\":21}");
            assertThat(latest.takenAt()).isEqualTo(T0);
        }

        @Test
        void loading_starts_from_the_snapshot_and_reads_only_the_events_after_it() {
            sevenEvents();
            // A snapshot whose state differs from the fold proves the fold did not run from 1.
            InMemorySnapshotStore doctored = holding(new Snapshot(STREAM, 6, eventIdAt(6), 1, "{\"total\":500}", T0));
            CommandHandler<Counter, Add, Added> handler = handler(doctored, new CounterStateCodec(), 1, 3);
            store.readFromVersions.clear();

            AggregateState<Counter> loaded = handler.load(ID);

            assertThat(loaded.state()).isEqualTo(new Counter(507));
            assertThat(loaded.version()).isEqualTo(7);
            // one read: the event the snapshot ends at, checked, and the events after it
            assertThat(store.readFromVersions).containsExactly(6L);
        }

        @Test
        void a_command_after_a_snapshot_appends_expecting_the_current_version() {
            sevenEvents();
            store.appendExpectations.clear();

            CommandResult<Counter, Added> result = handler().handle(new Add(ID, 8));

            assertThat(store.appendExpectations).containsExactly(ExpectedVersion.exactly(7));
            assertThat(result.state()).isEqualTo(new Counter(36));
            assertThat(result.version()).isEqualTo(8);
        }

        @Test
        void a_snapshot_of_another_schema_version_is_ignored() {
            sevenEvents();
            InMemorySnapshotStore old = holding(new Snapshot(STREAM, 6, eventIdAt(6), 1, "{\"total\":500}", T0));
            store.readFromVersions.clear();

            AggregateState<Counter> loaded =
                    handler(old, new CounterStateCodec(), 2, 3).load(ID);

            assertThat(loaded.state()).isEqualTo(new Counter(28));
            assertThat(loaded.version()).isEqualTo(7);
            assertThat(store.readFromVersions).containsExactly(1L);
        }

        @Test
        void a_snapshot_that_cannot_be_decoded_falls_back_to_a_full_replay() {
            sevenEvents();
            InMemorySnapshotStore corrupt = holding(new Snapshot(STREAM, 6, eventIdAt(6), 1, "{\"tot", T0));

            AggregateState<Counter> loaded =
                    handler(corrupt, new CounterStateCodec(), 1, 3).load(ID);

            assertThat(loaded).isEqualTo(new AggregateState<>(STREAM, new Counter(28), 7));
            assertThat(store.readFromVersions).contains(1L);
        }

        @Test
        void a_state_codec_that_returns_null_falls_back_to_a_full_replay() {
            sevenEvents();
            StateCodec<Counter> nullCodec = new StateCodec<>() {
                @Override
                public String serialize(Counter state) {
                    return "{}";
                }

                @Override
                public Counter deserialize(String text) {
                    return null;
                }
            };

            AggregateState<Counter> loaded = handler(snapshots, nullCodec, 1, 3).load(ID);

            assertThat(loaded).isEqualTo(new AggregateState<>(STREAM, new Counter(28), 7));
        }

        @Test
        void a_snapshot_store_that_cannot_load_falls_back_to_a_full_replay() {
            sevenEvents();
            SnapshotStore broken = new SnapshotStore() {
                @Override
                public Optional<Snapshot> load(String streamId) {
                    throw new IllegalStateException("snapshot store down");
                }

                @Override
                public void save(Snapshot snapshot) {
                    throw new IllegalStateException("snapshot store down");
                }

                @Override
                public void discard(Snapshot snapshot) {
                    throw new IllegalStateException("snapshot store down");
                }
            };

            AggregateState<Counter> loaded =
                    handler(broken, new CounterStateCodec(), 1, 3).load(ID);

            assertThat(loaded).isEqualTo(new AggregateState<>(STREAM, new Counter(28), 7));
        }

        @Test
        void a_snapshot_whose_last_event_id_is_not_in_the_stream_falls_back_to_a_full_replay() {
            sevenEvents();
            InMemorySnapshotStore stale = holding(new Snapshot(STREAM, 6, UUID.randomUUID(), 1, "{\"total\":500}", T0));
            store.readFromVersions.clear();

            AggregateState<Counter> loaded =
                    handler(stale, new CounterStateCodec(), 1, 3).load(ID);

            assertThat(loaded).isEqualTo(new AggregateState<>(STREAM, new Counter(28), 7));
            assertThat(store.readFromVersions).contains(1L);
        }

        @Test
        void a_snapshot_beyond_the_end_of_the_stream_falls_back_to_a_full_replay() {
            sevenEvents();
            InMemorySnapshotStore ahead = holding(new Snapshot(STREAM, 99, eventIdAt(6), 1, "{\"total\":500}", T0));

            AggregateState<Counter> loaded =
                    handler(ahead, new CounterStateCodec(), 1, 3).load(ID);

            assertThat(loaded).isEqualTo(new AggregateState<>(STREAM, new Counter(28), 7));
        }

        @Test
        void a_snapshot_beyond_the_end_of_the_stream_is_discarded_and_keeps_no_newer_one_out() {
            sevenEvents();
            InMemorySnapshotStore ahead = holding(new Snapshot(STREAM, 99, eventIdAt(6), 1, "{\"total\":500}", T0));
            CommandHandler<Counter, Add, Added> handler = handler(ahead, new CounterStateCodec(), 1, 3);

            handler.handle(new Add(ID, 8)); // version 8: the snapshot at 99 is read, found wrong
            assertThat(ahead.load(STREAM)).isEmpty();
            handler.handle(new Add(ID, 9)); // version 9: a snapshot is due

            assertThat(ahead.load(STREAM)).get().extracting(Snapshot::version).isEqualTo(9L);
            assertThat(handler.load(ID).state()).isEqualTo(new Counter(45));
        }

        @Test
        void a_snapshot_whose_state_the_aggregate_fails_on_is_discarded_and_the_command_decided_on_a_replay() {
            sevenEvents();
            // A snapshot that decodes, ends at an event of the stream, and holds an impossible
            // state (as explicit nulls decoded into a record would): the aggregate throws on it.
            InMemorySnapshotStore poisoned = holding(new Snapshot(STREAM, 7, eventIdAt(7), 1, "{\"total\":-1}", T0));
            CounterAggregate strict = new CounterAggregate() {
                @Override
                public List<Added> decide(Counter state, Add command) {
                    if (state.total() < 0) {
                        throw new IllegalStateException("an impossible total: " + state.total());
                    }
                    return super.decide(state, command);
                }
            };
            CommandHandler<Counter, Add, Added> handler = CommandHandler.builder(strict, store, CODEC)
                    .snapshots(
                            new SnapshotSettings<>(poisoned, new CounterStateCodec(), 1, SnapshotPolicy.everyEvents(3)))
                    .build();

            CommandResult<Counter, Added> result = handler.handle(new Add(ID, 8));

            assertThat(result.state()).isEqualTo(new Counter(36));
            assertThat(result.version()).isEqualTo(8);
            assertThat(storedAmounts()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
            assertThat(poisoned.load(STREAM)).isEmpty();
        }

        @Test
        void a_snapshot_store_that_cannot_save_does_not_fail_the_command() {
            AtomicInteger saves = new AtomicInteger();
            SnapshotStore full = new SnapshotStore() {
                @Override
                public Optional<Snapshot> load(String streamId) {
                    return Optional.empty();
                }

                @Override
                public void save(Snapshot snapshot) {
                    saves.incrementAndGet();
                    throw new IllegalStateException("disk full");
                }

                @Override
                public void discard(Snapshot snapshot) {
                    throw new IllegalStateException("disk full");
                }
            };
            CommandHandler<Counter, Add, Added> handler = handler(full, new CounterStateCodec(), 1, 1);

            CommandResult<Counter, Added> first = handler.handle(new Add(ID, 1));
            CommandResult<Counter, Added> second = handler.handle(new Add(ID, 2));

            assertThat(saves).hasValue(2);
            assertThat(first.version()).isEqualTo(1);
            assertThat(second.state()).isEqualTo(new Counter(3));
            assertThat(storedAmounts()).containsExactly(1L, 2L);
        }
    }
}
