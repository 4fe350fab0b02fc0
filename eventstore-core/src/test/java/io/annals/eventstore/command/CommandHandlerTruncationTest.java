package io.annals.eventstore.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.Correlation;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StateCodec;
import io.annals.eventstore.StreamDeletedException;
import io.annals.eventstore.command.CommandHandlerTest.Add;
import io.annals.eventstore.command.CommandHandlerTest.Added;
import io.annals.eventstore.command.CommandHandlerTest.AddedCodec;
import io.annals.eventstore.command.CommandHandlerTest.Counter;
import io.annals.eventstore.command.CommandHandlerTest.CounterAggregate;
import io.annals.eventstore.command.CommandHandlerTest.CounterStateCodec;
import io.annals.eventstore.snapshot.InMemorySnapshotStore;
import io.annals.eventstore.snapshot.PinnedSnapshotException;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import io.annals.eventstore.snapshot.SnapshotUpcaster;
import io.annals.eventstore.tck.ForwardingEventStore;
import io.annals.eventstore.tck.TestClock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link CommandHandler#truncate}: the state pinned at the cut, loading a truncated stream (the
 * same state as before, from the pinned snapshot), a state schema change with and without an
 * upcaster, and the refusals.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CommandHandlerTruncationTest {

    private static final String ID = "c1";
    private static final String STREAM = "counter-c1";
    private static final AddedCodec CODEC = new AddedCodec();
    private static final Instant T0 = Instant.parse("2026-03-04T05:06:07Z");

    private final InMemoryEventStore store = new InMemoryEventStore();
    private final InMemorySnapshotStore snapshots = new InMemorySnapshotStore();
    private final CounterAggregate counter = new CounterAggregate();

    // The handler logs the cache snapshots it discards; keep that out of the build output.
    private final Logger handlerLog = Logger.getLogger(CommandHandler.class.getName());
    private Level levelBefore;

    @BeforeEach
    void quietHandlerLog() {
        levelBefore = handlerLog.getLevel();
        handlerLog.setLevel(Level.OFF);
    }

    @AfterEach
    void restoreHandlerLog() {
        handlerLog.setLevel(levelBefore);
    }

    private CommandHandler<Counter, Add, Added> handler(EventStore on, SnapshotSettings<Counter> settings) {
        return CommandHandler.builder(counter, on, CODEC)
                .snapshots(settings)
                .clock(new TestClock(T0))
                .build();
    }

    private SnapshotSettings<Counter> settings(int every) {
        return new SnapshotSettings<>(snapshots, new CounterStateCodec(), 1, SnapshotPolicy.everyEvents(every));
    }

    private CommandHandler<Counter, Add, Added> handler() {
        return handler(store, settings(1000));
    }

    /** Adds 1, 2, ... n: a total of n(n+1)/2 at version n. */
    private void events(CommandHandler<Counter, Add, Added> handler, int n) {
        for (int i = 1; i <= n; i++) {
            handler.handle(new Add(ID, i));
        }
    }

    /** The counter's state in a schema version 2: the field is renamed. */
    static final class SumCodec implements StateCodec<Counter> {
        private static final Pattern JSON = Pattern.compile("\\{\"sum\":(-?\\d+)}");

        @Override
        public String serialize(Counter state) {
            return "{\"sum\":" + state.total() + "}";
        }

        @Override
        public Counter deserialize(String text) {
            Matcher m = JSON.matcher(text);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a version 2 counter: " + text);
            }
            return new Counter(Long.parseLong(m.group(1)));
        }
    }

    private SnapshotSettings<Counter> version2(SnapshotUpcaster upcaster) {
        return new SnapshotSettings<>(snapshots, new SumCodec(), 2, SnapshotPolicy.everyEvents(1000))
                .withUpcaster(upcaster);
    }

    @Nested
    class Truncating {

        @Test
        void pins_the_folded_state_at_the_cut_and_loads_the_same_state_afterwards() {
            CommandHandler<Counter, Add, Added> handler = handler();
            events(handler, 10);
            AggregateState<Counter> before = handler.load(ID);
            RecordedEvent at5 = store.readStream(STREAM, 5, 1).get(0);

            long removed = handler.truncate(ID, 6);

            assertThat(removed).isEqualTo(5);
            assertThat(store.pinnedSnapshot(STREAM))
                    .contains(new Snapshot(STREAM, 5, at5.eventId(), 1, "{\"total\":15}", T0));
            assertThat(store.readStream(STREAM, 1, 100))
                    .extracting(RecordedEvent::version)
                    .containsExactly(6L, 7L, 8L, 9L, 10L);
            assertThat(handler.load(ID)).isEqualTo(before);
            assertThat(handler(store, settings(1000)).load(ID))
                    .as("a new handler")
                    .isEqualTo(new AggregateState<>(STREAM, new Counter(55), 10));
        }

        @Test
        void commands_go_on_from_the_pinned_state() {
            CommandHandler<Counter, Add, Added> handler = handler();
            events(handler, 4);
            handler.truncate(ID, 4);

            CommandResult<Counter, Added> result = handler.handle(new Add(ID, 100));

            assertThat(result.state()).isEqualTo(new Counter(110));
            assertThat(result.version()).isEqualTo(5);
            assertThat(handler.load(ID).state()).isEqualTo(new Counter(110));
        }

        @Test
        void truncating_further_folds_from_the_pinned_snapshot_and_a_lower_cut_does_nothing() {
            CommandHandler<Counter, Add, Added> handler = handler();
            events(handler, 10);
            handler.truncate(ID, 4);

            assertThat(handler.truncate(ID, 8)).isEqualTo(4);
            assertThat(store.pinnedSnapshot(STREAM).orElseThrow().state()).isEqualTo("{\"total\":28}");
            assertThat(handler.truncate(ID, 5)).isZero();
            assertThat(handler.truncate(ID, 8)).isZero();
            assertThat(store.pinnedSnapshot(STREAM).orElseThrow().version()).isEqualTo(7);
            assertThat(handler.load(ID)).isEqualTo(new AggregateState<>(STREAM, new Counter(55), 10));
        }

        @Test
        void cache_snapshots_below_and_above_the_cut_never_change_the_state() {
            CommandHandler<Counter, Add, Added> handler = handler(store, settings(3));
            events(handler, 10); // cache snapshot at version 9
            handler.truncate(ID, 10);
            assertThat(handler.load(ID)).isEqualTo(new AggregateState<>(STREAM, new Counter(55), 10));

            events(handler, 3); // 11..13, cache snapshot at 12
            assertThat(snapshots.load(STREAM).orElseThrow().version()).isEqualTo(12);
            assertThat(handler.load(ID)).isEqualTo(new AggregateState<>(STREAM, new Counter(61), 13));
            snapshots.discard(snapshots.load(STREAM).orElseThrow());
            assertThat(handler.load(ID)).isEqualTo(new AggregateState<>(STREAM, new Counter(61), 13));
            assertThat(store.pinnedSnapshot(STREAM).orElseThrow().version()).isEqualTo(9);
        }

        @Test
        void a_repeated_command_after_a_truncation_returns_the_original_state() {
            CommandHandler<Counter, Add, Added> handler = CommandHandler.builder(counter, store, CODEC)
                    .snapshots(settings(1000))
                    .eventIdsFromCommandId(true)
                    .build();
            events(handler, 5);
            Map<String, String> command = Map.of(Correlation.COMMAND_ID, "cmd-1");
            CommandResult<Counter, Added> first = handler.handle(new Add(ID, 50), command);
            handler.handle(new Add(ID, 1));
            handler.truncate(ID, 5);

            CommandResult<Counter, Added> again = handler.handle(new Add(ID, 50), command);

            assertThat(again.repeated()).isTrue();
            assertThat(again.state()).isEqualTo(first.state()).isEqualTo(new Counter(65));
            assertThat(again.version()).isEqualTo(6);
            assertThat(store.currentVersion(STREAM)).isEqualTo(7);
        }

        @Test
        @Timeout(60)
        void truncations_racing_commands_lose_no_event_and_keep_the_state() throws Exception {
            CommandHandler<Counter, Add, Added> writer = handler();
            CommandHandler<Counter, Add, Added> archiver = handler(store, settings(1000));
            events(writer, 3);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            CyclicBarrier start = new CyclicBarrier(2);
            try {
                Future<?> commands = pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    for (int i = 0; i < 200; i++) {
                        writer.handle(new Add(ID, 1));
                    }
                    return null;
                });
                Future<?> truncations = pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    for (long cut = 2; cut < 200; cut += 7) {
                        long current = store.currentVersion(STREAM);
                        archiver.truncate(ID, Math.min(cut, current));
                    }
                    return null;
                });
                commands.get(50, TimeUnit.SECONDS);
                truncations.get(50, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            assertThat(handler().load(ID)).isEqualTo(new AggregateState<>(STREAM, new Counter(206), 203));
            assertThat(store.pinnedSnapshot(STREAM)).isPresent();
        }
    }

    @Nested
    class Refusals {

        @Test
        void a_handler_without_snapshot_settings_refuses_to_truncate_and_writes_nothing() {
            CommandHandler<Counter, Add, Added> plain =
                    CommandHandler.builder(counter, store, CODEC).build();
            events(plain, 4);

            assertThatThrownBy(() -> plain.truncate(ID, 3))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContainingAll(STREAM, "snapshot settings");
            assertThat(store.readStream(STREAM, 1, 10)).hasSize(4);
            assertThat(store.pinnedSnapshot(STREAM)).isEmpty();
        }

        @Test
        void a_cut_out_of_range_an_unknown_or_a_deleted_stream_is_refused() {
            CommandHandler<Counter, Add, Added> handler = handler();
            events(handler, 4);

            assertThatThrownBy(() -> handler.truncate(ID, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll(STREAM, "at least 2");
            assertThatThrownBy(() -> handler.truncate(ID, 5))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll(STREAM, "ends at version 4");
            assertThatThrownBy(() -> handler.truncate("nobody", 2))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll("counter-nobody", "does not exist");
            assertThatThrownBy(() -> handler.truncate(null, 2)).isInstanceOf(NullPointerException.class);
            assertThat(store.readStream(STREAM, 1, 10)).hasSize(4);
            store.deleteStream(STREAM, ExpectedVersion.any());
            assertThatThrownBy(() -> handler.truncate(ID, 3)).isInstanceOf(StreamDeletedException.class);
        }

        @Test
        void a_codec_that_cannot_read_back_its_state_pins_nothing() {
            StateCodec<Counter> writeOnly = new StateCodec<>() {
                @Override
                public String serialize(Counter state) {
                    return "{\"total\":" + state.total() + "}";
                }

                @Override
                public Counter deserialize(String text) {
                    throw new IllegalArgumentException("cannot read " + text);
                }
            };
            CommandHandler<Counter, Add, Added> handler =
                    handler(store, new SnapshotSettings<>(snapshots, writeOnly, 1, SnapshotPolicy.everyEvents(1000)));
            events(handler, 4);

            assertThatThrownBy(() -> handler.truncate(ID, 3))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContainingAll(STREAM, "cannot read back");
            assertThat(store.readStream(STREAM, 1, 10)).hasSize(4);
            assertThat(store.pinnedSnapshot(STREAM)).isEmpty();
        }
    }

    @Nested
    class Loading_a_truncated_stream {

        @Test
        void after_a_schema_change_without_an_upcaster_fails_naming_the_stream_and_versions() {
            events(handler(), 6);
            handler().truncate(ID, 4);
            CommandHandler<Counter, Add, Added> v2 = handler(store, version2(SnapshotUpcaster.none()));

            assertThatThrownBy(() -> v2.load(ID))
                    .isInstanceOfSatisfying(PinnedSnapshotException.class, e -> {
                        assertThat(e.streamId()).isEqualTo(STREAM);
                        assertThat(e.version()).isEqualTo(3);
                        assertThat(e.schemaVersion()).isEqualTo(1);
                        assertThat(e.expectedSchemaVersion()).isEqualTo(2);
                        assertThat(e.getMessage())
                                .contains(STREAM, "version 3", "schema version 1", "schema version 2", "upcaster");
                    })
                    .isInstanceOf(EventStoreException.class);
            assertThatThrownBy(() -> v2.handle(new Add(ID, 1))).isInstanceOf(PinnedSnapshotException.class);
            assertThat(store.currentVersion(STREAM)).isEqualTo(6);
        }

        @Test
        void after_a_schema_change_with_an_upcaster_gives_the_same_state() {
            events(handler(), 6);
            handler().truncate(ID, 4);
            CommandHandler<Counter, Add, Added> v2 = handler(
                    store,
                    version2((version, state) ->
                            version == 1 ? Optional.of(state.replace("\"total\"", "\"sum\"")) : Optional.empty()));

            assertThat(v2.load(ID)).isEqualTo(new AggregateState<>(STREAM, new Counter(21), 6));
            assertThat(v2.truncate(ID, 6)).isEqualTo(2);
            assertThat(store.pinnedSnapshot(STREAM).orElseThrow())
                    .extracting(Snapshot::schemaVersion, Snapshot::state)
                    .containsExactly(2, "{\"sum\":15}");
            assertThat(v2.load(ID)).isEqualTo(new AggregateState<>(STREAM, new Counter(21), 6));
        }

        @Test
        void an_upcaster_or_codec_that_fails_on_the_pinned_snapshot_fails_the_load() {
            events(handler(), 6);
            handler().truncate(ID, 4);
            CommandHandler<Counter, Add, Added> throwing = handler(store, version2((version, state) -> {
                throw new IllegalStateException("no such field");
            }));
            CommandHandler<Counter, Add, Added> wrongText =
                    handler(store, version2((version, state) -> Optional.of("{\"nope\":1}")));

            assertThatThrownBy(() -> throwing.load(ID))
                    .isInstanceOf(PinnedSnapshotException.class)
                    .hasMessageContaining("upcaster failed")
                    .hasRootCauseMessage("no such field");
            assertThatThrownBy(() -> wrongText.load(ID))
                    .isInstanceOf(PinnedSnapshotException.class)
                    .hasMessageContaining("codec cannot read it");
        }

        @Test
        void a_cache_snapshot_of_an_older_schema_version_is_upcast_too() {
            CommandHandler<Counter, Add, Added> v1 = handler(store, settings(3));
            events(v1, 4); // cache snapshot at version 3, schema version 1
            CommandHandler<Counter, Add, Added> v2 = handler(
                    store,
                    new SnapshotSettings<>(snapshots, new SumCodec(), 2, SnapshotPolicy.everyEvents(3))
                            .withUpcaster((version, state) -> Optional.of("{\"sum\":1000}")));

            // the (deliberately wrong) upcast state shows that the cache snapshot was used
            assertThat(v2.load(ID).state()).isEqualTo(new Counter(1004));
        }

        @Test
        void a_handler_without_snapshot_settings_fails_rather_than_fold_from_the_first_event_left() {
            events(handler(), 6);
            handler().truncate(ID, 4);
            CommandHandler<Counter, Add, Added> plain =
                    CommandHandler.builder(counter, store, CODEC).build();

            assertThatThrownBy(() -> plain.load(ID))
                    .isInstanceOf(PinnedSnapshotException.class)
                    .hasMessageContainingAll(STREAM, "no snapshot settings");
        }

        @Test
        void a_store_that_hides_the_pinned_snapshot_fails_the_load_rather_than_give_a_wrong_state() {
            events(handler(), 6);
            handler().truncate(ID, 4);
            EventStore forgetful = new ForwardingEventStore(store) {
                @Override
                public Optional<Snapshot> pinnedSnapshot(String streamId) {
                    return Optional.empty();
                }
            };

            assertThatThrownBy(() -> handler(forgetful, settings(1000)).load(ID))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContainingAll(STREAM, "does not begin at version 1", "pinned snapshot");
        }
    }
}
