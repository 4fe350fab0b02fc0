package io.annals.eventstore.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.annals.eventstore.AppendConditionFailedException;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.DuplicateEventIdException;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamDeletedException;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.snapshot.SnapshotStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link EventStore#truncateStream truncation} part of the {@link EventStore} contract: what
 * a truncation removes and keeps, the pinned snapshot it stores, the ids it keeps reserved, what
 * it refuses (writing nothing), and races on real threads. A store's test extends this class and
 * says how to open a fresh, empty store.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
public abstract class TruncationContract extends StoreContract {

    /**
     * The snapshot store that keeps the cache snapshots of {@code store}'s streams in the same
     * database; null when the store has none of its own, and those tests are then skipped.
     */
    protected SnapshotStore snapshotsOf(EventStore store) {
        return null;
    }

    // ---------------------------------------------------------------- helpers

    /** A pinned snapshot for a cut of {@code streamId} before {@code beforeVersion}, as stored. */
    protected static Snapshot pin(EventStore s, String streamId, long beforeVersion) {
        RecordedEvent last = s.readStream(streamId, beforeVersion - 1, 1).get(0);
        assertThat(last.version()).isEqualTo(beforeVersion - 1);
        return new Snapshot(streamId, last.version(), last.eventId(), 1, "{\"upTo\":" + last.version() + "}", T0);
    }

    private static List<RecordedEvent> ofStream(List<RecordedEvent> log, String streamId) {
        return log.stream().filter(e -> e.streamId().equals(streamId)).toList();
    }

    private static List<RecordedEvent> readStreamOf(EventStore s, String streamId) {
        return s.readStream(streamId, 1, 100_000);
    }

    private static void assertVersions(List<RecordedEvent> events, long from, long to) {
        assertThat(events)
                .extracting(RecordedEvent::version)
                .containsExactlyElementsOf(
                        LongStream.rangeClosed(from, to).boxed().toList());
    }

    /** A stream "long" of {@code n} events tagged "long", between events of a stream "other". */
    private List<EventData> longStream(int n) {
        List<EventData> events = new ArrayList<>();
        store().append("other", ExpectedVersion.noStream(), List.of(tagged("Other", "other")));
        for (int i = 0; i < n; i++) {
            EventData e = tagged("Long", "long", "long:" + i);
            events.add(e);
            store().append("long", ExpectedVersion.exactly(i), List.of(e));
            if (i % 2 == 0) {
                store().append("other", ExpectedVersion.any(), List.of(tagged("Other", "other")));
            }
        }
        return events;
    }

    // ---------------------------------------------------------------- what a truncation does

    @Nested
    class Truncating {

        @Test
        void removes_the_events_before_the_cut_from_every_read_and_writes_nothing_to_the_log() {
            List<EventData> events = longStream(6);
            List<RecordedEvent> logBefore = readAllOf(store());
            long countBefore = store().countEvents();
            Snapshot pinned = pin(store(), "long", 4);

            long removed = store().truncateStream("long", 4, pinned);

            assertThat(removed).isEqualTo(3);
            Set<UUID> gone = Set.of(
                    events.get(0).eventId(),
                    events.get(1).eventId(),
                    events.get(2).eventId());
            List<RecordedEvent> expectedLog =
                    logBefore.stream().filter(e -> !gone.contains(e.eventId())).toList();
            assertThat(readAllOf(store())).as("the log").isEqualTo(expectedLog);
            assertThat(store().read(Query.all(), 0, 1000)).isEqualTo(expectedLog);
            assertThat(ids(readAllMatching(store(), tagQuery("long"))))
                    .containsExactly(
                            events.get(3).eventId(),
                            events.get(4).eventId(),
                            events.get(5).eventId());
            assertThat(readAllMatching(store(), tagQuery("long:0"))).isEmpty();
            assertThat(readAllMatching(store(), tagQuery("long:2"))).isEmpty();
            assertThat(readAllMatching(store(), tagQuery("long:3"))).hasSize(1);
            assertThat(store().countEvents()).isEqualTo(countBefore - 3);
            assertThat(ofStream(readAllOf(store()), "other")).isEqualTo(ofStream(logBefore, "other"));
        }

        @Test
        void reading_the_stream_from_below_the_cut_returns_the_events_from_the_cut_on() {
            longStream(6);
            List<RecordedEvent> streamBefore = readStreamOf(store(), "long");
            store().truncateStream("long", 4, pin(store(), "long", 4));

            for (long from : new long[] {1, 2, 3, 4}) {
                assertThat(store().readStream("long", from, 100))
                        .as("readStream from %d", from)
                        .isEqualTo(streamBefore.subList(3, 6));
            }
            assertThat(store().readStream("long", 1, 1)).isEqualTo(streamBefore.subList(3, 4));
            assertThat(store().readStream("long", 5, 100)).isEqualTo(streamBefore.subList(4, 6));
            assertThat(store().readStream("long", 7, 100)).isEmpty();
            assertThat(store().currentVersion("long")).isEqualTo(6);
        }

        @Test
        void keeps_the_pinned_snapshot_exactly_as_given() {
            longStream(5);
            Snapshot pinned = pin(store(), "long", 3);

            store().truncateStream("long", 3, pinned);

            assertThat(store().pinnedSnapshot("long")).contains(pinned);
            assertThat(store().pinnedSnapshot("other")).isEmpty();
            assertThat(store().pinnedSnapshot("never")).isEmpty();
        }

        @Test
        void appends_go_on_at_the_next_version_and_expectations_see_the_unchanged_version() {
            longStream(5);
            store().truncateStream("long", 5, pin(store(), "long", 5));

            assertThatThrownBy(() -> store().append("long", ExpectedVersion.exactly(1), List.of(untagged("Late"))))
                    .isInstanceOfSatisfying(
                            WrongExpectedVersionException.class,
                            e -> assertThat(e.actual()).isEqualTo(5));
            assertThatThrownBy(() -> store().append("long", ExpectedVersion.noStream(), List.of(untagged("Late"))))
                    .isInstanceOf(WrongExpectedVersionException.class);
            AppendResult one = store().append("long", ExpectedVersion.exactly(5), List.of(untagged("Next")));
            AppendResult two = store().append("long", ExpectedVersion.streamExists(), counted(2));
            AppendResult three = store().append(List.of(part("long", ExpectedVersion.exactly(8), tagged("T", "long"))))
                    .get(0);

            assertThat(one.version()).isEqualTo(6);
            assertThat(two.version()).isEqualTo(8);
            assertThat(three.version()).isEqualTo(9);
            assertVersions(readStreamOf(store(), "long"), 5, 9);
            assertThat(store().currentVersion("long")).isEqualTo(9);
        }

        @Test
        void the_last_event_can_be_the_first_kept_and_a_later_truncation_goes_further() {
            List<EventData> events = longStream(8);

            assertThat(store().truncateStream("long", 3, pin(store(), "long", 3)))
                    .isEqualTo(2);
            assertThat(store().truncateStream("long", 6, pin(store(), "long", 6)))
                    .isEqualTo(3);
            Snapshot last = pin(store(), "long", 8);
            assertThat(store().truncateStream("long", 8, last)).isEqualTo(2);

            assertThat(ids(readStreamOf(store(), "long")))
                    .containsExactly(events.get(7).eventId());
            assertThat(store().currentVersion("long")).isEqualTo(8);
            assertThat(store().pinnedSnapshot("long")).contains(last);
            assertThat(ofStream(readAllOf(store()), "long")).hasSize(1);
        }

        @Test
        void a_cut_at_or_below_the_current_one_removes_nothing_and_keeps_the_pinned_snapshot() {
            longStream(6);
            Snapshot pinned = pin(store(), "long", 4);
            store().truncateStream("long", 4, pinned);
            Held before = held(store(), "long", "other");

            Snapshot other = new Snapshot("long", 3, UUID.randomUUID(), 2, "{\"another\":true}", T0);
            assertThat(store().truncateStream("long", 4, other)).isZero();
            assertThat(store().truncateStream("long", 4, pinned)).isZero();
            assertThat(store().truncateStream("long", 2, new Snapshot("long", 1, UUID.randomUUID(), 1, "{}", T0)))
                    .isZero();

            assertUnchanged(store(), before);
            assertThat(store().pinnedSnapshot("long")).contains(pinned);
        }

        @Test
        void a_stream_written_across_streams_loses_only_its_own_events() {
            EventData a1 = tagged("A", "shared");
            EventData b1 = tagged("B", "shared");
            EventData a2 = tagged("A", "shared");
            store().append(List.of(
                    part("a", ExpectedVersion.noStream(), a1), part("b", ExpectedVersion.noStream(), b1)));
            store().append("a", ExpectedVersion.exactly(1), List.of(a2));

            store().truncateStream("a", 2, pin(store(), "a", 2));

            assertThat(ids(readAllOf(store()))).containsExactly(b1.eventId(), a2.eventId());
            assertThat(ids(readAllMatching(store(), tagQuery("shared")))).containsExactly(b1.eventId(), a2.eventId());
            assertThat(ids(readStreamOf(store(), "b"))).containsExactly(b1.eventId());
        }

        @Test
        void the_removed_events_no_longer_fail_a_condition() {
            longStream(3);
            store().truncateStream("long", 3, pin(store(), "long", 3));

            List<AppendResult> ok = store().append(
                            List.of(part("decision", ExpectedVersion.noStream(), untagged("Decided"))),
                            new io.annals.eventstore.AppendCondition(tagQuery("long:0", "long"), 0));
            assertThat(ok).hasSize(1);
            assertThatThrownBy(() -> store().append(
                                    List.of(part("decision", ExpectedVersion.any(), untagged("Decided"))),
                                    new io.annals.eventstore.AppendCondition(tagQuery("long:2"), 0)))
                    .isInstanceOf(AppendConditionFailedException.class);
        }
    }

    // ---------------------------------------------------------------- deletion

    @Nested
    class Deletion {

        @Test
        void deleting_a_truncated_stream_removes_what_is_left_and_its_pinned_snapshot() {
            List<EventData> events = longStream(5);
            store().truncateStream("long", 3, pin(store(), "long", 3));

            AppendResult tombstone = store().deleteStream("long", ExpectedVersion.exactly(5));

            assertThat(tombstone.version()).isEqualTo(6);
            assertThat(ofStream(readAllOf(store()), "long"))
                    .singleElement()
                    .satisfies(t -> assertThat(t.type()).isEqualTo(EventStore.STREAM_DELETED));
            assertThat(store().pinnedSnapshot("long")).isEmpty();
            assertThatThrownBy(() -> store().readStream("long", 1, 10)).isInstanceOf(StreamDeletedException.class);
            for (EventData e : events) {
                assertThat(catchThrowable(() -> store().append("fresh", ExpectedVersion.any(), List.of(e))))
                        .as("the id of event %s", e.eventId())
                        .isInstanceOf(DuplicateEventIdException.class);
            }
        }

        @Test
        void truncating_a_deleted_stream_throws_stream_deleted_and_writes_nothing() {
            longStream(4);
            Snapshot pinned = pin(store(), "long", 3);
            store().deleteStream("long", ExpectedVersion.any());
            store().deleteStream("never", ExpectedVersion.noStream());
            Held before = held(store(), "other");

            for (String id : List.of("long", "never")) {
                assertThatThrownBy(() ->
                                store().truncateStream(id, 3, new Snapshot(id, 2, pinned.lastEventId(), 1, "{}", T0)))
                        .isInstanceOfSatisfying(
                                StreamDeletedException.class,
                                e -> assertThat(e.streamId()).isEqualTo(id));
                assertThat(store().pinnedSnapshot(id)).isEmpty();
            }
            assertUnchanged(store(), before);
        }
    }

    // ---------------------------------------------------------------- reserved ids

    @Nested
    class Reserved_ids {

        @Test
        void an_id_of_a_truncated_event_cannot_be_appended_again_anywhere() {
            List<EventData> events = longStream(4);
            store().truncateStream("long", 3, pin(store(), "long", 3));
            Held before = held(store(), "long", "other", "fresh");

            List<Runnable> attempts = List.of(
                    () -> store().append("long", ExpectedVersion.any(), List.of(events.get(0))),
                    () -> store().append("long", ExpectedVersion.exactly(4), List.of(events.get(1))),
                    () -> store().append("fresh", ExpectedVersion.noStream(), List.of(events.get(0))),
                    () -> store().append("other", ExpectedVersion.any(), List.of(untagged("New"), events.get(1))),
                    () -> store().append(List.of(part("fresh", ExpectedVersion.any(), events.get(0)))));
            for (int i = 0; i < attempts.size(); i++) {
                assertThat(catchThrowable(attempts.get(i)::run))
                        .as("attempt %d", i)
                        .isInstanceOf(DuplicateEventIdException.class);
                assertUnchanged(store(), before);
            }
        }

        @Test
        void repeating_an_append_whose_events_were_truncated_fails_and_stores_nothing() {
            List<EventData> first = List.of(untagged("A"), untagged("B"));
            List<EventData> second = List.of(untagged("C"), untagged("D"));
            store().append("s", ExpectedVersion.noStream(), first);
            store().append("s", ExpectedVersion.exactly(2), second);
            store().truncateStream("s", 4, pin(store(), "s", 4));
            Held before = held(store(), "s");

            for (ExpectedVersion expected : List.of(ExpectedVersion.noStream(), ExpectedVersion.any())) {
                assertThat(catchThrowable(() -> store().append("s", expected, first)))
                        .isInstanceOf(EventStoreException.class);
                assertUnchanged(store(), before);
            }
            // half of it removed, half kept: neither a repeat nor new
            assertThat(catchThrowable(() -> store().append("s", ExpectedVersion.exactly(2), second)))
                    .isInstanceOf(EventStoreException.class)
                    .isNotInstanceOf(WrongExpectedVersionException.class);
            assertUnchanged(store(), before);
        }
    }

    // ---------------------------------------------------------------- snapshots

    @Nested
    class Cache_snapshots {

        @Test
        void a_cache_save_or_discard_never_replaces_or_removes_the_pinned_snapshot() {
            SnapshotStore snapshots = snapshotsOf(store());
            assumeTrue(snapshots != null, "this store keeps no snapshots of its own");
            longStream(6);
            Snapshot pinned = pin(store(), "long", 3);
            store().truncateStream("long", 3, pinned);
            RecordedEvent at5 = store().readStream("long", 5, 1).get(0);
            Snapshot cached = new Snapshot("long", 5, at5.eventId(), 1, "{\"upTo\":5}", T0);

            snapshots.save(cached);
            snapshots.save(new Snapshot("long", 2, pinned.lastEventId(), 1, "{\"older\":true}", T0));
            snapshots.discard(pinned);

            assertThat(store().pinnedSnapshot("long")).contains(pinned);
            assertThat(snapshots.load("long")).contains(cached);
            snapshots.discard(cached);
            assertThat(snapshots.load("long")).isEmpty();
            assertThat(store().pinnedSnapshot("long")).contains(pinned);
        }

        @Test
        void a_truncation_drops_the_cache_snapshots_below_its_cut_and_keeps_those_above() {
            SnapshotStore snapshots = snapshotsOf(store());
            assumeTrue(snapshots != null, "this store keeps no snapshots of its own");
            longStream(6);
            RecordedEvent at2 = store().readStream("long", 2, 1).get(0);
            snapshots.save(new Snapshot("long", 2, at2.eventId(), 1, "{\"upTo\":2}", T0));
            store().truncateStream("long", 4, pin(store(), "long", 4));
            assertThat(snapshots.load("long")).isEmpty();

            RecordedEvent at5 = store().readStream("long", 5, 1).get(0);
            Snapshot above = new Snapshot("long", 5, at5.eventId(), 1, "{\"upTo\":5}", T0);
            snapshots.save(above);
            store().truncateStream("long", 5, pin(store(), "long", 5));
            assertThat(snapshots.load("long")).contains(above);
        }

        @Test
        void deleting_the_stream_removes_both_snapshots() {
            SnapshotStore snapshots = snapshotsOf(store());
            assumeTrue(snapshots != null, "this store keeps no snapshots of its own");
            longStream(4);
            store().truncateStream("long", 3, pin(store(), "long", 3));
            RecordedEvent at4 = store().readStream("long", 4, 1).get(0);
            snapshots.save(new Snapshot("long", 4, at4.eventId(), 1, "{\"upTo\":4}", T0));

            store().deleteStream("long", ExpectedVersion.any());

            assertThat(snapshots.load("long")).isEmpty();
            assertThat(store().pinnedSnapshot("long")).isEmpty();
        }
    }

    // ---------------------------------------------------------------- bad input

    @Nested
    class Bad_input {

        private void assertRefused(Runnable call, String... messageParts) {
            Held before = held(store(), "long", "other");
            Optional<Snapshot> pinned = store().pinnedSnapshot("long");
            assertThatThrownBy(call::run)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll(messageParts);
            assertUnchanged(store(), before);
            assertThat(store().pinnedSnapshot("long")).isEqualTo(pinned);
            assertThat(store().pinnedSnapshot("never")).isEmpty();
        }

        @Test
        void a_stream_that_does_not_exist_is_refused() {
            longStream(3);
            assertRefused(
                    () -> store().truncateStream("never", 2, new Snapshot("never", 1, UUID.randomUUID(), 1, "{}", T0)),
                    "never",
                    "does not exist");
            assertRefused(
                    () -> store().truncateStream("LONG", 2, new Snapshot("LONG", 1, UUID.randomUUID(), 1, "{}", T0)),
                    "LONG",
                    "does not exist");
        }

        @Test
        void a_cut_below_2_or_past_the_last_event_is_refused() {
            longStream(4);
            Snapshot at1 = pin(store(), "long", 2);
            for (long cut : new long[] {-1, 0, 1}) {
                assertRefused(
                        () -> store().truncateStream(
                                        "long", cut, new Snapshot("long", 1, at1.lastEventId(), 1, "{}", T0)),
                        "long",
                        "at least 2");
            }
            Snapshot at4 = pin(store(), "long", 5);
            assertRefused(() -> store().truncateStream("long", 5, at4), "long", "ends at version 4");
            assertRefused(
                    () -> store().truncateStream("long", 9, new Snapshot("long", 8, at4.lastEventId(), 1, "{}", T0)),
                    "ends at version 4");
        }

        @Test
        void a_pinned_snapshot_of_another_stream_version_or_history_is_refused() {
            longStream(5);
            Snapshot right = pin(store(), "long", 4);
            assertRefused(
                    () -> store().truncateStream(
                                    "long", 4, new Snapshot("other", 3, right.lastEventId(), 1, right.state(), T0)),
                    "another stream",
                    "other");
            assertRefused(
                    () -> store().truncateStream(
                                    "long", 4, new Snapshot("long", 2, right.lastEventId(), 1, right.state(), T0)),
                    "version 3",
                    "not 2");
            UUID stranger = UUID.randomUUID();
            assertRefused(
                    () -> store().truncateStream("long", 4, new Snapshot("long", 3, stranger, 1, right.state(), T0)),
                    stranger.toString(),
                    right.lastEventId().toString());
            Snapshot at2 = pin(store(), "long", 3);
            assertRefused(
                    () -> store().truncateStream("long", 4, new Snapshot("long", 3, at2.lastEventId(), 1, "{}", T0)),
                    "version 3");
            assertThat(store().truncateStream("long", 4, right)).isEqualTo(3);
        }

        @Test
        void null_arguments_and_bad_stream_ids_are_refused() {
            longStream(3);
            Snapshot pinned = pin(store(), "long", 2);
            Held before = held(store(), "long", "other");

            assertThatThrownBy(() -> store().truncateStream(null, 2, pinned)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> store().truncateStream("long", 2, null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> store().pinnedSnapshot(null)).isInstanceOf(NullPointerException.class);
            for (String bad : List.of("", "  ", "tab\there", "s".repeat(201))) {
                assertThatThrownBy(() -> store().truncateStream(
                                        bad,
                                        2,
                                        new Snapshot(bad.isEmpty() ? "x" : bad, 1, UUID.randomUUID(), 1, "{}", T0)))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("stream id");
            }
            assertUnchanged(store(), before);
            assertThat(store().pinnedSnapshot("long")).isEmpty();
        }
    }

    // ---------------------------------------------------------------- races

    @Nested
    class Races {

        @Test
        @Timeout(120)
        void truncations_racing_appends_to_the_same_stream_lose_no_appended_event() throws Exception {
            int appenders = 4;
            int appendsPerThread = 25;
            EventStore s = store();
            List<EventData> initial = counted(10);
            s.append("hot", ExpectedVersion.noStream(), initial);
            ConcurrentLinkedQueue<EventData> acknowledged = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> removedCounts = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(appenders + 1);
            CyclicBarrier start = new CyclicBarrier(appenders + 1);
            try {
                List<Future<?>> done = new ArrayList<>();
                done.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    long lastCut = 1;
                    for (long cut = 2; cut <= 40; cut += 2) {
                        long at = Math.min(cut, s.currentVersion("hot"));
                        if (at > lastCut) {
                            removedCounts.add(s.truncateStream("hot", at, pin(s, "hot", at)));
                            lastCut = at;
                        }
                    }
                    return null;
                }));
                for (int t = 0; t < appenders; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        for (int i = 0; i < appendsPerThread; i++) {
                            EventData e = tagged("Hot", "hot:" + thread);
                            if (thread % 2 == 0) {
                                s.append("hot", ExpectedVersion.any(), List.of(e));
                            } else {
                                s.append(List.of(part("hot", ExpectedVersion.streamExists(), e)));
                            }
                            acknowledged.add(e);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(100, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }

            long total = initial.size() + (long) appenders * appendsPerThread;
            assertThat(s.currentVersion("hot")).isEqualTo(total);
            Snapshot pinned = s.pinnedSnapshot("hot").orElseThrow();
            long cut = pinned.version() + 1;
            assertThat(removedCounts.stream().mapToLong(Long::longValue).sum())
                    .as("events removed by all truncations")
                    .isEqualTo(cut - 1);
            List<RecordedEvent> stream = readStreamOf(s, "hot");
            assertVersions(stream, cut, total);
            assertThat(ofStream(readAllOf(s), "hot")).isEqualTo(stream);
            Set<UUID> kept = new HashSet<>(ids(stream));
            for (EventData e : acknowledged) {
                if (!kept.contains(e.eventId())) {
                    assertThat(catchThrowable(() -> s.append("probe", ExpectedVersion.any(), List.of(e))))
                            .as("an acknowledged event that is not kept was truncated: its id is reserved")
                            .isInstanceOf(DuplicateEventIdException.class);
                }
            }
            assertThat(s.currentVersion("probe")).isZero();
        }

        @Test
        @Timeout(120)
        void a_truncation_racing_a_deletion_leaves_the_stream_deleted_without_a_pinned_snapshot() throws Exception {
            int rounds = 40;
            EventStore s = store();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            CyclicBarrier start = new CyclicBarrier(2);
            int truncatedFirst = 0;
            try {
                for (int round = 0; round < rounds; round++) {
                    String id = "raced-" + round;
                    List<EventData> events = counted(6);
                    s.append(id, ExpectedVersion.noStream(), events);
                    Snapshot pinned = pin(s, id, 4);
                    Future<Long> truncation = pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        try {
                            return s.truncateStream(id, 4, pinned);
                        } catch (StreamDeletedException e) {
                            return -1L;
                        }
                    });
                    Future<AppendResult> deletion = pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        return s.deleteStream(id, ExpectedVersion.exactly(6));
                    });
                    long removed = truncation.get(60, TimeUnit.SECONDS);
                    AppendResult tombstone = deletion.get(60, TimeUnit.SECONDS);

                    assertThat(removed).as("round %d", round).isIn(-1L, 3L);
                    truncatedFirst += removed == 3 ? 1 : 0;
                    assertThat(tombstone.version()).isEqualTo(7);
                    assertThat(s.pinnedSnapshot(id)).as("round %d", round).isEmpty();
                    assertThat(ofStream(readAllOf(s), id))
                            .singleElement()
                            .satisfies(t -> assertThat(t.type()).isEqualTo(EventStore.STREAM_DELETED));
                    for (EventData e : events) {
                        assertThat(catchThrowable(() -> s.append("probe", ExpectedVersion.any(), List.of(e))))
                                .isInstanceOf(DuplicateEventIdException.class);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(s.currentVersion("probe")).isZero();
            assertThat(truncatedFirst).isBetween(0, rounds);
        }

        @Test
        @Timeout(120)
        void two_truncations_racing_leave_the_further_cut_and_its_pinned_snapshot() throws Exception {
            int rounds = 40;
            EventStore s = store();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            CyclicBarrier start = new CyclicBarrier(2);
            try {
                for (int round = 0; round < rounds; round++) {
                    String id = "twice-" + round;
                    s.append(id, ExpectedVersion.noStream(), counted(8));
                    Snapshot near = pin(s, id, 3);
                    Snapshot far = pin(s, id, 6);
                    Future<Long> first = pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        return s.truncateStream(id, 3, near);
                    });
                    Future<Long> second = pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        return s.truncateStream(id, 6, far);
                    });
                    long a = first.get(60, TimeUnit.SECONDS);
                    long b = second.get(60, TimeUnit.SECONDS);

                    assertThat(a + b)
                            .as("round %d: removed %d and %d", round, a, b)
                            .isEqualTo(5);
                    assertThat(s.pinnedSnapshot(id)).contains(far);
                    assertVersions(readStreamOf(s, id), 6, 8);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
