package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.DuplicateEventIdException;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamDeletedException;
import io.annals.eventstore.tck.TestClock;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * A store copied into a new one: what is kept, what the transforms change, and what is refused.
 * Each subclass names where the source and the target live.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class StoreCopyContract {

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** A JDBC URL of a new, empty database for a source. */
    abstract String newSourceUrl();

    /** A JDBC URL of a new, empty database for a target. */
    abstract String newTargetUrl();

    private final List<JdbcEventStore> opened = new ArrayList<>();

    /** Microseconds, as the stores keep them; one second later per append. */
    final TestClock clock = new TestClock(Instant.parse("2024-03-01T10:15:30.123456Z"));

    JdbcEventStore source;
    String sourceUrl;

    @BeforeEach
    void openSource() {
        sourceUrl = newSourceUrl();
        source = track(JdbcEventStore.builder(sourceUrl).clock(clock).open());
    }

    @AfterEach
    void closeStores() {
        opened.forEach(JdbcEventStore::close);
    }

    JdbcEventStore track(JdbcEventStore store) {
        opened.add(store);
        return store;
    }

    JdbcEventStore open(String url) {
        return track(JdbcEventStore.open(url));
    }

    /** Appends {@code events} to {@code stream} at its current version, one second after the last append. */
    void append(String stream, EventData... events) {
        clock.advance(Duration.ofSeconds(1));
        source.append(stream, ExpectedVersion.exactly(source.currentVersion(stream)), List.of(events));
    }

    static EventData event(String type, String json) {
        return EventData.of(type, json);
    }

    static List<RecordedEvent> all(JdbcEventStore store) {
        return store.readAll(0, 10_000);
    }

    static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The fields a copy keeps: everything but the position. */
    record Kept(
            String stream,
            long version,
            UUID id,
            String type,
            JsonNode json,
            Map<String, String> metadata,
            Instant at,
            Set<String> tags) {
        static Kept of(RecordedEvent e) {
            return new Kept(
                    e.streamId(),
                    e.version(),
                    e.eventId(),
                    e.type(),
                    tree(e.json()),
                    e.metadata(),
                    e.recordedAt(),
                    e.tags());
        }
    }

    static List<Kept> kept(JdbcEventStore store) {
        return all(store).stream().map(Kept::of).toList();
    }

    @Nested
    class An_identity_copy {

        @Test
        void keeps_streams_versions_ids_types_payloads_metadata_times_and_the_order_of_the_log() {
            append(
                    "order-1",
                    event("Placed", "{\"lines\":[{\"sku\":\"tea\",\"qty\":2}],\"total\":12.50}"),
                    event("Paid", "{\"amount\":12.50,\"big\":123456789012345678901234567890}"));
            append("order-2", event("Placed", "{\"lines\":[],\"note\":\"caf\\u00e9 \u00e9t\u00e9\"}"));
            append(
                    "order-1",
                    new EventData(
                            UUID.randomUUID(),
                            "Shipped",
                            "{\"carrier\":\"post\"}",
                            Map.of("correlation", "c-1", EventCodec.SCHEMA_VERSION_KEY, "2")));
            append(
                    "order-3",
                    event("Placed", "{}").withTags("order:3", "customer:ann"),
                    event("Cancelled", "{\"reason\":null}"));
            append("order-2", event("Paid", "{\"amount\":1}"));

            String url = newTargetUrl();

            StoreCopy.Result result =
                    StoreCopy.from(source).into(JdbcEventStore.builder(url)).run();

            assertThat(result.read()).isEqualTo(7);
            assertThat(result.written()).isEqualTo(7);
            assertThat(result.dropped()).isZero();
            JdbcEventStore target = open(url);
            assertThat(kept(target)).containsExactlyElementsOf(kept(source));
            assertThat(target.read(Query.of(QueryItem.tags("customer:ann")), 0, 10))
                    .extracting(RecordedEvent::streamId)
                    .containsExactly("order-3");
            assertThat(target.currentVersion("order-1")).isEqualTo(3);
            assertThat(target.currentVersion("order-2")).isEqualTo(2);
            assertThat(target.currentVersion("order-3")).isEqualTo(2);
        }

        @Test
        void deletes_the_streams_the_source_deleted_at_the_same_place_in_the_log() {
            EventData placed = event("Placed", "{}");
            append("order-1", placed, event("Paid", "{}"));
            append("order-2", event("Placed", "{}"));
            clock.advance(Duration.ofSeconds(1));
            source.deleteStream("order-1", ExpectedVersion.any());
            append("order-2", event("Shipped", "{}"));
            String url = newTargetUrl();

            StoreCopy.from(source).into(JdbcEventStore.builder(url)).run();

            JdbcEventStore target = open(url);
            assertThat(all(target))
                    .extracting(RecordedEvent::streamId, RecordedEvent::type)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("order-2", "Placed"),
                            org.assertj.core.groups.Tuple.tuple("order-1", EventStore.STREAM_DELETED),
                            org.assertj.core.groups.Tuple.tuple("order-2", "Shipped"));
            assertThatThrownBy(() -> target.currentVersion("order-1")).isInstanceOf(StreamDeletedException.class);
            assertThat(target.currentVersion("order-2")).isEqualTo(2);
            // the ids of the removed events stay reserved in the copy too
            assertThatThrownBy(() -> target.append("again", ExpectedVersion.any(), List.of(placed)))
                    .isInstanceOf(DuplicateEventIdException.class);
        }

        @Test
        void of_an_empty_store_writes_nothing_and_succeeds() {
            String url = newTargetUrl();

            StoreCopy.Result result =
                    StoreCopy.from(source).into(JdbcEventStore.builder(url)).run();

            assertThat(result).extracting("read", "written", "dropped").containsExactly(0L, 0L, 0L);
            assertThat(open(url).countEvents()).isZero();
        }

        @Test
        void splits_an_append_the_target_limits_refuse_in_one_piece() {
            append(
                    "batch",
                    event("E", "{\"n\":1}"),
                    event("E", "{\"n\":2}"),
                    event("E", "{\"n\":3}"),
                    event("E", "{\"n\":4}"),
                    event("E", "{\"n\":5}"));
            String url = newTargetUrl();

            StoreCopy.from(source)
                    .into(JdbcEventStore.builder(url)
                            .limits(AppendLimits.defaults().withMaxEventsPerAppend(2)))
                    .run();

            assertThat(kept(open(url))).containsExactlyElementsOf(kept(source));
        }

        @Test
        void asks_the_target_for_the_version_of_a_stream_it_no_longer_remembers() {
            for (int round = 0; round < 3; round++) {
                for (String stream : List.of("a", "b", "c")) {
                    append(stream, event("E", "{\"round\":" + round + "}"));
                }
            }
            String url = newTargetUrl();

            StoreCopy.from(source)
                    .into(JdbcEventStore.builder(url))
                    .rememberedStreams(1)
                    .run();

            assertThat(kept(open(url))).containsExactlyElementsOf(kept(source));
        }

        @Test
        void reports_progress_after_each_page_against_the_source_total() {
            for (int i = 1; i <= 5; i++) {
                append("s-" + i, event(i == 3 ? "Noise" : "E", "{}"));
            }
            List<StoreCopy.Progress> reports = new ArrayList<>();

            StoreCopy.from(source)
                    .into(JdbcEventStore.builder(newTargetUrl()))
                    .transform(EventTransform.dropTypes(Set.of("Noise")))
                    .pageSize(2)
                    .onProgress(reports::add)
                    .run();

            assertThat(reports)
                    .extracting(StoreCopy.Progress::read, StoreCopy.Progress::written, StoreCopy.Progress::dropped)
                    .containsExactly(tuple(2L, 2L, 0L), tuple(4L, 3L, 1L), tuple(5L, 4L, 1L));
            assertThat(reports).allSatisfy(p -> assertThat(p.total()).isEqualTo(5));
            assertThat(reports.get(0).fraction()).isEqualTo(0.4);
            assertThat(reports.get(2).fraction()).isEqualTo(1.0);
        }
    }

    @Nested
    class A_transform {

        @Test
        void that_drops_a_type_moves_the_later_events_of_its_streams_down() {
            EventData placed = event("Placed", "{}");
            EventData paid = event("Paid", "{\"amount\":3}");
            append("order-1", placed, event("Viewed", "{}"));
            append("order-1", paid);
            append("views-only", event("Viewed", "{}"));

            String url = newTargetUrl();
            StoreCopy.Result result = StoreCopy.from(source)
                    .into(JdbcEventStore.builder(url))
                    .transform(EventTransform.dropTypes(Set.of("Viewed")))
                    .run();

            assertThat(result).extracting("read", "written", "dropped").containsExactly(4L, 2L, 2L);
            JdbcEventStore target = open(url);
            assertThat(all(target))
                    .extracting(RecordedEvent::streamId, RecordedEvent::version, RecordedEvent::eventId)
                    .containsExactly(tuple("order-1", 1L, placed.eventId()), tuple("order-1", 2L, paid.eventId()));
            assertThat(target.currentVersion("views-only")).isZero();
        }

        @Test
        void that_renames_a_type_keeps_everything_else() {
            append("p-1", event("PriceUpdated", "{\"price\":3.50}"), event("Created", "{}"));
            append("p-2", event("PriceUpdated", "{\"price\":1}"));

            String url = newTargetUrl();
            StoreCopy.from(source)
                    .into(JdbcEventStore.builder(url))
                    .transform(EventTransform.renameType("PriceUpdated", "PriceChanged"))
                    .run();

            List<Kept> expected = kept(source).stream()
                    .map(k -> k.type().equals("PriceUpdated")
                            ? new Kept(
                                    k.stream(),
                                    k.version(),
                                    k.id(),
                                    "PriceChanged",
                                    k.json(),
                                    k.metadata(),
                                    k.at(),
                                    k.tags())
                            : k)
                    .toList();
            assertThat(kept(open(url))).containsExactlyElementsOf(expected);
        }

        @Test
        void that_splits_an_event_writes_both_halves_in_order_and_moves_the_later_events_up() {
            EventData moved = event("Moved", "{\"from\":\"Paris\",\"to\":\"Lyon\"}");
            EventData stayed = event("Stayed", "{}");
            append("parcel-1", moved);
            append("parcel-1", stayed);
            EventTransform split = e -> e.type().equals("Moved")
                    ? List.of(
                            new EventData(
                                    e.eventId(),
                                    "Left",
                                    "{\"place\":" + tree(e.json()).get("from") + "}",
                                    e.metadata()),
                            new EventData(
                                    UUID.nameUUIDFromBytes((e.eventId() + "/arrived").getBytes(StandardCharsets.UTF_8)),
                                    "Arrived",
                                    "{\"place\":" + tree(e.json()).get("to") + "}",
                                    e.metadata()))
                    : List.of(EventTransform.unchanged(e));

            String url = newTargetUrl();
            StoreCopy.Result result = StoreCopy.from(source)
                    .into(JdbcEventStore.builder(url))
                    .transform(split)
                    .run();

            assertThat(result).extracting("read", "written", "dropped").containsExactly(2L, 3L, 0L);
            List<RecordedEvent> copied = all(open(url));
            assertThat(copied)
                    .extracting(RecordedEvent::version, RecordedEvent::type)
                    .containsExactly(tuple(1L, "Left"), tuple(2L, "Arrived"), tuple(3L, "Stayed"));
            assertThat(tree(copied.get(1).json())).isEqualTo(tree("{\"place\":\"Lyon\"}"));
            assertThat(copied.get(0).eventId()).isEqualTo(moved.eventId());
            assertThat(copied.get(2).eventId()).isEqualTo(stayed.eventId());
            assertThat(copied.get(1).recordedAt()).isEqualTo(all(source).get(0).recordedAt());
        }

        @Test
        void composed_with_andThen_runs_the_second_on_what_the_first_returned() {
            append("s", event("A", "{}"), event("Drop", "{}"), event("C", "{}"));

            String url = newTargetUrl();
            StoreCopy.from(source)
                    .into(JdbcEventStore.builder(url))
                    .transform(EventTransform.renameType("A", "B")
                            .andThen(EventTransform.renameType("B", "Drop"))
                            .andThen(EventTransform.dropTypes(Set.of("Drop"))))
                    .run();

            assertThat(all(open(url))).extracting(RecordedEvent::type).containsExactly("C");
        }

        @Test
        void that_fails_stops_the_copy_naming_the_event_and_the_partial_target() {
            append("s", event("Fine", "{}"));
            EventData bad = event("Bad", "{}");
            append("s", bad);
            String url = newTargetUrl();

            assertThatThrownBy(() -> StoreCopy.from(source)
                            .into(JdbcEventStore.builder(url))
                            .transform(e -> {
                                if (e.type().equals("Bad")) {
                                    throw new IllegalStateException("cannot fix this one");
                                }
                                return List.of(EventTransform.unchanged(e));
                            })
                            .pageSize(1)
                            .run())
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining(bad.eventId().toString())
                    .hasMessageContaining("cannot fix this one")
                    .hasMessageContaining("partial copy (1 events written");
            assertThat(open(url).countEvents()).isEqualTo(1);
        }

        @Test
        void that_reuses_an_event_id_in_a_split_fails_the_copy_naming_the_event() {
            EventData original = event("Moved", "{}");
            append("s", original);

            assertThatThrownBy(() -> StoreCopy.from(source)
                            .into(JdbcEventStore.builder(newTargetUrl()))
                            .transform(e -> List.of(EventTransform.unchanged(e), EventTransform.unchanged(e)))
                            .run())
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining(original.eventId().toString())
                    .hasMessageContaining("nothing was written");
        }

        @Test
        void that_returns_null_fails_the_copy() {
            append("s", event("E", "{}"));

            assertThatThrownBy(() -> StoreCopy.from(source)
                            .into(JdbcEventStore.builder(newTargetUrl()))
                            .transform(e -> null)
                            .run())
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("returned null");
        }
    }

    sealed interface Money extends Event permits Deposited {}

    /** At schema version 2: version 1 called the account {@code acct}. */
    record Deposited(String account, BigDecimal amount) implements Money {}

    static final JacksonEventCodec<Money> CODEC = JacksonEventCodec.builder(Money.class)
            .register("Deposited", Deposited.class, 2)
            .upcast("Deposited", 1, v1 -> {
                v1.set("account", v1.remove("acct"));
                return v1;
            })
            .alias("MoneyDeposited", "Deposited")
            .retire("StatementPrinted")
            .build();

    @Nested
    class Upcasting_through_a_codec {

        @Test
        void rewrites_old_events_at_the_current_version_keeping_ids_and_metadata_and_drops_retired_ones() {
            EventData v1 = new EventData(
                    UUID.randomUUID(),
                    "Deposited",
                    "{\"acct\":\"a-1\",\"amount\":10.50}",
                    Map.of("user", "ann", "$correlation", "c-9"));
            EventData aliased = event("MoneyDeposited", "{\"acct\":\"a-1\",\"amount\":1}");
            EventData v2 = new EventData(
                    UUID.randomUUID(),
                    "Deposited",
                    "{\"account\":\"a-1\",\"amount\":2}",
                    Map.of(EventCodec.SCHEMA_VERSION_KEY, "2"));
            append("account-a-1", v1, event("StatementPrinted", "{\"pages\":2}"));
            append("account-a-1", aliased, v2);

            String url = newTargetUrl();
            StoreCopy.Result result = StoreCopy.from(source)
                    .into(JdbcEventStore.builder(url))
                    .transform(EventTransform.upcasting(CODEC))
                    .run();

            assertThat(result).extracting("read", "written", "dropped").containsExactly(4L, 3L, 1L);
            List<RecordedEvent> copied = all(open(url));
            assertThat(copied)
                    .extracting(RecordedEvent::eventId, RecordedEvent::version, RecordedEvent::type)
                    .containsExactly(
                            tuple(v1.eventId(), 1L, "Deposited"),
                            tuple(aliased.eventId(), 2L, "Deposited"),
                            tuple(v2.eventId(), 3L, "Deposited"));
            assertThat(copied)
                    .extracting(e -> tree(e.json()))
                    .containsExactly(
                            tree("{\"account\":\"a-1\",\"amount\":10.50}"),
                            tree("{\"account\":\"a-1\",\"amount\":1}"),
                            tree("{\"account\":\"a-1\",\"amount\":2}"));
            assertThat(copied.get(0).json()).contains("10.50");
            assertThat(copied.get(0).metadata())
                    .isEqualTo(Map.of("user", "ann", "$correlation", "c-9", EventCodec.SCHEMA_VERSION_KEY, "2"));
            assertThat(copied.get(1).metadata()).isEqualTo(Map.of(EventCodec.SCHEMA_VERSION_KEY, "2"));
            assertThat(copied)
                    .extracting(e -> (Deposited) CODEC.decode(e).event())
                    .extracting(Deposited::account, Deposited::amount)
                    .containsExactly(
                            tuple("a-1", new BigDecimal("10.50")),
                            tuple("a-1", BigDecimal.ONE),
                            tuple("a-1", new BigDecimal("2")));
        }

        @Test
        void fails_on_a_type_the_codec_neither_knows_nor_retired_naming_the_event() {
            append("account-a-1", event("Deposited", "{\"acct\":\"a-1\",\"amount\":1}"));
            EventData unknown = event("Mystery", "{}");
            append("account-a-1", unknown);
            String url = newTargetUrl();

            assertThatThrownBy(() -> StoreCopy.from(source)
                            .into(JdbcEventStore.builder(url))
                            .transform(EventTransform.upcasting(CODEC))
                            .pageSize(1)
                            .run())
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining(unknown.eventId().toString())
                    .hasMessageContaining("Mystery")
                    .hasMessageContaining("neither knows nor retired")
                    .hasMessageContaining("partial copy");
            assertThat(open(url).countEvents()).isEqualTo(1);
        }
    }

    @Nested
    class The_copy_refuses {

        @Test
        void a_target_that_holds_events_and_writes_nothing() {
            append("s", event("E", "{}"));
            String url = newTargetUrl();
            EventData there = event("Existing", "{}");
            try (JdbcEventStore target = JdbcEventStore.open(url)) {
                target.append("other", ExpectedVersion.noStream(), List.of(there));
            }

            assertThatThrownBy(() -> StoreCopy.from(source)
                            .into(JdbcEventStore.builder(url))
                            .run())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("holds 1 events")
                    .hasMessageContaining("nothing was written");
            assertThat(all(open(url))).extracting(RecordedEvent::eventId).containsExactly(there.eventId());
        }

        @Test
        void a_source_with_a_truncated_stream_and_writes_nothing() {
            append("s", event("E", "{}"), event("E", "{}"));
            RecordedEvent first = source.readStream("s", 1, 1).get(0);
            source.truncateStream(
                    "s",
                    2,
                    new io.annals.eventstore.snapshot.Snapshot("s", 1, first.eventId(), 1, "{}", clock.instant()));
            String url = newTargetUrl();

            assertThatThrownBy(() -> StoreCopy.from(source)
                            .into(JdbcEventStore.builder(url))
                            .run())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll("1 truncated streams", "pinned snapshot", "nothing was written");
            assertThat(all(open(url))).isEmpty();
        }

        @Test
        void its_own_source_even_under_another_spelling_of_the_url() {
            assertThatThrownBy(() -> StoreCopy.from(source)
                            .into(JdbcEventStore.builder(otherSpelling(sourceUrl)))
                            .run())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("the target is the source");
            assertThatThrownBy(() -> StoreCopy.from(source)
                            .into(JdbcEventStore.builder(sourceUrl))
                            .run())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("the target is the source");
        }

        @Test
        void no_other_tables_of_the_same_database() {
            append("s", event("E", "{}"));

            StoreCopy.from(source)
                    .into(JdbcEventStore.builder(sourceUrl).tablePrefix("copy_"))
                    .run();

            try (JdbcEventStore copy =
                    JdbcEventStore.builder(sourceUrl).tablePrefix("copy_").open()) {
                assertThat(kept(copy)).containsExactlyElementsOf(kept(source));
            }
        }

        @Test
        void to_run_without_a_target() {
            assertThatThrownBy(() -> StoreCopy.from(source).run())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("into(");
        }
    }

    @Nested
    class The_count_check {

        /**
         * Copies four events in pages of two into the target at {@code url}, calling
         * {@code halfway} once the first page is read.
         */
        private StoreCopy.Result copyWith(String url, Consumer<String> halfway) {
            for (int i = 0; i < 4; i++) {
                append("s", event("E", "{}"));
            }
            return StoreCopy.from(source)
                    .into(JdbcEventStore.builder(url))
                    .pageSize(2)
                    .onProgress(p -> {
                        if (p.read() == 2) {
                            halfway.accept(url);
                        }
                    })
                    .run();
        }

        @Test
        void fails_when_the_source_grows_during_the_copy() {
            assertThatThrownBy(() -> copyWith(newTargetUrl(), url -> append("late", event("E", "{}"))))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("the source changed during the copy")
                    .hasMessageContaining("held 4 events at the start")
                    .hasMessageContaining("partial copy");
        }

        @Test
        void fails_when_something_else_writes_to_the_target_during_the_copy() {
            assertThatThrownBy(() -> copyWith(newTargetUrl(), url -> {
                        try (JdbcEventStore intruder = JdbcEventStore.open(url)) {
                            intruder.append("intruder", ExpectedVersion.noStream(), List.of(event("E", "{}")));
                        }
                    }))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("the target holds 5 events, but the copy wrote 4");
        }
    }

    /** Another URL of the database {@code url} names. */
    static String otherSpelling(String url) {
        if (url.startsWith("jdbc:sqlite:")) {
            return "jdbc:sqlite:file:" + url.substring("jdbc:sqlite:".length());
        }
        return url + (url.contains("?") ? "&" : "?") + "ApplicationName=annals-copy-test";
    }
}
