package io.annals.eventstore.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.WrongExpectedVersionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract every {@link EventStore} meets. A store's test extends this class and says how to
 * open a fresh, empty store; every test here then runs against it.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
public abstract class EventStoreContract {

    protected static final Instant T0 = Instant.parse("2026-03-04T05:06:07.123456Z");

    protected final TestClock clock = new TestClock(T0);
    private final List<EventStore> opened = new ArrayList<>();
    private EventStore store;

    /** A new, empty store on this clock and these limits. Closed after each test. */
    protected abstract EventStore newStore(Clock clock, AppendLimits limits);

    /**
     * Asserts two payloads hold the same JSON tree. Stores keep the tree, not necessarily the
     * text; a store that rewrites the text overrides this with a real comparison.
     */
    protected void assertSameJson(String actual, String expected) {
        assertThat(actual).isEqualTo(expected);
    }

    protected synchronized EventStore store() {
        if (store == null) {
            store = open(AppendLimits.defaults());
        }
        return store;
    }

    protected synchronized EventStore open(AppendLimits limits) {
        EventStore s = newStore(clock, limits);
        opened.add(s);
        return s;
    }

    @AfterEach
    synchronized void closeStores() {
        for (EventStore s : opened) {
            s.close();
        }
    }

    protected static EventData event(String type) {
        return EventData.of(type, "{\"n\":1}");
    }

    protected static List<EventData> events(int n) {
        return IntStream.rangeClosed(1, n)
                .mapToObj(i -> EventData.of("Counted", "{\"i\":" + i + "}"))
                .collect(Collectors.toList());
    }

    /** The whole global log, page by page. */
    public static List<RecordedEvent> readAllOf(EventStore s) {
        List<RecordedEvent> all = new ArrayList<>();
        long after = 0;
        while (true) {
            List<RecordedEvent> page = s.readAll(after, 500);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
            after = page.get(page.size() - 1).position();
        }
    }

    private void assertNothingWritten(EventStore s, String streamId) {
        assertThat(s.currentVersion(streamId)).isZero();
        assertThat(s.readAll(0, 10)).isEmpty();
    }

    @Nested
    class Numbering {

        @Test
        void the_first_event_of_a_stream_has_version_1_and_a_positive_position() {
            AppendResult r = store().append("order-1", ExpectedVersion.noStream(), List.of(event("Placed")));

            assertThat(r.version()).isEqualTo(1);
            assertThat(r.position()).isPositive();
            assertThat(store().currentVersion("order-1")).isEqualTo(1);
        }

        @Test
        void a_missing_stream_has_version_0_and_reads_empty() {
            assertThat(store().currentVersion("nobody")).isZero();
            assertThat(store().readStream("nobody", 1, 10)).isEmpty();
        }

        @Test
        void versions_count_per_stream_and_positions_increase_across_streams() {
            AppendResult a1 = store().append("a", ExpectedVersion.any(), events(2));
            AppendResult b1 = store().append("b", ExpectedVersion.any(), events(1));
            AppendResult a2 = store().append("a", ExpectedVersion.any(), events(3));

            assertThat(a1.version()).isEqualTo(2);
            assertThat(b1.version()).isEqualTo(1);
            assertThat(a2.version()).isEqualTo(5);
            assertThat(a1.position()).isLessThan(b1.position());
            assertThat(b1.position()).isLessThan(a2.position());
            List<RecordedEvent> all = readAllOf(store());
            assertThat(all).extracting(RecordedEvent::streamId).containsExactly("a", "a", "b", "a", "a", "a");
            assertThat(all).extracting(RecordedEvent::version).containsExactly(1L, 2L, 1L, 3L, 4L, 5L);
            assertThat(all.get(all.size() - 1).position()).isEqualTo(a2.position());
        }

        @Test
        void a_recorded_event_carries_what_was_appended_and_the_clock_time() {
            EventData e = new EventData(
                    UUID.randomUUID(),
                    "PriceChanged",
                    "{\"sku\":\"tea\",\"price\":3.50,\"tags\":[\"a\",\"b\"],\"x\":null}",
                    Map.of("correlationId", "c-1", "user", "ann"));
            store().append("product-tea", ExpectedVersion.noStream(), List.of(e));

            RecordedEvent r = store().readStream("product-tea", 1, 1).get(0);
            assertThat(r.streamId()).isEqualTo("product-tea");
            assertThat(r.version()).isEqualTo(1);
            assertThat(r.eventId()).isEqualTo(e.eventId());
            assertThat(r.type()).isEqualTo("PriceChanged");
            assertSameJson(r.json(), e.json());
            assertThat(r.metadata()).isEqualTo(e.metadata());
            assertThat(r.recordedAt()).isEqualTo(T0);
        }

        @Test
        void recorded_at_follows_the_injected_clock() {
            store().append("s", ExpectedVersion.any(), events(1));
            clock.advance(Duration.ofHours(1));
            store().append("s", ExpectedVersion.any(), events(1));

            assertThat(store().readStream("s", 1, 10))
                    .extracting(RecordedEvent::recordedAt)
                    .containsExactly(T0, T0.plus(Duration.ofHours(1)));
        }

        @Test
        void numbers_keep_their_full_precision() {
            String json = "{\"big\":123456789012345678901234567890.123456789012345678901234567890,"
                    + "\"small\":1E-30,\"neg\":-0.000000000000000000000000000001}";
            store().append("n", ExpectedVersion.any(), List.of(EventData.of("Numbers", json)));

            assertSameJson(store().readStream("n", 1, 1).get(0).json(), json);
        }

        @Test
        void unicode_survives_the_round_trip() {
            String json = "{\"name\":\"Th\u00e9 \u00e0 la menthe \u2615 \ud83c\udf75\","
                    + "\"escaped\":\"tab\\there \\u00e9\"}";
            String streamId = "produit-th\u00e9-\ud83c\udf75";
            store().append(streamId, ExpectedVersion.any(), List.of(EventData.of("Cr\u00e9\u00e9", json)));

            RecordedEvent r = store().readStream(streamId, 1, 1).get(0);
            assertThat(r.type()).isEqualTo("Cr\u00e9\u00e9");
            assertSameJson(r.json(), json);
        }

        @Test
        void stream_ids_are_compared_exactly() {
            store().append("Order-1", ExpectedVersion.any(), events(1));
            store().append("order-1", ExpectedVersion.any(), events(2));
            store().append("order-1 ", ExpectedVersion.any(), events(3));

            assertThat(store().currentVersion("Order-1")).isEqualTo(1);
            assertThat(store().currentVersion("order-1")).isEqualTo(2);
            assertThat(store().currentVersion("order-1 ")).isEqualTo(3);
        }

        @Test
        void stream_ids_with_sql_wildcards_and_quotes_are_plain_text() {
            store().append("a%", ExpectedVersion.any(), events(1));
            store().append("a_", ExpectedVersion.any(), events(1));
            store().append("'; DROP TABLE events;--", ExpectedVersion.any(), events(2));

            assertThat(store().currentVersion("a%")).isEqualTo(1);
            assertThat(store().currentVersion("ab")).isZero();
            assertThat(store().readStream("a%", 1, 10)).hasSize(1);
            assertThat(store().currentVersion("'; DROP TABLE events;--")).isEqualTo(2);
            assertThat(readAllOf(store())).hasSize(4);
        }
    }

    @Nested
    class Expected_version {

        @Test
        void any_appends_to_a_missing_or_an_existing_stream() {
            assertThat(store().append("s", ExpectedVersion.any(), events(1)).version())
                    .isEqualTo(1);
            assertThat(store().append("s", ExpectedVersion.any(), events(1)).version())
                    .isEqualTo(2);
        }

        @Test
        void no_stream_is_met_by_a_missing_stream() {
            assertThat(store().append("s", ExpectedVersion.noStream(), events(1))
                            .version())
                    .isEqualTo(1);
        }

        @Test
        void no_stream_is_not_met_by_an_existing_stream() {
            store().append("s", ExpectedVersion.any(), events(2));

            Throwable t = catchThrowable(() -> store().append("s", ExpectedVersion.noStream(), events(1)));

            assertWrongVersion(t, "s", ExpectedVersion.noStream(), 2);
            assertThat(store().currentVersion("s")).isEqualTo(2);
        }

        @Test
        void stream_exists_is_met_by_an_existing_stream() {
            store().append("s", ExpectedVersion.any(), events(1));

            assertThat(store().append("s", ExpectedVersion.streamExists(), events(1))
                            .version())
                    .isEqualTo(2);
        }

        @Test
        void stream_exists_is_not_met_by_a_missing_stream() {
            Throwable t = catchThrowable(() -> store().append("s", ExpectedVersion.streamExists(), events(1)));

            assertWrongVersion(t, "s", ExpectedVersion.streamExists(), 0);
            assertNothingWritten(store(), "s");
        }

        @Test
        void exactly_is_met_by_the_current_version() {
            store().append("s", ExpectedVersion.any(), events(3));

            assertThat(store().append("s", ExpectedVersion.exactly(3), events(2))
                            .version())
                    .isEqualTo(5);
        }

        @Test
        void exactly_is_not_met_by_an_older_or_newer_version() {
            store().append("s", ExpectedVersion.any(), events(3));

            assertWrongVersion(
                    catchThrowable(() -> store().append("s", ExpectedVersion.exactly(2), events(1))),
                    "s",
                    ExpectedVersion.exactly(2),
                    3);
            assertWrongVersion(
                    catchThrowable(() -> store().append("s", ExpectedVersion.exactly(4), events(1))),
                    "s",
                    ExpectedVersion.exactly(4),
                    3);
            assertThat(store().currentVersion("s")).isEqualTo(3);
        }

        @Test
        void exactly_0_means_no_stream() {
            assertThat(store().append("s", ExpectedVersion.exactly(0), events(1))
                            .version())
                    .isEqualTo(1);
            assertWrongVersion(
                    catchThrowable(() -> store().append("s", ExpectedVersion.exactly(0), events(1))),
                    "s",
                    ExpectedVersion.exactly(0),
                    1);
        }

        @Test
        void the_conflict_message_names_stream_expected_and_actual() {
            store().append("product-42", ExpectedVersion.any(), events(5));

            assertThatThrownBy(() -> store().append("product-42", ExpectedVersion.exactly(3), events(1)))
                    .hasMessage("Wrong expected version for stream product-42: expected 3, actual 5");
        }

        private void assertWrongVersion(Throwable t, String streamId, ExpectedVersion expected, long actual) {
            assertThat(t).isInstanceOf(WrongExpectedVersionException.class);
            WrongExpectedVersionException w = (WrongExpectedVersionException) t;
            assertThat(w.streamId()).isEqualTo(streamId);
            assertThat(w.expected()).isEqualTo(expected);
            assertThat(w.actual()).isEqualTo(actual);
        }
    }

    @Nested
    class Atomicity {

        @Test
        void an_append_whose_third_event_cannot_be_stored_writes_none_of_them() {
            EventData taken = event("Taken");
            store().append("other", ExpectedVersion.any(), List.of(taken));
            List<EventData> batch = new ArrayList<>(events(2));
            batch.add(taken);
            batch.addAll(events(2));

            assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), batch))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining(taken.eventId().toString());

            assertThat(store().currentVersion("s")).isZero();
            assertThat(readAllOf(store())).hasSize(1);
        }

        @Test
        void all_events_of_an_append_are_stored_together_and_in_order() {
            List<EventData> batch = events(5);
            AppendResult r = store().append("s", ExpectedVersion.noStream(), batch);

            List<RecordedEvent> stored = store().readStream("s", 1, 10);
            assertThat(stored)
                    .extracting(RecordedEvent::eventId)
                    .containsExactlyElementsOf(
                            batch.stream().map(EventData::eventId).toList());
            assertThat(r).isEqualTo(new AppendResult(5, stored.get(4).position()));
            for (int i = 1; i < stored.size(); i++) {
                assertThat(stored.get(i).position())
                        .isGreaterThan(stored.get(i - 1).position());
            }
        }
    }

    @Nested
    class Idempotency {

        @Test
        void repeating_an_exact_append_returns_the_original_result_and_writes_nothing() {
            store().append("s", ExpectedVersion.any(), events(2));
            List<EventData> batch = events(3);
            AppendResult first = store().append("s", ExpectedVersion.exactly(2), batch);
            store().append("s", ExpectedVersion.any(), events(4)); // later writes do not matter

            AppendResult again = store().append("s", ExpectedVersion.exactly(2), batch);

            assertThat(again).isEqualTo(first);
            assertThat(store().currentVersion("s")).isEqualTo(9);
            assertThat(readAllOf(store())).hasSize(9);
        }

        @Test
        void repeating_an_append_with_any_returns_the_original_result() {
            store().append("s", ExpectedVersion.any(), events(1));
            List<EventData> batch = events(2);
            AppendResult first = store().append("s", ExpectedVersion.any(), batch);
            store().append("s", ExpectedVersion.any(), events(1));

            assertThat(store().append("s", ExpectedVersion.any(), batch)).isEqualTo(first);
            assertThat(store().currentVersion("s")).isEqualTo(4);
        }

        @Test
        void repeating_a_no_stream_append_returns_the_original_result() {
            List<EventData> batch = events(2);
            AppendResult first = store().append("s", ExpectedVersion.noStream(), batch);

            assertThat(store().append("s", ExpectedVersion.noStream(), batch)).isEqualTo(first);
            assertThat(store().currentVersion("s")).isEqualTo(2);
        }

        @Test
        void repeating_only_some_of_the_ids_fails_and_writes_nothing() {
            List<EventData> batch = events(3);
            store().append("s", ExpectedVersion.noStream(), batch);
            List<EventData> mixed = List.of(batch.get(0), batch.get(1), event("New"));

            assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), mixed))
                    .isInstanceOf(EventStoreException.class)
                    .isNotInstanceOf(WrongExpectedVersionException.class)
                    .hasMessageContaining("repeats 2 of its 3 event ids");
            assertThat(store().currentVersion("s")).isEqualTo(3);
        }

        @Test
        void ids_stored_in_another_stream_fail() {
            List<EventData> batch = events(2);
            store().append("a", ExpectedVersion.any(), batch);

            assertThatThrownBy(() -> store().append("b", ExpectedVersion.any(), batch))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("already stored in stream a");
            assertThat(store().currentVersion("b")).isZero();
        }

        @Test
        void ids_in_another_order_fail() {
            List<EventData> batch = events(2);
            store().append("s", ExpectedVersion.any(), batch);

            assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), List.of(batch.get(1), batch.get(0))))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("not as the same append");
        }

        @Test
        void ids_stored_where_the_expectation_could_not_have_placed_them_fail() {
            List<EventData> batch = events(2);
            store().append("s", ExpectedVersion.any(), events(1));
            store().append("s", ExpectedVersion.exactly(1), batch);

            assertThatThrownBy(() -> store().append("s", ExpectedVersion.exactly(5), batch))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("could not have placed them");
            assertThatThrownBy(() -> store().append("s", ExpectedVersion.noStream(), batch))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("could not have placed them");
            assertThat(store().currentVersion("s")).isEqualTo(3);
        }

        @Test
        void the_same_id_twice_in_one_append_is_refused() {
            EventData e = event("Twice");

            assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), List.of(e, e)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("appears twice");
            assertNothingWritten(store(), "s");
        }
    }

    @Nested
    class Reading {

        @Test
        void read_stream_starts_at_the_given_version_and_pages() {
            store().append("s", ExpectedVersion.any(), events(10));
            store().append("other", ExpectedVersion.any(), events(3));

            assertThat(store().readStream("s", 1, 4))
                    .extracting(RecordedEvent::version)
                    .containsExactly(1L, 2L, 3L, 4L);
            assertThat(store().readStream("s", 5, 4))
                    .extracting(RecordedEvent::version)
                    .containsExactly(5L, 6L, 7L, 8L);
            assertThat(store().readStream("s", 9, 4))
                    .extracting(RecordedEvent::version)
                    .containsExactly(9L, 10L);
            assertThat(store().readStream("s", 11, 4)).isEmpty();
        }

        @Test
        void read_all_pages_through_the_whole_log_in_position_order() {
            for (int i = 0; i < 7; i++) {
                store().append("s-" + (i % 3), ExpectedVersion.any(), events(3));
            }
            List<RecordedEvent> paged = new ArrayList<>();
            long after = 0;
            int pages = 0;
            for (List<RecordedEvent> page; !(page = store().readAll(after, 4)).isEmpty(); pages++) {
                assertThat(page.size()).isLessThanOrEqualTo(4);
                paged.addAll(page);
                after = page.get(page.size() - 1).position();
            }

            assertThat(paged).hasSize(21);
            assertThat(pages).isEqualTo(6);
            assertThat(paged).extracting(RecordedEvent::position).isSorted().doesNotHaveDuplicates();
            assertThat(store().readAll(after, 4)).isEmpty();
            assertThat(store().readAll(paged.get(9).position(), 3)).containsExactlyElementsOf(paged.subList(10, 13));
        }

        @Test
        void each_event_keeps_its_own_metadata_and_tags_whatever_its_neighbours_carry() {
            Map<String, String> a = Map.of("source", "a");
            Map<String, String> b = Map.of("source", "b", "user", "ann");
            List<EventData> appended = List.of(
                    EventData.of("E", "{}", a),
                    EventData.of("E", "{}", a),
                    EventData.of("E", "{}", b),
                    EventData.of("E", "{}"),
                    EventData.of("E", "{}", a).withTags("t1"),
                    EventData.of("E", "{}", a).withTags("t1"),
                    EventData.of("E", "{}", b).withTags("t2", "t3"),
                    EventData.of("E", "{}", b),
                    EventData.of("E", "{}", a));
            store().append("s", ExpectedVersion.noStream(), appended);

            List<RecordedEvent> byStream = store().readStream("s", 1, 100);
            List<RecordedEvent> paged = new ArrayList<>();
            long after = 0;
            for (List<RecordedEvent> page; !(page = store().readAll(after, 2)).isEmpty(); ) {
                paged.addAll(page);
                after = page.get(page.size() - 1).position();
            }
            for (List<RecordedEvent> read : List.of(byStream, store().readAll(0, 100), paged)) {
                assertThat(read)
                        .extracting(RecordedEvent::metadata)
                        .containsExactlyElementsOf(
                                appended.stream().map(EventData::metadata).toList());
                assertThat(read)
                        .extracting(RecordedEvent::tags)
                        .containsExactlyElementsOf(
                                appended.stream().map(EventData::tags).toList());
            }
        }

        @Test
        void reads_refuse_bad_arguments() {
            assertThatThrownBy(() -> store().readStream("s", 0, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("fromVersion");
            assertThatThrownBy(() -> store().readStream("s", 1, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("maxCount");
            assertThatThrownBy(() -> store().readAll(-1, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("afterPosition");
            assertThatThrownBy(() -> store().readAll(0, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("maxCount");
            assertThatThrownBy(() -> store().readStream(null, 1, 1)).isInstanceOf(NullPointerException.class);
        }
    }

    @Nested
    class Bad_input {

        @ParameterizedTest
        @ValueSource(strings = {"", "   ", "tab\there", "new\nline", "nul\u0000"})
        void a_blank_stream_id_or_one_with_control_characters_is_refused(String streamId) {
            assertThatThrownBy(() -> store().append(streamId, ExpectedVersion.any(), events(1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("stream id");
            assertThat(store().readAll(0, 10)).isEmpty();
        }

        @Test
        void a_stream_id_over_200_characters_is_refused_and_200_is_fine() {
            String ok = "s".repeat(200);
            String tooLong = "s".repeat(201);

            assertThatThrownBy(() -> store().append(tooLong, ExpectedVersion.any(), events(1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at most 200 characters");
            assertThat(store().readAll(0, 10)).isEmpty();
            assertThat(store().append(ok, ExpectedVersion.any(), events(1)).version())
                    .isEqualTo(1);
        }

        @Test
        void a_blank_or_over_long_type_is_refused() {
            assertThatThrownBy(() -> EventData.of(" ", "{}"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("type");
            assertThatThrownBy(() -> EventData.of("t".repeat(201), "{}"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("type");
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "",
                    "  ",
                    "null",
                    "[1,2]",
                    "\"text\"",
                    "42",
                    "{",
                    "{\"a\":}",
                    "{\"a\":1} trailing",
                    "{\"a\":1}{}",
                    "{a:1}",
                    "{'a':1}",
                    "{\"a\":01}",
                    "{\"a\":1.}",
                    "{\"a\":NaN}",
                    "{\"a\":\"\\u0000\"}",
                    "{\"a\":\"raw\ttab\"}",
                    "{\"a\":\"\\ud800\"}",
                    "{\"a\":tru}",
                    "{\"a\":[1,]}",
                    "{\"a\":1,}",
                    "{\"n\":1e1001}",
                    "{\"n\":1E-1001}",
                    "{\"a\":1,\"a\":2}",
                    "{\"o\":{\"k\":1,\"k\":1}}"
                })
        void invalid_json_is_refused_and_nothing_is_written(String json) {
            EventData bad = EventData.of("Bad", json);
            List<EventData> batch = List.of(event("Good"), bad);

            assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), batch))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("events[1] (Bad): invalid JSON");
            assertNothingWritten(store(), "s");
        }

        @Test
        void a_number_longer_than_1000_characters_is_refused_and_one_at_1000_is_stored() {
            String ok = "{\"n\":" + "9".repeat(1000) + "}";
            String tooLong = "{\"n\":" + "9".repeat(1001) + "}";

            assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), List.of(EventData.of("Long", tooLong))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("a number of 1001 characters");
            assertNothingWritten(store(), "s");
            store().append(
                            "s",
                            ExpectedVersion.any(),
                            List.of(
                                    EventData.of("Long", ok),
                                    EventData.of("Exp", "{\"n\":1e1000,\"m\":-1.5E-1000,\"z\":-0}")));
            assertSameJson(store().readStream("s", 1, 1).get(0).json(), ok);
        }

        @Test
        void a_key_twice_in_one_object_is_refused_even_when_escaped_differently() {
            for (String json : List.of(
                    "{\"a\":1,\"\\u0061\":2}", "{\"\\/\":1,\"/\":2}", "{\"x\":{\"k\\u00e9\":1,\"k\u00e9\":2}}")) {
                assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), List.of(EventData.of("Dup", json))))
                        .as(json)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("appears twice");
            }
            assertNothingWritten(store(), "s");
        }

        @Test
        void types_and_metadata_with_nul_or_unpaired_surrogates_are_refused() {
            assertThatThrownBy(() -> EventData.of("A\u0000B", "{}"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("NUL");
            assertThatThrownBy(() -> EventData.of("A\ud800", "{}"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unpaired surrogate");
            for (String bad : List.of("x\u0000y", "x\udc00")) {
                EventData withValue = EventData.of("Meta", "{}", Map.of("k", bad));
                EventData withKey = EventData.of("Meta", "{}", Map.of(bad, "v"));
                assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), List.of(withValue)))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("metadata");
                assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), List.of(withKey)))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("metadata");
            }
            assertNothingWritten(store(), "s");
            EventData fine = EventData.of("Caf\u00e9 \ud83c\udf75", "{}", Map.of("\ud83c\udf75", "th\u00e9"));
            store().append("s", ExpectedVersion.any(), List.of(fine));
            RecordedEvent r = store().readStream("s", 1, 1).get(0);
            assertThat(r.type()).isEqualTo(fine.type());
            assertThat(r.metadata()).isEqualTo(fine.metadata());
        }

        @Test
        void json_nested_deeper_than_the_limit_is_refused() {
            String deep = "{\"a\":" + "[".repeat(2_000) + "]".repeat(2_000) + "}";

            assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), List.of(EventData.of("Deep", deep))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("nested deeper than 1000");
            assertNothingWritten(store(), "s");
        }

        @Test
        void a_payload_over_the_limit_is_refused_and_one_at_the_limit_is_stored() {
            String filler = "x".repeat((1 << 20) - "{\"a\":\"\"}".length());
            String atLimit = "{\"a\":\"" + filler + "\"}";
            String overLimit = "{\"a\":\"" + filler + "\u00e9\"}"; // one more character, two bytes

            assertThatThrownBy(
                            () -> store().append("s", ExpectedVersion.any(), List.of(EventData.of("Big", overLimit))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("over the limit of 1048576");
            assertNothingWritten(store(), "s");
            store().append("s", ExpectedVersion.any(), List.of(EventData.of("Big", atLimit)));
            assertSameJson(store().readStream("s", 1, 1).get(0).json(), atLimit);
        }

        @Test
        void the_payload_limit_is_configurable() {
            EventStore small = open(AppendLimits.defaults().withMaxPayloadBytes(10));

            assertThatThrownBy(() ->
                            small.append("s", ExpectedVersion.any(), List.of(EventData.of("Big", "{\"a\":\"12345\"}"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("over the limit of 10");
            assertNothingWritten(small, "s");
        }

        @Test
        void metadata_over_its_limit_is_refused() {
            EventData e = EventData.of("Meta", "{}", Map.of("k", "v".repeat(64 << 10)));

            assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), List.of(e)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("metadata");
            assertNothingWritten(store(), "s");
        }

        @Test
        void an_empty_append_is_refused() {
            assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), List.of()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at least one event");
        }

        @Test
        void more_events_than_the_limit_are_refused() {
            EventStore limited = open(AppendLimits.defaults().withMaxEventsPerAppend(3));

            assertThat(limited.append("s", ExpectedVersion.any(), events(3)).version())
                    .isEqualTo(3);
            assertThatThrownBy(() -> limited.append("t", ExpectedVersion.any(), events(4)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at most 3 events");
            assertThat(limited.currentVersion("t")).isZero();
        }

        @Test
        void a_negative_expected_version_cannot_be_made() {
            assertThatThrownBy(() -> ExpectedVersion.exactly(-1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("negative");
        }

        @Test
        void null_arguments_are_refused() {
            List<EventData> withNull = new ArrayList<>();
            withNull.add(null);
            assertThatThrownBy(() -> store().append(null, ExpectedVersion.any(), events(1)))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> store().append("s", null, events(1))).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), null))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> store().append("s", ExpectedVersion.any(), withNull))
                    .isInstanceOf(NullPointerException.class);
            assertNothingWritten(store(), "s");
        }
    }

    @Nested
    class Races {

        private static final int THREADS = 8;

        @Test
        @Timeout(120)
        void eight_writers_with_the_same_expected_version_one_wins_each_round_and_none_is_lost() throws Exception {
            int rounds = 40;
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CyclicBarrier start = new CyclicBarrier(THREADS);
            Map<Long, UUID> winners = new ConcurrentHashMap<>();
            try {
                for (int round = 0; round < rounds; round++) {
                    long expected = round;
                    List<Future<Boolean>> results = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        results.add(pool.submit(() -> {
                            EventData e = event("Raced");
                            start.await(30, TimeUnit.SECONDS);
                            try {
                                AppendResult r = store().append("hot", ExpectedVersion.exactly(expected), List.of(e));
                                assertThat(r.version()).isEqualTo(expected + 1);
                                winners.put(r.version(), e.eventId());
                                return true;
                            } catch (WrongExpectedVersionException lost) {
                                assertThat(lost.actual()).isEqualTo(expected + 1);
                                return false;
                            }
                        }));
                    }
                    int won = 0;
                    for (Future<Boolean> f : results) {
                        won += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
                    }
                    assertThat(won).as("winners of round %d", round).isEqualTo(1);
                }
            } finally {
                pool.shutdownNow();
            }

            List<RecordedEvent> stream = store().readStream("hot", 1, rounds + 10);
            assertThat(stream).hasSize(rounds);
            for (RecordedEvent r : stream) {
                assertThat(r.eventId()).as("event at version %d", r.version()).isEqualTo(winners.get(r.version()));
            }
        }

        @Test
        @Timeout(120)
        void eight_writers_on_their_own_streams_store_every_event_once_in_order() throws Exception {
            int appendsPerThread = 60;
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CyclicBarrier start = new CyclicBarrier(THREADS);
            Map<String, List<UUID>> acknowledged = new ConcurrentHashMap<>();
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    String streamId = "writer-" + t;
                    done.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        List<UUID> mine = new ArrayList<>();
                        for (int i = 0; i < appendsPerThread; i++) {
                            List<EventData> batch = events(1 + i % 3);
                            store().append(streamId, ExpectedVersion.exactly(mine.size()), batch);
                            batch.forEach(e -> mine.add(e.eventId()));
                        }
                        acknowledged.put(streamId, mine);
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(100, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }

            List<RecordedEvent> all = readAllOf(store());
            int total = acknowledged.values().stream().mapToInt(List::size).sum();
            assertThat(all).hasSize(total);
            assertThat(all).extracting(RecordedEvent::eventId).doesNotHaveDuplicates();
            for (int i = 1; i < all.size(); i++) {
                assertThat(all.get(i).position()).isGreaterThan(all.get(i - 1).position());
            }
            Map<String, List<UUID>> byStream = new HashMap<>();
            Map<String, Long> lastVersion = new HashMap<>();
            for (RecordedEvent r : all) {
                byStream.computeIfAbsent(r.streamId(), k -> new ArrayList<>()).add(r.eventId());
                long previous = lastVersion.getOrDefault(r.streamId(), 0L);
                assertThat(r.version()).as("version in %s", r.streamId()).isEqualTo(previous + 1);
                lastVersion.put(r.streamId(), r.version());
            }
            assertThat(byStream).isEqualTo(acknowledged);
        }

        @Test
        @Timeout(120)
        void a_reader_tailing_the_log_sees_every_event_exactly_once_in_order() throws Exception {
            int writers = 4;
            int appendsPerWriter = 80;
            ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
            Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicBoolean writing = new AtomicBoolean(true);
            List<RecordedEvent> seen = Collections.synchronizedList(new ArrayList<>());
            try {
                Future<?> reader = pool.submit(() -> {
                    long checkpoint = 0;
                    while (true) {
                        boolean last = !writing.get(); // read once more after the writers stop
                        List<RecordedEvent> page = store().readAll(checkpoint, 7);
                        for (RecordedEvent r : page) {
                            assertThat(r.position()).isGreaterThan(checkpoint);
                            checkpoint = r.position();
                            seen.add(r);
                        }
                        if (page.isEmpty() && last) {
                            return null;
                        }
                        if (page.isEmpty()) {
                            Thread.onSpinWait();
                        }
                    }
                });
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    int writer = w;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < appendsPerWriter; i++) {
                            List<EventData> batch = events(1 + (i + writer) % 4);
                            store().append("tail-" + writer + "-" + (i % 5), ExpectedVersion.any(), batch);
                            batch.forEach(e -> acknowledged.add(e.eventId()));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(100, TimeUnit.SECONDS);
                }
                writing.set(false);
                reader.get(100, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }

            assertThat(seen).extracting(RecordedEvent::eventId).doesNotHaveDuplicates();
            assertThat(seen).extracting(RecordedEvent::eventId).containsExactlyInAnyOrderElementsOf(acknowledged);
            assertThat(seen)
                    .extracting(RecordedEvent::eventId)
                    .containsExactlyElementsOf(readAllOf(store()).stream()
                            .map(RecordedEvent::eventId)
                            .toList());
        }
    }
}
