package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.Event;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.ReadOnlyStoreException;
import io.annals.eventstore.RecordedEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** {@link TagBackfill} on a JDBC store: old events gain the tags the codec computes, once. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class TagBackfillContract {

    sealed interface Member extends Event permits Joined, Renamed {}

    record Joined(String memberId, String name) implements Member {}

    record Renamed(String memberId, String name) implements Member {}

    /** Today's codec: both types tagged, "Enrolled" the old name of Joined, "Left" retired. */
    static final JacksonEventCodec<Member> CODEC = JacksonEventCodec.builder(Member.class)
            .register("Joined", Joined.class)
            .register("Renamed", Renamed.class)
            .alias("Enrolled", "Joined")
            .retire("Left")
            .tags(Joined.class, j -> Set.of("member:" + j.memberId(), "name:" + j.name()))
            .tags(Renamed.class, r -> Set.of("member:" + r.memberId(), "name:" + r.name()))
            .build();

    /** A JDBC URL of a new, empty database. */
    abstract String newUrl();

    private final List<JdbcEventStore> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(JdbcEventStore::close);
    }

    private JdbcEventStore open(JdbcEventStore.Builder builder) {
        JdbcEventStore store = builder.open();
        opened.add(store);
        return store;
    }

    private static EventData untagged(String type, String json) {
        return EventData.of(type, json);
    }

    private static List<String> streamsTagged(JdbcEventStore store, String tag) {
        return store.read(Query.of(QueryItem.tags(tag)), 0, 100).stream()
                .map(RecordedEvent::streamId)
                .toList();
    }

    @Test
    void tags_old_events_once_keeping_their_own_tags_and_leaving_unknown_and_retired_types_alone() {
        JdbcEventStore store = open(JdbcEventStore.builder(newUrl()));
        store.append(
                "member-1",
                ExpectedVersion.noStream(),
                List.of(untagged("Enrolled", "{\"memberId\":\"1\",\"name\":\"ann\"}"), untagged("Left", "{}")));
        store.append(
                "member-2",
                ExpectedVersion.noStream(),
                List.of(untagged("Joined", "{\"memberId\":\"2\",\"name\":\"bob\"}")
                        .withTags("vip")));
        store.append(
                "member-2",
                ExpectedVersion.exactly(1),
                List.of(untagged("Renamed", "{\"memberId\":\"2\",\"name\":\"rob\"}")));
        store.append("other", ExpectedVersion.noStream(), List.of(untagged("Unrelated", "{}")));

        assertThat(streamsTagged(store, "name:ann")).isEmpty();

        TagBackfill.Result first = TagBackfill.run(store, CODEC);

        assertThat(first).isEqualTo(new TagBackfill.Result(5, 3));
        assertThat(streamsTagged(store, "name:ann")).containsExactly("member-1");
        assertThat(streamsTagged(store, "member:2")).containsExactly("member-2", "member-2");
        assertThat(streamsTagged(store, "vip")).containsExactly("member-2");
        List<RecordedEvent> all = store.readAll(0, 100);
        assertThat(all.get(0).tags()).containsExactlyInAnyOrder("member:1", "name:ann");
        assertThat(all.get(1).tags()).as("retired").isEmpty();
        assertThat(all.get(2).tags()).containsExactlyInAnyOrder("vip", "member:2", "name:bob");
        assertThat(all.get(4).tags()).as("unknown").isEmpty();

        TagBackfill.Result second = TagBackfill.run(store, CODEC);

        assertThat(second).isEqualTo(new TagBackfill.Result(5, 0));
        assertThat(store.readAll(0, 100))
                .extracting(RecordedEvent::tags)
                .isEqualTo(all.stream().map(RecordedEvent::tags).toList());
    }

    @Test
    void pages_through_more_events_than_one_page() {
        JdbcEventStore store = open(JdbcEventStore.builder(newUrl()));
        for (int i = 0; i < 25; i++) {
            List<EventData> events = new ArrayList<>();
            for (int j = 0; j < 100; j++) {
                int n = i * 100 + j;
                events.add(untagged("Joined", "{\"memberId\":\"" + n + "\",\"name\":\"n" + n + "\"}"));
            }
            store.append("page-" + i, ExpectedVersion.noStream(), events);
        }

        assertThat(TagBackfill.run(store, CODEC)).isEqualTo(new TagBackfill.Result(2500, 2500));
        assertThat(streamsTagged(store, "name:n2499")).containsExactly("page-24");
        assertThat(streamsTagged(store, "member:0")).containsExactly("page-0");
    }

    @Test
    void stops_at_an_event_it_cannot_decode_naming_it_and_keeps_what_it_tagged() {
        JdbcEventStore store = open(JdbcEventStore.builder(newUrl()));
        store.append(
                "member-1",
                ExpectedVersion.noStream(),
                List.of(untagged("Joined", "{\"memberId\":\"1\",\"name\":\"ann\"}")));
        store.append("member-9", ExpectedVersion.noStream(), List.of(untagged("Joined", "{\"memberId\":[]}")));

        assertThatThrownBy(() -> TagBackfill.run(store, CODEC))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("member-9");
        // the first page failed as a whole: it is tagged in one transaction after decoding
        assertThat(streamsTagged(store, "name:ann")).isEmpty();
    }

    @Test
    void refuses_a_tag_an_append_would_refuse_naming_the_event_and_tags_nothing_of_its_page() {
        JdbcEventStore store = open(JdbcEventStore.builder(newUrl()));
        store.append(
                "member-1",
                ExpectedVersion.noStream(),
                List.of(
                        untagged("Joined", "{\"memberId\":\"1\",\"name\":\"ann\"}"),
                        untagged("Renamed", "{\"memberId\":\"1\",\"name\":\"ann\\nsmith\"}")));

        assertThatThrownBy(() -> TagBackfill.run(store, CODEC))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("Renamed")
                .hasMessageContaining("member-1 at version 2")
                .hasMessageContaining("control characters");
        assertThat(store.readAll(0, 10)).allSatisfy(e -> assertThat(e.tags()).isEmpty());
    }

    @Test
    void refuses_a_read_only_store() {
        String url = newUrl();
        open(JdbcEventStore.builder(url))
                .append(
                        "member-1",
                        ExpectedVersion.noStream(),
                        List.of(untagged("Joined", "{\"memberId\":\"1\",\"name\":\"ann\"}")));
        JdbcEventStore readOnly = open(JdbcEventStore.builder(url).openMode(OpenMode.READ_ONLY));

        assertThatThrownBy(() -> TagBackfill.run(readOnly, CODEC)).isInstanceOf(ReadOnlyStoreException.class);
    }
}
