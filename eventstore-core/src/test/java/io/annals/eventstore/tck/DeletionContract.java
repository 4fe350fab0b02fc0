package io.annals.eventstore.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.AppendConditionFailedException;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.StreamDeletedException;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.snapshot.SnapshotStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link EventStore#deleteStream deletion} part of the {@link EventStore} contract: what a
 * deletion removes, the tombstone it writes, the expectations it checks, the streams and event
 * ids it makes unusable, and races on real threads. A store's test extends this class and says
 * how to open a fresh, empty store; every test here then runs against it.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
public abstract class DeletionContract extends StoreContract {

    /** The type of the event a deletion writes. */
    protected static final String TOMBSTONE = "$stream-deleted";

    /**
     * The snapshot store that keeps the snapshots of {@code store}'s streams, whose snapshots a
     * deletion removes; null when the store has none of its own, and the tests of snapshots are
     * then skipped.
     */
    protected SnapshotStore snapshotsOf(EventStore store) {
        return null;
    }

    // ---------------------------------------------------------------- helpers

    private static Query typeQuery(String... types) {
        return Query.of(QueryItem.types(types));
    }

    private static List<UUID> idsOf(List<EventData> events) {
        return events.stream().map(EventData::eventId).toList();
    }

    private static List<RecordedEvent> ofStream(List<RecordedEvent> log, String streamId) {
        return log.stream().filter(e -> e.streamId().equals(streamId)).toList();
    }

    private static List<RecordedEvent> without(List<RecordedEvent> log, String streamId) {
        return log.stream().filter(e -> !e.streamId().equals(streamId)).toList();
    }

    private static void assertStrictlyIncreasingPositions(List<RecordedEvent> events) {
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).position())
                    .as("position of event %d of %d", i, events.size())
                    .isGreaterThan(events.get(i - 1).position());
        }
    }

    /** The tombstone of {@code streamId}, where {@code result} says it landed. */
    private static void assertTombstone(RecordedEvent e, String streamId, AppendResult result) {
        assertThat(e.streamId()).as("stream of the tombstone").isEqualTo(streamId);
        assertThat(e.type()).as("type of the tombstone").isEqualTo(TOMBSTONE);
        assertThat(e.version()).as("version of the tombstone").isEqualTo(result.version());
        assertThat(e.position()).as("position of the tombstone").isEqualTo(result.position());
        assertThat(e.json().replaceAll("\\s", ""))
                .as("payload of the tombstone")
                .isEqualTo("{}");
        assertThat(e.metadata()).as("metadata of the tombstone").isEmpty();
        assertThat(e.tags()).as("tags of the tombstone").isEmpty();
        assertThat(e.eventId()).isNotNull();
    }

    private static void assertStreamDeleted(Throwable thrown, String streamId) {
        assertThat(thrown).isInstanceOfSatisfying(StreamDeletedException.class, e -> {
            assertThat(e.streamId()).isEqualTo(streamId);
            assertThat(e.getMessage()).contains(streamId);
        });
    }

    /** Reading, versioning and appending to {@code streamId} all fail, and write nothing. */
    private static void assertDeleted(EventStore s, String streamId) {
        List<RecordedEvent> log = readAllOf(s);
        assertStreamDeleted(catchThrowable(() -> s.readStream(streamId, 1, 10)), streamId);
        assertStreamDeleted(catchThrowable(() -> s.currentVersion(streamId)), streamId);
        assertStreamDeleted(
                catchThrowable(() -> s.append(streamId, ExpectedVersion.any(), List.of(untagged("Late")))), streamId);
        assertThat(readAllOf(s))
                .as("the log after appends to deleted stream %s", streamId)
                .isEqualTo(log);
    }

    // ---------------------------------------------------------------- what a deletion does

    @Nested
    class Deleting {

        @Test
        void removes_the_stream_from_every_read_and_writes_one_tombstone_at_the_next_version() {
            EventStore s = store();
            s.append("before", ExpectedVersion.noStream(), List.of(tagged("Kept", "product:coffee")));
            List<EventData> doomedEvents = List.of(
                    tagged("ProductCreated", "product:tea", "name:green tea"),
                    tagged("PriceChanged", "product:tea"),
                    untagged("Doomed"));
            s.append("doomed", ExpectedVersion.noStream(), doomedEvents.subList(0, 2));
            s.append("after", ExpectedVersion.noStream(), List.of(tagged("PriceChanged", "product:coffee")));
            s.append("doomed", ExpectedVersion.exactly(2), doomedEvents.subList(2, 3));
            List<RecordedEvent> logBefore = readAllOf(s);
            clock.advance(Duration.ofMinutes(1));

            AppendResult result = s.deleteStream("doomed", ExpectedVersion.any());

            assertThat(result.version()).isEqualTo(4);
            assertThat(result.position()).isGreaterThan(lastPosition(logBefore));
            List<RecordedEvent> log = readAllOf(s);
            assertThat(log).hasSize(3);
            assertThat(log.subList(0, 2)).isEqualTo(without(logBefore, "doomed"));
            RecordedEvent tombstone = log.get(2);
            assertTombstone(tombstone, "doomed", result);
            assertThat(tombstone.recordedAt()).isEqualTo(T0.plus(Duration.ofMinutes(1)));
            assertThat(idsOf(doomedEvents)).doesNotContain(tombstone.eventId());
            assertThat(ids(log)).doesNotContainAnyElementsOf(idsOf(doomedEvents));

            assertThat(s.read(Query.all(), 0, 100)).isEqualTo(log);
            assertThat(s.read(typeQuery(TOMBSTONE), 0, 100)).containsExactly(tombstone);
            assertThat(s.read(tagQuery("product:tea"), 0, 100)).isEmpty();
            assertThat(s.read(tagQuery("name:green tea"), 0, 100)).isEmpty();
            assertThat(s.read(typeQuery("Doomed", "ProductCreated"), 0, 100)).isEmpty();
            assertThat(ids(s.read(typeQuery("PriceChanged"), 0, 100)))
                    .containsExactly(logBefore.get(3).eventId());
            assertDeleted(s, "doomed");
        }

        @Test
        void the_tombstone_comes_after_every_event_stored_before_and_before_every_event_stored_after() {
            EventStore s = store();
            s.append("doomed", ExpectedVersion.noStream(), counted(2));
            s.append("other", ExpectedVersion.noStream(), counted(3));
            s.append(List.of(
                    part("a", ExpectedVersion.any(), untagged("A")), part("b", ExpectedVersion.any(), untagged("B"))));
            long lastBefore = lastPosition(readAllOf(s));

            AppendResult deleted = s.deleteStream("doomed", ExpectedVersion.streamExists());
            AppendResult later = s.append("other", ExpectedVersion.exactly(3), List.of(untagged("Later")));

            assertThat(deleted.position()).isGreaterThan(lastBefore);
            assertThat(later.position()).isGreaterThan(deleted.position());
            List<RecordedEvent> log = readAllOf(s);
            assertStrictlyIncreasingPositions(log);
            assertThat(log)
                    .extracting(RecordedEvent::streamId)
                    .containsExactly("other", "other", "other", "a", "b", "doomed", "other");
            assertTombstone(log.get(5), "doomed", deleted);
        }

        @Test
        void a_reader_of_the_log_sees_the_tombstone_after_its_checkpoint() {
            EventStore s = store();
            s.append("doomed", ExpectedVersion.noStream(), counted(3));
            s.append("kept", ExpectedVersion.noStream(), counted(1));
            long checkpoint = lastPosition(readAllOf(s));
            long middle = readAllOf(s).get(1).position();

            AppendResult deleted = s.deleteStream("doomed", ExpectedVersion.exactly(3));

            assertThat(s.readAll(checkpoint, 10)).singleElement().satisfies(t -> assertTombstone(t, "doomed", deleted));
            assertThat(s.read(Query.all(), checkpoint, 10)).isEqualTo(s.readAll(checkpoint, 10));
            assertThat(s.read(typeQuery(TOMBSTONE), checkpoint, 10)).isEqualTo(s.readAll(checkpoint, 10));
            assertThat(s.readAll(middle, 10))
                    .extracting(RecordedEvent::streamId, RecordedEvent::type)
                    .containsExactly(tuple("kept", "Counted"), tuple("doomed", TOMBSTONE));
            assertThat(s.readAll(0, 1)).extracting(RecordedEvent::streamId).containsExactly("kept");
            assertThat(s.readAll(deleted.position(), 10)).isEmpty();
        }

        @Test
        void read_all_and_the_query_of_all_events_agree_after_deletions_at_every_page() {
            EventStore s = store();
            for (int i = 0; i < 6; i++) {
                s.append("s" + (i % 3), ExpectedVersion.any(), counted(1 + i % 2));
                s.append("gone" + (i % 2), ExpectedVersion.any(), List.of(tagged("Gone", "gone:" + i)));
            }
            s.deleteStream("gone0", ExpectedVersion.any());
            s.append("s1", ExpectedVersion.any(), counted(2));
            s.deleteStream("gone1", ExpectedVersion.exactly(3));
            s.deleteStream("never", ExpectedVersion.noStream());
            List<RecordedEvent> all = readAllOf(s);
            assertThat(all).extracting(RecordedEvent::streamId).contains("gone0", "gone1", "never");
            assertThat(all.stream().filter(e -> e.type().equals(TOMBSTONE))).hasSize(3);
            assertThat(all.stream().filter(e -> e.type().equals("Gone"))).isEmpty();
            assertStrictlyIncreasingPositions(all);

            List<Long> afters = new ArrayList<>(List.of(0L, 1L));
            for (RecordedEvent e : all) {
                afters.add(e.position());
                afters.add(e.position() - 1);
            }
            for (long after : afters) {
                for (int max : new int[] {1, 2, 3, 100}) {
                    assertThat(s.read(Query.all(), after, max))
                            .as("read(all, %d, %d)", after, max)
                            .isEqualTo(s.readAll(after, max));
                }
            }
            assertThat(readAllMatching(s, typeQuery(TOMBSTONE)))
                    .extracting(RecordedEvent::streamId)
                    .containsExactly("gone0", "gone1", "never");
            assertThat(readAllMatching(s, tagQuery("gone:0"))).isEmpty();
        }

        @Test
        void deleting_a_stream_written_by_an_append_across_streams_removes_only_its_part() {
            EventStore s = store();
            EventData a1 = tagged("A", "shared");
            EventData b1 = tagged("B", "shared");
            EventData b2 = tagged("B", "shared");
            EventData c1 = tagged("C", "shared");
            s.append(List.of(
                    part("a", ExpectedVersion.noStream(), a1),
                    part("doomed", ExpectedVersion.noStream(), b1, b2),
                    part("c", ExpectedVersion.noStream(), c1)));
            List<RecordedEvent> before = readAllOf(s);

            AppendResult deleted = s.deleteStream("doomed", ExpectedVersion.exactly(2));

            assertThat(deleted.version()).isEqualTo(3);
            List<RecordedEvent> log = readAllOf(s);
            assertThat(log).hasSize(3);
            assertThat(log.subList(0, 2)).containsExactly(before.get(0), before.get(3));
            assertTombstone(log.get(2), "doomed", deleted);
            assertThat(ids(s.read(tagQuery("shared"), 0, 10))).containsExactly(a1.eventId(), c1.eventId());
            assertThat(s.readStream("a", 1, 10)).containsExactly(before.get(0));
            assertThat(s.readStream("c", 1, 10)).containsExactly(before.get(3));
        }

        @Test
        void the_count_of_events_leaves_the_deleted_ones_out_and_counts_the_tombstone() {
            EventStore s = store();
            s.append("doomed", ExpectedVersion.noStream(), counted(5));
            s.append("kept", ExpectedVersion.noStream(), counted(2));

            s.deleteStream("doomed", ExpectedVersion.any());

            assertThat(s.countEvents()).isEqualTo(readAllOf(s).size()).isEqualTo(3);
        }
    }

    // ---------------------------------------------------------------- after a deletion

    @Nested
    class After_deletion {

        private final List<ExpectedVersion> everyExpectation = List.of(
                ExpectedVersion.any(),
                ExpectedVersion.noStream(),
                ExpectedVersion.streamExists(),
                ExpectedVersion.exactly(0),
                ExpectedVersion.exactly(2),
                ExpectedVersion.exactly(3),
                ExpectedVersion.exactly(4));

        /** "doomed" had 2 events and is deleted (tombstone at version 3); "kept" holds 1 event. */
        private AppendResult deleteTheDoomedStream() {
            store().append("doomed", ExpectedVersion.noStream(), counted(2));
            store().append("kept", ExpectedVersion.noStream(), counted(1));
            return store().deleteStream("doomed", ExpectedVersion.any());
        }

        @Test
        void reading_the_stream_and_its_version_throw_stream_deleted() {
            deleteTheDoomedStream();

            for (long from : new long[] {1, 2, 3, 4, 1000}) {
                assertStreamDeleted(catchThrowable(() -> store().readStream("doomed", from, 10)), "doomed");
            }
            assertStreamDeleted(catchThrowable(() -> store().readStream("doomed", 1, 1)), "doomed");
            assertStreamDeleted(catchThrowable(() -> store().currentVersion("doomed")), "doomed");
        }

        @Test
        void a_one_stream_append_throws_stream_deleted_whatever_its_expectation_and_writes_nothing() {
            deleteTheDoomedStream();
            Held before = held(store(), "kept");

            for (ExpectedVersion expected : everyExpectation) {
                Throwable thrown = catchThrowable(
                        () -> store().append("doomed", expected, List.of(untagged("Late"), untagged("Later"))));
                assertThat(thrown).as("append expecting %s", expected).isInstanceOf(StreamDeletedException.class);
                assertStreamDeleted(thrown, "doomed");
                assertUnchanged(store(), before);
            }
        }

        @Test
        void an_append_across_streams_naming_the_deleted_stream_throws_and_writes_no_part() {
            deleteTheDoomedStream();
            Held before = held(store(), "kept", "new");

            for (ExpectedVersion expected : everyExpectation) {
                List<List<StreamAppend>> calls = List.of(
                        List.of(
                                part("doomed", expected, untagged("Late")),
                                part("kept", ExpectedVersion.any(), untagged("K"))),
                        List.of(
                                part("kept", ExpectedVersion.exactly(1), untagged("K")),
                                part("new", ExpectedVersion.noStream(), untagged("N")),
                                part("doomed", expected, untagged("Late"))));
                for (List<StreamAppend> call : calls) {
                    Throwable thrown = catchThrowable(() -> store().append(call));
                    assertThat(thrown)
                            .as("append across streams expecting %s", expected)
                            .isInstanceOf(StreamDeletedException.class);
                    assertStreamDeleted(thrown, "doomed");
                    assertUnchanged(store(), before);
                }
            }
        }

        @Test
        void an_append_across_streams_with_a_condition_naming_the_deleted_stream_throws_and_writes_no_part() {
            deleteTheDoomedStream();
            Held before = held(store(), "kept", "new");
            long end = lastPosition(readAllOf(store()));

            for (AppendCondition condition : List.of(
                    AppendCondition.noEventsMatch(tagQuery("nothing")),
                    new AppendCondition(Query.all(), end),
                    new AppendCondition(typeQuery(TOMBSTONE), end))) {
                for (ExpectedVersion expected : everyExpectation) {
                    Throwable thrown = catchThrowable(() -> store().append(
                                    List.of(
                                            part("new", ExpectedVersion.noStream(), tagged("N", "x")),
                                            part("doomed", expected, tagged("Late", "x"))),
                                    condition));
                    assertThat(thrown)
                            .as("conditional append expecting %s", expected)
                            .isInstanceOf(StreamDeletedException.class);
                    assertStreamDeleted(thrown, "doomed");
                    assertUnchanged(store(), before);
                }
            }
        }

        @Test
        void the_exception_is_an_event_store_exception_that_names_the_stream() {
            StreamDeletedException e = new StreamDeletedException("product-42");

            assertThat(e).isInstanceOf(EventStoreException.class);
            assertThat(e.streamId()).isEqualTo("product-42");
            assertThat(e.getMessage()).contains("product-42");
        }

        @Test
        void a_condition_on_the_tombstone_type_or_on_every_event_sees_the_deletion() {
            store().append("doomed", ExpectedVersion.noStream(), counted(2));
            long seen = lastPosition(readAllOf(store()));
            AppendResult deleted = store().deleteStream("doomed", ExpectedVersion.any());
            Held before = held(store(), "decision");

            for (Query query : List.of(typeQuery(TOMBSTONE), Query.all())) {
                assertThatThrownBy(() -> store().append(
                                        List.of(part("decision", ExpectedVersion.any(), untagged("Decided"))),
                                        new AppendCondition(query, seen)))
                        .isInstanceOfSatisfying(
                                AppendConditionFailedException.class,
                                e -> assertThat(e.conflictingPosition()).isEqualTo(deleted.position()));
                assertUnchanged(store(), before);
            }
            List<AppendResult> ok = store().append(
                            List.of(part("decision", ExpectedVersion.any(), untagged("Decided"))),
                            new AppendCondition(typeQuery(TOMBSTONE), deleted.position()));
            assertThat(ok.get(0).position()).isGreaterThan(deleted.position());
        }

        @Test
        void the_deleted_events_no_longer_fail_a_condition() {
            store().append(
                            "product-1",
                            ExpectedVersion.noStream(),
                            List.of(tagged("ProductCreated", "name:green tea")));
            Query nameTaken = tagQuery("name:green tea");
            assertThatThrownBy(() -> store().append(
                                    List.of(part(
                                            "product-2",
                                            ExpectedVersion.noStream(),
                                            tagged("ProductCreated", "name:green tea"))),
                                    AppendCondition.noEventsMatch(nameTaken)))
                    .isInstanceOf(AppendConditionFailedException.class);

            store().deleteStream("product-1", ExpectedVersion.exactly(1));

            assertThat(store().read(nameTaken, 0, 10)).isEmpty();
            List<AppendResult> claimed = store().append(
                            List.of(part(
                                    "product-2",
                                    ExpectedVersion.noStream(),
                                    tagged("ProductCreated", "name:green tea"))),
                            AppendCondition.noEventsMatch(nameTaken));
            assertThat(claimed).extracting(AppendResult::version).containsExactly(1L);
            assertThat(store().read(nameTaken, 0, 10))
                    .extracting(RecordedEvent::streamId)
                    .containsExactly("product-2");
        }

        @Test
        void other_streams_keep_their_versions_positions_and_contents_and_go_on() {
            EventStore s = store();
            for (int i = 0; i < 4; i++) {
                s.append("a", ExpectedVersion.any(), List.of(tagged("A", "t:" + i)));
                s.append("doomed", ExpectedVersion.any(), List.of(tagged("D", "t:" + i)));
                s.append(List.of(
                        part("b", ExpectedVersion.any(), tagged("B", "t:" + i)),
                        part("c", ExpectedVersion.any(), untagged("C"), untagged("C"))));
            }
            List<RecordedEvent> a = s.readStream("a", 1, 100);
            List<RecordedEvent> b = s.readStream("b", 1, 100);
            List<RecordedEvent> c = s.readStream("c", 1, 100);
            List<RecordedEvent> kept = without(readAllOf(s), "doomed");

            s.deleteStream("doomed", ExpectedVersion.exactly(4));

            assertThat(s.readStream("a", 1, 100)).isEqualTo(a);
            assertThat(s.readStream("b", 1, 100)).isEqualTo(b);
            assertThat(s.readStream("c", 1, 100)).isEqualTo(c);
            assertThat(s.currentVersion("a")).isEqualTo(4);
            assertThat(s.currentVersion("b")).isEqualTo(4);
            assertThat(s.currentVersion("c")).isEqualTo(8);
            assertThat(without(readAllOf(s), "doomed")).isEqualTo(kept);
            assertThat(s.read(tagQuery("t:2"), 0, 10))
                    .extracting(RecordedEvent::streamId)
                    .containsExactly("a", "b");

            assertThat(s.append("a", ExpectedVersion.exactly(4), List.of(untagged("A")))
                            .version())
                    .isEqualTo(5);
            assertThat(s.append(List.of(
                            part("b", ExpectedVersion.exactly(4), untagged("B")),
                            part("c", ExpectedVersion.exactly(8), untagged("C")))))
                    .extracting(AppendResult::version)
                    .containsExactly(5L, 9L);
        }

        @Test
        void stream_ids_are_compared_exactly_and_wildcards_are_plain_text() {
            EventStore s = store();
            List<String> others = List.of("Order-1", "order-1 ", "order-10", "order-", "a%b", "axb", "a_c", "abc");
            for (String id : others) {
                s.append(id, ExpectedVersion.noStream(), counted(1));
            }
            s.append("order-1", ExpectedVersion.noStream(), counted(2));
            s.append("a%", ExpectedVersion.noStream(), counted(1));
            s.append("a_", ExpectedVersion.noStream(), counted(1));
            List<RecordedEvent> kept = readAllOf(s).stream()
                    .filter(e -> others.contains(e.streamId()))
                    .toList();

            s.deleteStream("order-1", ExpectedVersion.any());
            s.deleteStream("a%", ExpectedVersion.any());
            s.deleteStream("a_", ExpectedVersion.any());

            for (String id : others) {
                assertThat(s.currentVersion(id)).as("version of %s", id).isEqualTo(1);
            }
            assertThat(readAllOf(s).stream()
                            .filter(e -> !e.type().equals(TOMBSTONE))
                            .toList())
                    .isEqualTo(kept);
            assertDeleted(s, "order-1");
            assertDeleted(s, "a%");
            assertDeleted(s, "a_");
        }
    }

    // ---------------------------------------------------------------- expected versions

    @Nested
    class Expected_version {

        @Test
        void any_deletes_an_existing_stream() {
            store().append("s", ExpectedVersion.noStream(), counted(3));

            AppendResult r = store().deleteStream("s", ExpectedVersion.any());

            assertThat(r.version()).isEqualTo(4);
            assertThat(readAllOf(store())).singleElement().satisfies(t -> assertTombstone(t, "s", r));
            assertDeleted(store(), "s");
        }

        @Test
        void stream_exists_deletes_an_existing_stream() {
            store().append("s", ExpectedVersion.noStream(), counted(1));

            AppendResult r = store().deleteStream("s", ExpectedVersion.streamExists());

            assertThat(r.version()).isEqualTo(2);
            assertThat(readAllOf(store())).singleElement().satisfies(t -> assertTombstone(t, "s", r));
            assertDeleted(store(), "s");
        }

        @Test
        void exactly_the_current_version_deletes() {
            store().append("s", ExpectedVersion.noStream(), counted(2));
            store().append("s", ExpectedVersion.exactly(2), counted(3));

            AppendResult r = store().deleteStream("s", ExpectedVersion.exactly(5));

            assertThat(r.version()).isEqualTo(6);
            assertThat(readAllOf(store())).singleElement().satisfies(t -> assertTombstone(t, "s", r));
            assertDeleted(store(), "s");
        }

        @Test
        void exactly_another_version_fails_and_deletes_nothing() {
            store().append("s", ExpectedVersion.noStream(), counted(3));
            store().append("other", ExpectedVersion.noStream(), counted(1));
            List<RecordedEvent> stream = store().readStream("s", 1, 10);
            Held before = held(store(), "s", "other");

            for (long wrong : new long[] {1, 2, 4, 5, 1000}) {
                ExpectedVersion expected = ExpectedVersion.exactly(wrong);
                assertThatThrownBy(() -> store().deleteStream("s", expected))
                        .isInstanceOfSatisfying(WrongExpectedVersionException.class, e -> {
                            assertThat(e.streamId()).isEqualTo("s");
                            assertThat(e.expected()).isEqualTo(expected);
                            assertThat(e.actual()).isEqualTo(3);
                        });
                assertUnchanged(store(), before);
                assertThat(store().readStream("s", 1, 10)).isEqualTo(stream);
            }
            assertThat(store().append("s", ExpectedVersion.exactly(3), counted(1))
                            .version())
                    .isEqualTo(4);
            assertThat(store().deleteStream("s", ExpectedVersion.exactly(4)).version())
                    .isEqualTo(5);
        }

        @Test
        void no_stream_fails_on_an_existing_stream_and_deletes_nothing() {
            store().append("s", ExpectedVersion.noStream(), counted(2));
            Held before = held(store(), "s");

            for (ExpectedVersion expected : List.of(ExpectedVersion.noStream(), ExpectedVersion.exactly(0))) {
                assertThatThrownBy(() -> store().deleteStream("s", expected))
                        .isInstanceOfSatisfying(WrongExpectedVersionException.class, e -> {
                            assertThat(e.streamId()).isEqualTo("s");
                            assertThat(e.actual()).isEqualTo(2);
                        });
                assertUnchanged(store(), before);
            }
            assertThat(store().readStream("s", 1, 10)).hasSize(2);
        }

        @Test
        void a_stream_that_never_existed_is_deleted_at_version_1_with_any_no_stream_or_exactly_0() {
            store().append("other", ExpectedVersion.noStream(), counted(2));
            Map<String, ExpectedVersion> cases = new LinkedHashMap<>();
            cases.put("never-any", ExpectedVersion.any());
            cases.put("never-no-stream", ExpectedVersion.noStream());
            cases.put("never-exactly-0", ExpectedVersion.exactly(0));

            for (Map.Entry<String, ExpectedVersion> c : cases.entrySet()) {
                long end = lastPosition(readAllOf(store()));

                AppendResult r = store().deleteStream(c.getKey(), c.getValue());

                assertThat(r.version())
                        .as("tombstone version deleting %s", c.getKey())
                        .isEqualTo(1);
                assertThat(r.position()).isGreaterThan(end);
                assertThat(store().readAll(end, 10)).singleElement().satisfies(t -> assertTombstone(t, c.getKey(), r));
                assertDeleted(store(), c.getKey());
            }
            assertThat(readAllMatching(store(), typeQuery(TOMBSTONE)))
                    .extracting(RecordedEvent::streamId)
                    .containsExactlyElementsOf(cases.keySet());
            assertThat(store().readStream("other", 1, 10)).hasSize(2);
        }

        @Test
        void a_stream_deleted_before_it_existed_can_never_be_used() {
            store().deleteStream("reserved", ExpectedVersion.noStream());
            Held before = held(store(), "other");

            for (ExpectedVersion expected : List.of(
                    ExpectedVersion.noStream(),
                    ExpectedVersion.any(),
                    ExpectedVersion.exactly(0),
                    ExpectedVersion.exactly(1))) {
                assertStreamDeleted(catchThrowable(() -> store().append("reserved", expected, counted(1))), "reserved");
                assertStreamDeleted(
                        catchThrowable(() -> store().append(List.of(
                                part("other", ExpectedVersion.any(), untagged("O")),
                                part("reserved", expected, untagged("R"))))),
                        "reserved");
                assertUnchanged(store(), before);
            }
            assertDeleted(store(), "reserved");
        }

        @Test
        void stream_exists_or_exactly_a_positive_version_fails_on_a_stream_that_never_existed_and_writes_nothing() {
            store().append("other", ExpectedVersion.noStream(), counted(1));
            Held before = held(store(), "never", "other");

            for (ExpectedVersion expected :
                    List.of(ExpectedVersion.streamExists(), ExpectedVersion.exactly(1), ExpectedVersion.exactly(7))) {
                assertThatThrownBy(() -> store().deleteStream("never", expected))
                        .isInstanceOfSatisfying(WrongExpectedVersionException.class, e -> {
                            assertThat(e.streamId()).isEqualTo("never");
                            assertThat(e.expected()).isEqualTo(expected);
                            assertThat(e.actual()).isZero();
                            assertThat(e.getMessage()).contains("never");
                        });
                assertUnchanged(store(), before);
            }
            assertThat(store().append("never", ExpectedVersion.noStream(), counted(2))
                            .version())
                    .as("the stream is still free")
                    .isEqualTo(2);
        }
    }

    // ---------------------------------------------------------------- deleting twice

    @Nested
    class Deleting_twice {

        @Test
        void with_any_returns_the_tombstone_result_and_writes_nothing() {
            store().append("s", ExpectedVersion.noStream(), counted(3));
            AppendResult first = store().deleteStream("s", ExpectedVersion.any());
            store().append("later", ExpectedVersion.any(), counted(2));
            List<RecordedEvent> log = readAllOf(store());

            AppendResult again = store().deleteStream("s", ExpectedVersion.any());
            AppendResult thrice = store().deleteStream("s", ExpectedVersion.any());

            assertThat(again).isEqualTo(first).isEqualTo(new AppendResult(4, first.position()));
            assertThat(thrice).isEqualTo(first);
            assertThat(readAllOf(store())).isEqualTo(log);
            assertThat(log.stream().filter(e -> e.type().equals(TOMBSTONE))).hasSize(1);
        }

        @Test
        void with_any_other_expectation_throws_stream_deleted_and_writes_nothing() {
            store().append("s", ExpectedVersion.noStream(), counted(3));
            store().deleteStream("s", ExpectedVersion.exactly(3));
            List<RecordedEvent> log = readAllOf(store());

            for (ExpectedVersion expected : List.of(
                    ExpectedVersion.noStream(),
                    ExpectedVersion.streamExists(),
                    ExpectedVersion.exactly(0),
                    ExpectedVersion.exactly(3),
                    ExpectedVersion.exactly(4),
                    ExpectedVersion.exactly(99))) {
                Throwable thrown = catchThrowable(() -> store().deleteStream("s", expected));
                assertThat(thrown)
                        .as("deleting again expecting %s", expected)
                        .isInstanceOf(StreamDeletedException.class);
                assertStreamDeleted(thrown, "s");
                assertThat(readAllOf(store())).isEqualTo(log);
            }
        }

        @Test
        void a_stream_deleted_before_it_existed_deleted_again_with_any_returns_version_1() {
            AppendResult first = store().deleteStream("never", ExpectedVersion.any());
            store().append("other", ExpectedVersion.any(), counted(1));

            assertThat(store().deleteStream("never", ExpectedVersion.any())).isEqualTo(first);
            assertThat(first.version()).isEqualTo(1);
            assertStreamDeleted(
                    catchThrowable(() -> store().deleteStream("never", ExpectedVersion.noStream())), "never");
            assertThat(readAllOf(store())).hasSize(2);
        }
    }

    // ---------------------------------------------------------------- ids of deleted events

    @Nested
    class Reserved_ids {

        @Test
        void an_id_of_a_deleted_event_cannot_be_appended_to_another_stream() {
            EventData e1 = tagged("Created", "x");
            EventData e2 = untagged("Changed");
            store().append("doomed", ExpectedVersion.noStream(), List.of(e1, e2));
            store().deleteStream("doomed", ExpectedVersion.any());
            store().append("existing", ExpectedVersion.noStream(), counted(1));
            Held before = held(store(), "existing", "fresh");

            List<Runnable> attempts = List.of(
                    () -> store().append("fresh", ExpectedVersion.noStream(), List.of(e1)),
                    () -> store().append("fresh", ExpectedVersion.any(), List.of(e1, e2)),
                    () -> store().append("fresh", ExpectedVersion.any(), List.of(untagged("New"), e2)),
                    () -> store().append("existing", ExpectedVersion.exactly(1), List.of(e2)),
                    () -> store().append("existing", ExpectedVersion.any(), List.of(e1)),
                    () -> store().append(List.of(part("fresh", ExpectedVersion.noStream(), e1))),
                    () -> store().append(List.of(
                            part("existing", ExpectedVersion.any(), untagged("New")),
                            part("fresh", ExpectedVersion.any(), e2))),
                    () -> store().append(
                                    List.of(part("fresh", ExpectedVersion.any(), e1, e2)),
                                    AppendCondition.noEventsMatch(tagQuery("nothing"))));
            for (int i = 0; i < attempts.size(); i++) {
                Runnable attempt = attempts.get(i);
                assertThat(catchThrowable(attempt::run))
                        .as("attempt %d", i)
                        .isInstanceOf(EventStoreException.class)
                        .isNotInstanceOf(WrongExpectedVersionException.class)
                        .isNotInstanceOf(AppendConditionFailedException.class);
                assertUnchanged(store(), before);
            }
            assertThat(ids(readAllOf(store()))).doesNotContain(e1.eventId(), e2.eventId());
        }

        @Test
        void repeating_the_append_of_deleted_events_fails_and_stores_nothing() {
            List<EventData> events = List.of(untagged("A"), untagged("B"));
            store().append("doomed", ExpectedVersion.noStream(), events);
            store().deleteStream("doomed", ExpectedVersion.any());
            List<RecordedEvent> log = readAllOf(store());

            for (ExpectedVersion expected : List.of(ExpectedVersion.noStream(), ExpectedVersion.any())) {
                assertThat(catchThrowable(() -> store().append("doomed", expected, events)))
                        .isInstanceOf(EventStoreException.class);
                assertThat(catchThrowable(() -> store().append(List.of(new StreamAppend("doomed", expected, events)))))
                        .isInstanceOf(EventStoreException.class);
                assertThat(readAllOf(store())).isEqualTo(log);
            }
        }

        @Test
        void repeating_a_call_across_streams_whose_part_was_deleted_fails_and_stores_nothing() {
            List<StreamAppend> call = List.of(
                    part("kept", ExpectedVersion.noStream(), untagged("K")),
                    part("doomed", ExpectedVersion.noStream(), untagged("D1"), untagged("D2")));
            store().append(call);
            store().deleteStream("doomed", ExpectedVersion.exactly(2));
            Held before = held(store(), "kept");

            assertThat(catchThrowable(() -> store().append(call))).isInstanceOf(EventStoreException.class);
            assertUnchanged(store(), before);
            assertThat(catchThrowable(() -> store().append(List.of(call.get(1)))))
                    .isInstanceOf(EventStoreException.class);
            assertUnchanged(store(), before);
            assertThat(store().append(List.of(call.get(0))))
                    .as("the part that was not deleted is still a repeat")
                    .hasSize(1);
            assertUnchanged(store(), before);
        }
    }

    // ---------------------------------------------------------------- snapshots

    @Nested
    class Snapshots {

        @Test
        void deleting_a_stream_removes_its_snapshot_and_keeps_those_of_other_streams() {
            SnapshotStore snapshots = snapshotsOf(store());
            assumeTrue(snapshots != null, "this store keeps no snapshots of its own");
            store().append("doomed", ExpectedVersion.noStream(), counted(3));
            store().append("kept", ExpectedVersion.noStream(), counted(2));
            RecordedEvent doomedLast = store().readStream("doomed", 3, 1).get(0);
            RecordedEvent keptLast = store().readStream("kept", 2, 1).get(0);
            snapshots.save(new Snapshot("doomed", 3, doomedLast.eventId(), 1, "{\"n\":3}", T0));
            snapshots.save(new Snapshot("kept", 2, keptLast.eventId(), 1, "{\"n\":2}", T0));
            assertThat(snapshots.load("doomed")).isPresent();

            store().deleteStream("doomed", ExpectedVersion.any());

            assertThat(snapshots.load("doomed")).isEmpty();
            assertThat(snapshots.load("kept")).hasValueSatisfying(k -> {
                assertThat(k.version()).isEqualTo(2);
                assertThat(k.lastEventId()).isEqualTo(keptLast.eventId());
            });
        }

        @Test
        void a_snapshot_saved_after_the_deletion_is_not_kept() {
            SnapshotStore snapshots = snapshotsOf(store());
            assumeTrue(snapshots != null, "this store keeps no snapshots of its own");
            store().append("doomed", ExpectedVersion.noStream(), counted(2));
            RecordedEvent last = store().readStream("doomed", 2, 1).get(0);
            store().deleteStream("doomed", ExpectedVersion.any());

            // a repository that loaded the stream before the deletion saves its state after it
            snapshots.save(new Snapshot("doomed", 2, last.eventId(), 1, "{\"personal\":\"data\"}", T0));

            assertThat(snapshots.load("doomed")).isEmpty();
        }
    }

    // ---------------------------------------------------------------- bad input

    @Nested
    class Bad_input {

        @Test
        void null_arguments_are_refused() {
            store().append("s", ExpectedVersion.noStream(), counted(1));
            List<RecordedEvent> log = readAllOf(store());

            assertThatThrownBy(() -> store().deleteStream(null, ExpectedVersion.any()))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> store().deleteStream("s", null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> store().deleteStream("never", null)).isInstanceOf(NullPointerException.class);
            assertThat(readAllOf(store())).isEqualTo(log);
            assertThat(store().currentVersion("s")).isEqualTo(1);
            assertThat(store().currentVersion("never")).isZero();
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "   ", "tab\there", "new\nline", "nul\u0000"})
        void a_blank_stream_id_or_one_with_control_characters_is_refused(String streamId) {
            for (ExpectedVersion expected : List.of(ExpectedVersion.any(), ExpectedVersion.noStream())) {
                assertThatThrownBy(() -> store().deleteStream(streamId, expected))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("stream id");
            }
            assertThat(readAllOf(store())).isEmpty();
        }

        @Test
        void a_stream_id_over_200_characters_is_refused_and_200_is_fine() {
            String ok = "s".repeat(200);
            String tooLong = "s".repeat(201);

            assertThatThrownBy(() -> store().deleteStream(tooLong, ExpectedVersion.any()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at most 200 characters");
            assertThat(readAllOf(store())).isEmpty();
            store().append(ok, ExpectedVersion.noStream(), counted(1));
            AppendResult r = store().deleteStream(ok, ExpectedVersion.exactly(1));
            assertThat(r.version()).isEqualTo(2);
            assertThat(readAllOf(store())).singleElement().satisfies(t -> assertTombstone(t, ok, r));
        }
    }

    // ---------------------------------------------------------------- races

    @Nested
    class Races {

        private enum Outcome {
            STORED,
            DELETED,
            CONFLICT
        }

        /**
         * One append racing a deletion: the event meant for the deleted stream, the event meant for a
         * stream beside it in the same call (null for a one-stream append), and the result when
         * stored.
         */
        private record Attempt(Outcome outcome, EventData event, EventData beside, AppendResult result) {}

        private Attempt appendRacingADelete(EventStore s, String hot, String side, int thread, String tag) {
            EventData e = tagged("Raced", tag);
            EventData beside = thread % 4 >= 2 ? tagged("Beside", tag) : null;
            try {
                switch (thread % 4) {
                    case 0 -> {
                        AppendResult r = s.append(hot, ExpectedVersion.any(), List.of(e));
                        return new Attempt(Outcome.STORED, e, null, r);
                    }
                    case 1 -> {
                        long v = s.currentVersion(hot);
                        AppendResult r = s.append(hot, ExpectedVersion.exactly(v), List.of(e));
                        return new Attempt(Outcome.STORED, e, null, r);
                    }
                    case 2 -> {
                        List<AppendResult> r = s.append(List.of(
                                part(side, ExpectedVersion.any(), beside), part(hot, ExpectedVersion.any(), e)));
                        return new Attempt(Outcome.STORED, e, beside, r.get(1));
                    }
                    default -> {
                        List<AppendResult> r = s.append(
                                List.of(
                                        part(hot, ExpectedVersion.streamExists(), e),
                                        part(side, ExpectedVersion.any(), beside)),
                                AppendCondition.noEventsMatch(tagQuery("never:" + tag)));
                        return new Attempt(Outcome.STORED, e, beside, r.get(0));
                    }
                }
            } catch (StreamDeletedException gone) {
                assertThat(gone.streamId()).isEqualTo(hot);
                return new Attempt(Outcome.DELETED, e, beside, null);
            } catch (WrongExpectedVersionException conflict) {
                assertThat(conflict.streamId()).isEqualTo(hot);
                return new Attempt(Outcome.CONFLICT, e, beside, null);
            }
        }

        @Test
        @Timeout(120)
        void a_delete_racing_appends_to_its_stream_leaves_only_the_tombstone() throws Exception {
            int appenders = 8;
            int rounds = 50;
            int maxAppendsPerThread = 12;
            EventStore s = store();
            ExecutorService pool = Executors.newFixedThreadPool(appenders + 1);
            CyclicBarrier start = new CyclicBarrier(appenders + 1);
            try {
                for (int round = 0; round < rounds; round++) {
                    String hot = "hot-" + round;
                    String tag = "round:" + round;
                    s.append(hot, ExpectedVersion.noStream(), List.of(tagged("Opened", tag), untagged("Filled")));
                    // the deletion waits for a first append of the round, so that appends land both
                    // before and after it; the appenders go on until they meet the deletion
                    CountDownLatch firstStored = new CountDownLatch(1);
                    Future<AppendResult> deletion = pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        firstStored.await(5, TimeUnit.SECONDS);
                        return s.deleteStream(hot, ExpectedVersion.any());
                    });
                    List<Future<List<Attempt>>> appending = new ArrayList<>();
                    for (int t = 0; t < appenders; t++) {
                        int thread = t;
                        String side = "side-" + round + "-" + t;
                        appending.add(pool.submit(() -> {
                            start.await(30, TimeUnit.SECONDS);
                            List<Attempt> mine = new ArrayList<>();
                            for (int k = 0; k < maxAppendsPerThread; k++) {
                                Attempt a = appendRacingADelete(s, hot, side, thread, tag);
                                mine.add(a);
                                if (a.outcome() == Outcome.STORED) {
                                    firstStored.countDown();
                                }
                                if (a.outcome() == Outcome.DELETED) {
                                    break;
                                }
                            }
                            return mine;
                        }));
                    }
                    AppendResult tombstone = deletion.get(60, TimeUnit.SECONDS);
                    Map<Integer, List<Attempt>> byThread = new HashMap<>();
                    for (int t = 0; t < appenders; t++) {
                        byThread.put(t, appending.get(t).get(60, TimeUnit.SECONDS));
                    }

                    List<Attempt> attempts =
                            byThread.values().stream().flatMap(List::stream).toList();
                    List<Attempt> stored = attempts.stream()
                            .filter(a -> a.outcome() == Outcome.STORED)
                            .toList();
                    List<RecordedEvent> log = readAllOf(s);
                    assertStrictlyIncreasingPositions(log);
                    assertThat(ofStream(log, hot))
                            .as("events of %s in the log", hot)
                            .singleElement()
                            .satisfies(t -> assertTombstone(t, hot, tombstone));
                    assertThat(log.stream()
                                    .filter(e -> e.streamId().equals(hot) && e.position() > tombstone.position()))
                            .as("events of %s after its tombstone", hot)
                            .isEmpty();
                    assertThat(tombstone.version())
                            .as("tombstone of round %d after 2 events and %d stored appends", round, stored.size())
                            .isEqualTo(2 + stored.size() + 1);
                    assertThat(stored.stream().map(a -> a.result().version()))
                            .as("versions of the stored appends of round %d", round)
                            .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(3, 2 + stored.size())
                                    .boxed()
                                    .toList());
                    Set<UUID> logIds = new HashSet<>(ids(log));
                    for (Attempt a : attempts) {
                        assertThat(logIds)
                                .as("event of an append to %s (%s)", hot, a.outcome())
                                .doesNotContain(a.event().eventId());
                        if (a.outcome() == Outcome.STORED) {
                            assertThat(a.result().position())
                                    .as("a stored append lands before the tombstone")
                                    .isLessThan(tombstone.position());
                        }
                        if (a.beside() != null) {
                            if (a.outcome() == Outcome.STORED) {
                                assertThat(logIds)
                                        .as("the other part of a stored append")
                                        .contains(a.beside().eventId());
                            } else {
                                assertThat(logIds)
                                        .as("the other part of a refused append")
                                        .doesNotContain(a.beside().eventId());
                            }
                        }
                    }
                    for (int t = 2; t < appenders; t += 4) {
                        for (int u : new int[] {t, t + 1}) {
                            String side = "side-" + round + "-" + u;
                            List<UUID> besides = byThread.get(u).stream()
                                    .filter(a -> a.outcome() == Outcome.STORED)
                                    .map(a -> a.beside().eventId())
                                    .toList();
                            List<RecordedEvent> sideLog = ofStream(log, side);
                            assertThat(ids(sideLog)).as("stream %s", side).containsExactlyElementsOf(besides);
                            if (!besides.isEmpty()) {
                                assertThat(ids(s.readStream(side, 1, 100))).containsExactlyElementsOf(besides);
                                assertThat(s.currentVersion(side)).isEqualTo(besides.size());
                            }
                        }
                    }
                    assertThat(ids(readAllMatching(s, tagQuery(tag))))
                            .as("events tagged %s", tag)
                            .containsExactlyInAnyOrderElementsOf(stored.stream()
                                    .filter(a -> a.beside() != null)
                                    .map(a -> a.beside().eventId())
                                    .toList());
                    assertDeleted(s, hot);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(readAllMatching(s, typeQuery(TOMBSTONE))).hasSize(rounds);
        }

        @Test
        @Timeout(120)
        void two_deletes_with_any_return_the_same_tombstone() throws Exception {
            int rounds = 50;
            EventStore s = store();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            CyclicBarrier start = new CyclicBarrier(2);
            try {
                for (int round = 0; round < rounds; round++) {
                    String doomed = "twice-" + round;
                    int existing = round % 3; // 0: a stream that never existed
                    if (existing > 0) {
                        s.append(doomed, ExpectedVersion.noStream(), counted(existing));
                    }
                    s.append("bystander", ExpectedVersion.any(), counted(1));
                    List<Future<AppendResult>> deletes = new ArrayList<>();
                    for (int t = 0; t < 2; t++) {
                        deletes.add(pool.submit(() -> {
                            start.await(30, TimeUnit.SECONDS);
                            return s.deleteStream(doomed, ExpectedVersion.any());
                        }));
                    }
                    AppendResult first = deletes.get(0).get(60, TimeUnit.SECONDS);
                    AppendResult second = deletes.get(1).get(60, TimeUnit.SECONDS);

                    assertThat(second).as("results of round %d", round).isEqualTo(first);
                    assertThat(first.version()).isEqualTo(existing + 1);
                    assertThat(ofStream(readAllOf(s), doomed))
                            .as("events of %s", doomed)
                            .singleElement()
                            .satisfies(t -> assertTombstone(t, doomed, first));
                    assertThat(s.deleteStream(doomed, ExpectedVersion.any())).isEqualTo(first);
                }
            } finally {
                pool.shutdownNow();
            }
            List<RecordedEvent> log = readAllOf(s);
            assertThat(log.stream().filter(e -> e.type().equals(TOMBSTONE))).hasSize(rounds);
            assertThat(ofStream(log, "bystander")).hasSize(rounds);
            assertThat(s.currentVersion("bystander")).isEqualTo(rounds);
        }

        @Test
        @Timeout(120)
        void deletes_in_parallel_with_appends_to_other_streams_leave_those_streams_complete() throws Exception {
            int deleters = 4;
            int writers = 4;
            int streamsPerDeleter = 12;
            int appendsPerWriter = 30;
            EventStore s = store();
            Map<String, List<UUID>> acknowledged = new ConcurrentHashMap<>();
            for (int k = 0; k < streamsPerDeleter; k++) {
                for (int d = 0; d < deleters; d++) {
                    s.append(
                            "doomed-" + d + "-" + k,
                            ExpectedVersion.noStream(),
                            List.of(tagged("Doomed", "doomed"), untagged("Doomed")));
                }
                for (int w = 0; w < writers; w++) {
                    EventData e = tagged("Kept", "kept:" + w);
                    s.append("kept-" + w, ExpectedVersion.any(), List.of(e));
                    acknowledged
                            .computeIfAbsent("kept-" + w, x -> new CopyOnWriteArrayList<>())
                            .add(e.eventId());
                }
            }
            List<RecordedEvent> keptBefore = readAllOf(s).stream()
                    .filter(e -> !e.streamId().startsWith("doomed-"))
                    .toList();
            ExecutorService pool = Executors.newFixedThreadPool(deleters + writers);
            CyclicBarrier start = new CyclicBarrier(deleters + writers);
            Map<String, AppendResult> tombstones = new ConcurrentHashMap<>();
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int d = 0; d < deleters; d++) {
                    int deleter = d;
                    done.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        for (int k = 0; k < streamsPerDeleter; k++) {
                            String id = "doomed-" + deleter + "-" + k;
                            tombstones.put(id, s.deleteStream(id, ExpectedVersion.exactly(2)));
                        }
                        return null;
                    }));
                }
                for (int w = 0; w < writers; w++) {
                    String kept = "kept-" + w;
                    String pair = "pair-" + w;
                    String tag = "kept:" + w;
                    done.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        for (int i = 0; i < appendsPerWriter; i++) {
                            if (i % 3 == 2) {
                                EventData e = tagged("Kept", tag);
                                EventData p = tagged("Paired", tag);
                                s.append(List.of(
                                        part(kept, ExpectedVersion.any(), e), part(pair, ExpectedVersion.any(), p)));
                                acknowledged
                                        .computeIfAbsent(kept, x -> new CopyOnWriteArrayList<>())
                                        .add(e.eventId());
                                acknowledged
                                        .computeIfAbsent(pair, x -> new CopyOnWriteArrayList<>())
                                        .add(p.eventId());
                            } else {
                                List<EventData> batch = new ArrayList<>();
                                for (int j = 0; j <= i % 2; j++) {
                                    batch.add(tagged("Kept", tag));
                                }
                                long v = s.currentVersion(kept);
                                s.append(kept, ExpectedVersion.exactly(v), batch);
                                acknowledged
                                        .computeIfAbsent(kept, x -> new CopyOnWriteArrayList<>())
                                        .addAll(idsOf(batch));
                            }
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

            List<RecordedEvent> log = readAllOf(s);
            assertStrictlyIncreasingPositions(log);
            assertThat(tombstones).hasSize(deleters * streamsPerDeleter);
            for (Map.Entry<String, AppendResult> t : tombstones.entrySet()) {
                assertThat(t.getValue().version()).isEqualTo(3);
                assertThat(ofStream(log, t.getKey()))
                        .as("events of %s", t.getKey())
                        .singleElement()
                        .satisfies(e -> assertTombstone(e, t.getKey(), t.getValue()));
            }
            assertThat(readAllMatching(s, tagQuery("doomed"))).isEmpty();
            assertThat(readAllMatching(s, typeQuery(TOMBSTONE))).hasSize(tombstones.size());
            int total = 0;
            for (Map.Entry<String, List<UUID>> stream : acknowledged.entrySet()) {
                String id = stream.getKey();
                List<UUID> expected = stream.getValue();
                total += expected.size();
                List<RecordedEvent> read = s.readStream(id, 1, 10_000);
                assertThat(ids(read)).as("stream %s", id).containsExactlyElementsOf(expected);
                assertThat(read)
                        .extracting(RecordedEvent::version)
                        .containsExactlyElementsOf(LongStream.rangeClosed(1, expected.size())
                                .boxed()
                                .toList());
                assertThat(s.currentVersion(id)).isEqualTo(expected.size());
                assertThat(ofStream(log, id)).isEqualTo(read);
            }
            for (int w = 0; w < writers; w++) {
                List<UUID> taggedBy = new ArrayList<>(acknowledged.get("kept-" + w));
                taggedBy.addAll(acknowledged.get("pair-" + w));
                assertThat(ids(readAllMatching(s, tagQuery("kept:" + w))))
                        .containsExactlyInAnyOrderElementsOf(taggedBy);
            }
            assertThat(log).containsAll(keptBefore);
            assertThat(log).hasSize(total + tombstones.size());
            for (String id : List.of("doomed-0-0", "doomed-3-" + (streamsPerDeleter - 1))) {
                assertDeleted(s, id);
            }
        }
    }
}
