package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.tck.ChildJvm;
import io.annals.eventstore.tck.EventStoreContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.ProjectionRunnerContract.Total;
import io.annals.eventstore.tck.ProjectionRunnerContract.Totals;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scenarios 9, 10 and 11 of the reliability suite: SQL injection and odd names, stored data
 * that names classes, and inputs and reads past the resource limits.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class HostileInputContract extends ReliabilityContract {

    private static void assertNothingWritten(JdbcEventStore store) {
        assertThat(store.readAll(0, 10)).isEmpty();
    }

    // --- 9. SQL injection and names -------------------------------------------------------

    static final List<String> HOSTILE = List.of(
            "'; DROP TABLE events;--",
            "\"; DROP TABLE events;--",
            "x' OR '1'='1",
            "%",
            "_",
            "a%",
            "a_c",
            "\\",
            "\\'",
            "Robert'); DELETE FROM snapshots;--",
            "$$; DROP TABLE events; $$",
            "\ud83d\udca3".repeat(100),
            "e\u0301t\u00e9 \u2603 \u0627\u0644\u0639\u0631\u0628\u064a\u0629");

    /** {@code s} as an event type: types that begin with {@code $} are the store's own. */
    private static String type(String s) {
        String type = s.startsWith("$") ? "x" + s : s;
        return type.length() <= 200 ? type : "T";
    }

    @Test
    void hostile_stream_ids_types_metadata_and_projection_names_are_plain_data() throws Exception {
        String url = db().newUrl("inject");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            for (String s : HOSTILE) {
                store.append(
                        s,
                        ExpectedVersion.noStream(),
                        List.of(
                                EventData.of(type(s), "{\"s\":\"x\"}", Map.of(s, s))
                                        .withTags(s, "t:" + s.substring(0, Math.min(s.length(), 100))),
                                CODEC.encode(
                                        new io.annals.eventstore.tck.ProjectionRunnerContract.Deposited(s.length()))));
                store.snapshots()
                        .save(new Snapshot(
                                s, 1, store.readStream(s, 1, 1).get(0).eventId(), 1, "{}", Instant.EPOCH));
            }
            for (String s : HOSTILE) {
                assertThat(store.currentVersion(s)).as(s).isEqualTo(2);
                List<RecordedEvent> read = store.readStream(s, 1, 10);
                assertThat(read).extracting(RecordedEvent::streamId).containsOnly(s);
                assertThat(read.get(0).metadata()).isEqualTo(Map.of(s, s));
                assertThat(read.get(0).tags()).contains(s);
                assertThat(store.read(Query.of(QueryItem.tags(s)), 0, 10))
                        .as("%s is no pattern", s)
                        .extracting(RecordedEvent::streamId)
                        .containsExactly(s);
                assertThat(store.read(Query.of(QueryItem.of(Set.of(type(s)), Set.of(s))), 0, 10))
                        .extracting(RecordedEvent::streamId)
                        .containsExactly(s);
                assertThat(store.snapshots().load(s)).isPresent();
            }
            assertThat(store.currentVersion("ab")).as("% is no wildcard").isZero();
            assertThat(store.currentVersion("abc")).as("_ is no wildcard").isZero();
            for (String name : HOSTILE.subList(0, 5)) {
                KeyedProjector<String, Total> p = store.projectors().keyed(new Totals(name), CODEC, TOTALS);
                try (ProjectionRunner runner =
                        ProjectionRunner.builder(store).add(p).build()) {
                    assertThat(runner.catchUp())
                            .extracting(ProjectionStatus::lastError)
                            .containsOnly(Optional.empty());
                }
                assertThat(p.get(HOSTILE.get(0)))
                        .contains(new Total(HOSTILE.get(0).length(), 1));
            }
            assertThat(EventStoreContract.readAllOf(store)).hasSize(2 * HOSTILE.size());
        }
    }

    @Test
    void nul_bytes_anywhere_are_refused_before_any_write() {
        String url = db().newUrl("nul");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            assertThatThrownBy(() -> store.append("a\u0000b", ExpectedVersion.any(), List.of(EventData.of("E", "{}"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("control characters");
            assertThatThrownBy(() -> EventData.of("E\u0000", "{}"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("NUL");
            assertThatThrownBy(() -> store.append(
                            "s", ExpectedVersion.any(), List.of(EventData.of("E", "{}", Map.of("k", "v\u0000")))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("NUL");
            assertThatThrownBy(() ->
                            store.append("s", ExpectedVersion.any(), List.of(EventData.of("E", "{\"a\":\"\\u0000\"}"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("\\u0000");
            assertThatThrownBy(() -> store.append(
                            "s", ExpectedVersion.any(), List.of(EventData.of("E", "{\"a\":\"raw\u0000nul\"}"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("control character");
            assertNothingWritten(store);
        }
    }

    @Test
    void a_stream_id_no_stream_can_have_reads_as_a_missing_stream() {
        // Both drivers send an unpaired surrogate as '?': such an id must not read "a?" instead.
        String url = db().newUrl("unstorable");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            store.append("a?", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}")));
            UUID first = store.readStream("a?", 1, 1).get(0).eventId();
            Snapshot kept = new Snapshot("a?", 1, first, 1, "{\"kept\":true}", Instant.EPOCH);
            store.snapshots().save(kept);
            for (String id : List.of("a\ud800", "a\udc00", "", " ", "a\u0000", "a?".repeat(101))) {
                assertThat(store.readStream(id, 1, 10)).as(id).isEmpty();
                assertThat(store.currentVersion(id)).as(id).isZero();
                assertThat(store.snapshots().load(id)).as(id).isEmpty();
                assertThat(store.pinnedSnapshot(id)).as(id).isEmpty();
                Snapshot other = new Snapshot(id, 5, UUID.randomUUID(), 1, "{\"other\":true}", Instant.EPOCH);
                store.snapshots().save(other);
                store.snapshots().discard(new Snapshot(id, 1, first, 1, "{\"kept\":true}", Instant.EPOCH));
            }
            assertThat(store.readStream("a?", 1, 10))
                    .extracting(RecordedEvent::streamId)
                    .containsExactly("a?");
            assertThat(store.snapshots().load("a?")).contains(kept);
        }
    }

    /** Totals by the first character of the stream id: half a surrogate pair for an emoji. */
    static final class Initials extends Totals {
        Initials() {
            super("initials");
        }

        @Override
        public String key(Envelope<Deposited> e) {
            return e.recorded().streamId().substring(0, 1);
        }
    }

    @Test
    void a_key_no_row_can_have_fails_its_event_and_never_reaches_another_keys_row() {
        // Both drivers send an unpaired surrogate as '?': the row of "\ud83d" would be the row of "?".
        String url = db().newUrl("unstorable_key");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            store.append("?-1", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(5))));
            KeyedProjector<String, Total> initials = store.projectors().keyed(new Initials(), CODEC, TOTALS);
            try (ProjectionRunner runner =
                    ProjectionRunner.builder(store).add(initials).build()) {
                assertThat(runner.catchUp().get(0).lastError()).isEmpty();
                long emoji = store.append(
                                "\ud83d\ude00-1", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(7))))
                        .position();
                ProjectionStatus status = runner.catchUp().get(0);
                assertThat(status.state()).isEqualTo(ProjectionStatus.State.FAILED);
                assertThat(status.lastError().orElseThrow())
                        .contains("position " + emoji)
                        .contains("the key '\\ud83d' holds an unpaired surrogate at index 0");
            }
            assertThat(initials.get("?")).contains(new Total(5, 1));
            assertThat(initials.get("\ud83d")).isEmpty();
        }
    }

    @Test
    void ten_thousand_characters_of_unicode_are_refused_as_a_name_and_kept_as_data() {
        String url = db().newUrl("long");
        String tenK = "\u00e9\ud83c\udf75\u4e2d".repeat(2_500);
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            assertThatThrownBy(() -> store.append(tenK, ExpectedVersion.any(), List.of(EventData.of("E", "{}"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at most 200 characters");
            assertThatThrownBy(() -> EventData.of(tenK, "{}"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at most 200 characters");
            assertNothingWritten(store);
            EventData data = EventData.of("Long", "{\"" + tenK + "\":\"" + tenK + "\"}", Map.of(tenK, tenK));
            store.append("s", ExpectedVersion.any(), List.of(data));
            RecordedEvent r = store.readStream("s", 1, 1).get(0);
            assertThat(r.metadata()).isEqualTo(Map.of(tenK, tenK));
            assertThat(r.json()).contains(tenK);
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "Events",
                "annals events",
                "a-b",
                "x;drop table events",
                "\"x\"",
                "1abc",
                "s\u0000",
                "\u00e9t\u00e9",
                "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm"
            })
    void a_schema_name_that_is_not_a_plain_identifier_is_refused_when_configured(String name) {
        assertThatThrownBy(() -> JdbcEventStore.builder(db().newUrl("schema")).schema(name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("plain identifier");
    }

    // --- 10. deserialization --------------------------------------------------------------

    @Test
    void a_stored_type_naming_a_class_is_never_loaded_and_the_error_names_the_event() throws Exception {
        String url = db().newUrl("gadget");
        System.clearProperty(GadgetProbe.LOADED);
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            store.append(
                    "acct",
                    ExpectedVersion.any(),
                    List.of(
                            CODEC.encode(new io.annals.eventstore.tck.ProjectionRunnerContract.Deposited(5)),
                            EventData.of(GadgetProbe.class.getName(), "{\"x\":1}"),
                            EventData.of(
                                    "com.sun.rowset.JdbcRowSetImpl",
                                    "{\"dataSourceName\":\"ldap://127.0.0.1:1/x\",\"autoCommit\":true}")));
            JacksonEventCodec<FaultContract.Added> codec = FaultContract.TALLY_CODEC;
            List<RecordedEvent> stored = store.readStream("acct", 1, 10);
            for (RecordedEvent r : stored.subList(1, 3)) {
                assertThatThrownBy(() -> codec.decode(r))
                        .isInstanceOf(EventStoreException.class)
                        .hasMessageContaining("unknown event type '" + r.type() + "'")
                        .hasMessageContaining(
                                "stream acct at version " + r.version() + " (position " + r.position() + ")");
            }
            // a registered type whose stored payload carries polymorphic type hints
            store.append(
                    "tally-g",
                    ExpectedVersion.any(),
                    List.of(EventData.of(
                            "Added",
                            "{\"n\":1,\"@class\":\"" + GadgetProbe.class.getName() + "\",\"@type\":\""
                                    + GadgetProbe.class.getName() + "\"}")));
            assertThat(codec.decode(store.readStream("tally-g", 1, 1).get(0)).event())
                    .isEqualTo(new FaultContract.Added(1));
            // the command loop and a projection meet them too: typed errors, or skipped
            store.append("tally-x", ExpectedVersion.any(), List.of(EventData.of(GadgetProbe.class.getName(), "{}")));
            assertThatThrownBy(() -> CommandHandler.builder(new FaultContract.Tallies(), store, codec)
                            .build()
                            .load("x"))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("unknown event type '" + GadgetProbe.class.getName() + "'")
                    .hasMessageContaining("stream tally-x at version 1");
            KeyedProjector<String, Total> totals = store.projectors().keyed(new Totals("totals"), CODEC, TOTALS);
            try (ProjectionRunner runner =
                    ProjectionRunner.builder(store).add(totals).build()) {
                assertThat(runner.catchUp())
                        .extracting(ProjectionStatus::lastError)
                        .containsOnly(Optional.empty());
            }
            assertThat(totals.get("acct")).contains(new Total(5, 1));
        }
        assertThat(System.getProperty(GadgetProbe.LOADED))
                .as("the gadget class was initialised")
                .isNull();
    }

    @Test
    void a_tampered_payload_of_a_known_type_fails_its_projection_with_an_error_naming_the_event() throws Exception {
        String url = db().newUrl("tampered");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            store.append(
                    "acct",
                    ExpectedVersion.any(),
                    List.of(CODEC.encode(new io.annals.eventstore.tck.ProjectionRunnerContract.Deposited(5))));
            // written behind the store's back: a JSON array naming a class, as default typing reads it
            try (Connection c = DriverManager.getConnection(url);
                    PreparedStatement ps = c.prepareStatement(
                            db().name().equals("SQLite")
                                    ? "UPDATE annals_events SET data = ? WHERE stream_id = 'acct'"
                                    : "UPDATE annals_events SET data = ?::jsonb WHERE stream_id = 'acct'")) {
                ps.setString(1, "[\"" + GadgetProbe.class.getName() + "\",{\"amount\":5}]");
                ps.executeUpdate();
            }
            RecordedEvent r = store.readStream("acct", 1, 1).get(0);
            KeyedProjector<String, Total> totals = store.projectors().keyed(new Totals("totals"), CODEC, TOTALS);
            try (ProjectionRunner runner =
                    ProjectionRunner.builder(store).add(totals).build()) {
                ProjectionStatus status = runner.catchUp().get(0);
                assertThat(status.state()).isEqualTo(ProjectionStatus.State.FAILED);
                assertThat(status.lastError().orElseThrow())
                        .contains("position " + r.position())
                        .contains("stream acct");
            }
            assertThatThrownBy(() -> FaultContract.TALLY_CODEC.decode(new RecordedEvent(
                            r.streamId(),
                            r.version(),
                            r.position(),
                            r.eventId(),
                            "Added",
                            r.json(),
                            Map.of(),
                            r.recordedAt())))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("cannot decode event " + r.eventId());
        }
        assertThat(System.getProperty(GadgetProbe.LOADED)).isNull();
    }

    // --- 11. resource limits --------------------------------------------------------------

    @Test
    void oversized_appends_are_refused_with_typed_errors_before_any_write() {
        String url = db().newUrl("limits");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            String twentyMb = "{\"a\":\"" + "x".repeat(20 << 20) + "\"}";
            assertThatThrownBy(() -> store.append("s", ExpectedVersion.any(), List.of(EventData.of("Big", twentyMb))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("over the limit of 1048576");
            String thirtyMillion = "{\"a\":\"" + "\u00e9".repeat(30_000_000) + "\"}";
            assertThatThrownBy(
                            () -> store.append("s", ExpectedVersion.any(), List.of(EventData.of("Big", thirtyMillion))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("over the limit of 1048576");
            List<EventData> hundredThousand = new ArrayList<>();
            for (int i = 0; i < 100_000; i++) {
                hundredThousand.add(EventData.of("Many", "{}"));
            }
            assertThatThrownBy(() -> store.append("s", ExpectedVersion.any(), hundredThousand))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at most 10000 events");
            String deep = "{\"a\":" + "[".repeat(2_000) + "]".repeat(2_000) + "}";
            assertThatThrownBy(() -> store.append("s", ExpectedVersion.any(), List.of(EventData.of("Deep", deep))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("nested deeper than 1000");
            String deepObjects = "{\"a\":".repeat(2_000) + "1" + "}".repeat(2_000);
            assertThatThrownBy(
                            () -> store.append("s", ExpectedVersion.any(), List.of(EventData.of("Deep", deepObjects))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("nested deeper than 1000");
            assertThatThrownBy(() -> store.append(
                            "s",
                            ExpectedVersion.any(),
                            List.of(EventData.of("Meta", "{}", Map.of("k", "v".repeat(1 << 20))))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("metadata is");
            assertNothingWritten(store);
        }
    }

    @Test
    void raised_limits_store_what_the_defaults_refuse() {
        String url = db().newUrl("raised");
        AppendLimits raised = AppendLimits.defaults()
                .withMaxPayloadBytes(4 << 20)
                .withMaxEventsPerAppend(20_000)
                .withMaxJsonDepth(3_000);
        try (JdbcEventStore store = JdbcEventStore.builder(url).limits(raised).open()) {
            String big = "{\"a\":\"" + "x".repeat(3 << 20) + "\"}";
            String deep = "{\"a\":" + "[".repeat(2_000) + "]".repeat(2_000) + "}";
            List<EventData> many = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                many.add(EventData.of("Many", "{\"i\":" + i + "}"));
            }
            store.append(
                    "big", ExpectedVersion.noStream(), List.of(EventData.of("Big", big), EventData.of("Deep", deep)));
            store.append("many", ExpectedVersion.noStream(), many);
            assertThat(store.readStream("big", 1, 1).get(0).json()).hasSizeGreaterThan(3 << 20);
            assertThat(store.currentVersion("many")).isEqualTo(20_000);
        }
    }

    @Test
    @Tag("nightly")
    @Timeout(1800)
    void a_thirty_million_character_event_and_a_hundred_thousand_event_append_fit_raised_limits() {
        String url = db().newUrl("huge");
        AppendLimits raised =
                AppendLimits.defaults().withMaxPayloadBytes(64 << 20).withMaxEventsPerAppend(100_000);
        try (JdbcEventStore store = JdbcEventStore.builder(url).limits(raised).open()) {
            String huge = "{\"a\":\"" + "y".repeat(30_000_000) + "\"}";
            store.append("huge", ExpectedVersion.noStream(), List.of(EventData.of("Huge", huge)));
            List<EventData> many = new ArrayList<>();
            for (int i = 0; i < 100_000; i++) {
                many.add(EventData.of("Many", "{\"i\":" + i + "}"));
            }
            store.append("many", ExpectedVersion.noStream(), many);
            assertThat(store.readStream("huge", 1, 1).get(0).json().length()).isGreaterThanOrEqualTo(30_000_000);
            assertThat(store.currentVersion("many")).isEqualTo(100_000);
            assertThat(store.append("many", ExpectedVersion.noStream(), many).version())
                    .as("a repeat")
                    .isEqualTo(100_000);
        }
    }

    @Test
    @Timeout(600)
    void a_long_stream_and_the_whole_log_read_in_a_64_mb_heap() throws Exception {
        readInASmallHeap(100_000);
    }

    @Test
    @Tag("nightly")
    @Timeout(3600)
    void a_million_event_stream_and_the_whole_log_read_in_a_64_mb_heap() throws Exception {
        readInASmallHeap(1_000_000);
    }

    private void readInASmallHeap(int events) throws Exception {
        String url = db().newUrl("heap");
        String pad = "p".repeat(300); // 1,000,000 of these is far more than 64 MB
        long sum = 0;
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            for (int from = 0; from < events; from += 10_000) {
                List<EventData> batch = new ArrayList<>();
                for (int i = from; i < Math.min(events, from + 10_000); i++) {
                    batch.add(EventData.of("Padded", "{\"n\":" + i + ",\"pad\":\"" + pad + "\"}"));
                    sum += i;
                }
                store.append("big-one", ExpectedVersion.exactly(from), batch);
            }
        }
        try (ChildJvm child = ChildJvm.start(LowMemoryReader.class, "64m", url)) {
            int exit = child.await(1_800_000);
            assertThat(exit).as(child.describe()).isZero();
            assertThat(child.lines()).contains("OK " + events + " " + events + " " + sum + " " + events);
        }
    }

    static UUID id() {
        return UUID.randomUUID();
    }

    static void sql(String url, String sql) throws SQLException {
        ReliabilityDb.execute(url, sql);
    }

    /** Reads only {@code v} of a probe payload; everything else is ignored, but must be parsed. */
    record Probe(int v) implements io.annals.eventstore.Event {}

    @Test
    void what_an_append_accepts_at_the_limits_every_store_gives_back_and_the_codec_reads() {
        String url = db().newUrl("limits");
        String longKey = "k".repeat(60_000); // over Jackson's default of 50,000 for a name
        String json = "{\"v\":1,\"" + longKey + "\":\"" + "s".repeat(900_000) + "\",\"n\":1e999,"
                + "\"f\":-1.5E-996,\"deep\":" + "[".repeat(998) + "]".repeat(998) + "}";
        var codec = JacksonEventCodec.builder(Probe.class)
                .register("Probe", Probe.class)
                .build();
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            store.append(
                    "p",
                    ExpectedVersion.noStream(),
                    List.of(EventData.of("Probe", json, Map.of(longKey, "m".repeat(4_000)))));

            RecordedEvent read = store.readStream("p", 1, 1).get(0);
            assertThat(codec.decode(read).event()).isEqualTo(new Probe(1));
            assertThat(read.metadata()).containsEntry(longKey, "m".repeat(4_000));
            assertThat(codec.decode(store.readAll(0, 1).get(0)).event()).isEqualTo(new Probe(1));
        }
    }

    @Test
    void an_event_at_the_payload_limit_comes_back_within_it_and_can_be_appended_again() {
        String url = db().newUrl("readback");
        int limit = AppendLimits.defaults().maxPayloadBytes();
        StringBuilder json = new StringBuilder("{\"a\":[0");
        while (json.length() + ",0]}".length() <= limit) {
            json.append(",0");
        }
        json.append("]}");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            store.append("original", ExpectedVersion.noStream(), List.of(EventData.of("Big", json.toString())));
            RecordedEvent read = store.readAll(0, 1).get(0);

            // Copying events into another store (the docs' way out of an old database) appends
            // them as they were read.
            assertThatCode(() -> store.append(
                            "copy",
                            ExpectedVersion.noStream(),
                            List.of(new EventData(UUID.randomUUID(), read.type(), read.json(), read.metadata()))))
                    .doesNotThrowAnyException();
            assertThat(read.json().getBytes(StandardCharsets.UTF_8).length)
                    .as("the payload as read back, against the limit it was accepted under")
                    .isLessThanOrEqualTo(limit);
        }
    }

    /** A price, as a producer with Jackson's defaults writes a stripped BigDecimal: 1.5E+2. */
    record Price(BigDecimal amount) implements io.annals.eventstore.Event {}

    @Test
    void a_number_written_with_an_exponent_decodes_to_the_same_value_on_every_store() {
        String url = db().newUrl("exponent");
        var codec = JacksonEventCodec.builder(Price.class)
                .register("Price", Price.class)
                .build();
        String json = "{\"amount\":1.5E+2}";
        Price appended = codec.fromJson("Price", json);
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            store.append("p", ExpectedVersion.noStream(), List.of(EventData.of("Price", json)));

            Price read = codec.decode(store.readStream("p", 1, 1).get(0)).event();

            assertThat(read).as("read back from %s", db().name()).isEqualTo(appended);
        }
    }
}
