package io.annals.eventstore.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.AppendConditionFailedException;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.WrongExpectedVersionException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The second part of the {@link EventStore} contract: tags, appends across streams, reads by
 * {@link Query} and {@link AppendCondition consistency conditions} (Dynamic Consistency
 * Boundaries), races on real threads included. A store's test extends this class and says how to
 * open a fresh, empty store; every test here then runs against it.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
public abstract class ConsistencyContract extends StoreContract {

    /**
     * How many rounds the race tests run (the other races scale from it). A slow store may
     * lower it, never under 100.
     */
    protected int raceRounds() {
        return 200;
    }

    // ---------------------------------------------------------------- helpers

    private static List<UUID> idsOf(EventData... events) {
        return Arrays.stream(events).map(EventData::eventId).toList();
    }

    /**
     * The test's own reading of the matching rule, independent of {@link Query#matches}: any item
     * matches; an item matches an event whose type is among its types (any when none) and that
     * carries every one of its tags.
     */
    private static boolean expectedMatch(Query query, RecordedEvent e) {
        for (QueryItem item : query.items()) {
            boolean typeOk = item.types().isEmpty() || item.types().contains(e.type());
            boolean tagsOk = true;
            for (String tag : item.tags()) {
                tagsOk &= e.tags().contains(tag);
            }
            if (typeOk && tagsOk) {
                return true;
            }
        }
        return false;
    }

    private static void assertStrictlyIncreasingPositions(List<RecordedEvent> events) {
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).position())
                    .as("position of event %d of %d", i, events.size())
                    .isGreaterThan(events.get(i - 1).position());
        }
    }

    // ---------------------------------------------------------------- tags

    @Nested
    class Tags {

        @Test
        void tags_come_back_from_read_all_read_stream_and_read() {
            EventData tea =
                    tagged("ProductCreated", "product:tea", "name:green tea", "shop:\u00e9t\u00e9 \ud83c\udf75");
            EventData price = tagged("PriceChanged", "product:tea");
            EventData other = tagged("ProductCreated", "product:coffee", "name:espresso");
            store().append(List.of(part("product-tea", ExpectedVersion.noStream(), tea, price)));
            store().append("product-coffee", ExpectedVersion.noStream(), List.of(other));

            List<RecordedEvent> all = readAllOf(store());
            assertThat(all).extracting(RecordedEvent::tags).containsExactly(tea.tags(), price.tags(), other.tags());
            assertThat(all.get(0).tags())
                    .isEqualTo(Set.of("product:tea", "name:green tea", "shop:\u00e9t\u00e9 \ud83c\udf75"));
            assertThat(store().readStream("product-tea", 1, 10))
                    .extracting(RecordedEvent::tags)
                    .containsExactly(
                            Set.of("product:tea", "name:green tea", "shop:\u00e9t\u00e9 \ud83c\udf75"),
                            Set.of("product:tea"));
            assertThat(store().readStream("product-coffee", 1, 10).get(0).tags())
                    .isEqualTo(Set.of("product:coffee", "name:espresso"));
            assertThat(store().read(Query.all(), 0, 10))
                    .extracting(RecordedEvent::tags)
                    .containsExactly(tea.tags(), price.tags(), other.tags());
            assertThat(store().read(tagQuery("name:green tea"), 0, 10))
                    .singleElement()
                    .satisfies(r -> {
                        assertThat(r.eventId()).isEqualTo(tea.eventId());
                        assertThat(r.tags())
                                .isEqualTo(Set.of("product:tea", "name:green tea", "shop:\u00e9t\u00e9 \ud83c\udf75"));
                    });
        }

        @Test
        void events_appended_without_tags_come_back_with_none() {
            EventData plain = new EventData(UUID.randomUUID(), "Plain", "{\"a\":1}", Map.of("k", "v"));
            EventData generated = EventData.of("Generated", "{}");
            store().append("one", ExpectedVersion.noStream(), List.of(plain, generated));
            EventData acrossA = untagged("Across");
            EventData acrossB = EventData.of("Across", "{\"b\":2}");
            store().append(List.of(
                    part("two", ExpectedVersion.noStream(), acrossA), part("three", ExpectedVersion.any(), acrossB)));

            List<RecordedEvent> all = readAllOf(store());
            assertThat(all).hasSize(4);
            assertThat(all).allSatisfy(r -> assertThat(r.tags()).isEmpty());
            assertThat(store().readStream("one", 1, 10))
                    .hasSize(2)
                    .allSatisfy(r -> assertThat(r.tags()).isEmpty());
            assertThat(store().read(Query.all(), 0, 10))
                    .hasSize(4)
                    .allSatisfy(r -> assertThat(r.tags()).isEmpty());
            assertThat(store().read(Query.of(QueryItem.types("Across")), 0, 10))
                    .hasSize(2)
                    .allSatisfy(r -> assertThat(r.tags()).isEmpty());
        }

        @Test
        void tagged_events_appended_to_one_stream_keep_their_tags_and_are_found_by_them() {
            EventData a = tagged("Registered", "user:ann", "email:ann@example.org");
            EventData b = tagged("Renamed", "user:ann");
            store().append("user-ann", ExpectedVersion.noStream(), List.of(a, b));
            store().append("user-bob", ExpectedVersion.noStream(), List.of(tagged("Registered", "user:bob")));

            assertThat(store().readStream("user-ann", 1, 10))
                    .extracting(RecordedEvent::tags)
                    .containsExactly(Set.of("user:ann", "email:ann@example.org"), Set.of("user:ann"));
            assertThat(ids(store().read(tagQuery("user:ann"), 0, 10))).containsExactly(a.eventId(), b.eventId());
            assertThat(ids(store().read(tagQuery("email:ann@example.org"), 0, 10)))
                    .containsExactly(a.eventId());
        }

        @Test
        void the_largest_tags_survive_the_round_trip() {
            Set<String> hundred = IntStream.range(0, 100)
                    .mapToObj(i -> "tag-" + i + "-" + "x".repeat(150))
                    .collect(Collectors.toSet());
            String twoHundredAccented = "\u00e9".repeat(200); // 200 characters, 400 bytes of UTF-8
            String twoHundredEmoji = "\ud83c\udf75".repeat(100); // 200 UTF-16 chars, 400 bytes of UTF-8
            EventData many = new EventData(UUID.randomUUID(), "Many", "{}", Map.of(), hundred);
            EventData longest = tagged("Longest", twoHundredAccented, twoHundredEmoji, "a".repeat(200));
            store().append("big", ExpectedVersion.noStream(), List.of(many, longest));

            List<RecordedEvent> stored = store().readStream("big", 1, 10);
            assertThat(stored.get(0).tags()).hasSize(100).isEqualTo(hundred);
            assertThat(stored.get(1).tags()).isEqualTo(Set.of(twoHundredAccented, twoHundredEmoji, "a".repeat(200)));
            assertThat(ids(store().read(tagQuery(twoHundredAccented), 0, 10))).containsExactly(longest.eventId());
            assertThat(ids(store().read(tagQuery(twoHundredEmoji, "a".repeat(200)), 0, 10)))
                    .containsExactly(longest.eventId());
        }

        @Test
        void tags_are_compared_exactly() {
            EventData lower = tagged("T", "product:tea");
            EventData upper = tagged("T", "Product:Tea");
            EventData spaced = tagged("T", "product:tea ");
            EventData accented = tagged("T", "caf\u00e9"); // precomposed
            EventData decomposed = tagged("T", "cafe\u0301"); // e + combining acute
            store().append("s", ExpectedVersion.noStream(), List.of(lower, upper, spaced, accented, decomposed));

            assertThat(ids(store().read(tagQuery("product:tea"), 0, 10))).containsExactly(lower.eventId());
            assertThat(ids(store().read(tagQuery("Product:Tea"), 0, 10))).containsExactly(upper.eventId());
            assertThat(ids(store().read(tagQuery("product:tea "), 0, 10))).containsExactly(spaced.eventId());
            assertThat(ids(store().read(tagQuery("caf\u00e9"), 0, 10))).containsExactly(accented.eventId());
            assertThat(ids(store().read(tagQuery("cafe\u0301"), 0, 10))).containsExactly(decomposed.eventId());
            assertThat(store().read(tagQuery("product"), 0, 10))
                    .as("no prefix match")
                    .isEmpty();
            assertThat(store().read(tagQuery("product:%"), 0, 10))
                    .as("no pattern match")
                    .isEmpty();
            assertThat(store().read(tagQuery("product:te_"), 0, 10))
                    .as("no pattern match")
                    .isEmpty();
        }

        @ParameterizedTest
        @ValueSource(strings = {"", " ", "   ", "\t"})
        void a_blank_tag_is_refused(String tag) {
            assertThatThrownBy(() -> tagged("T", tag))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tag")
                    .hasMessageContaining("blank");
            assertThatThrownBy(() -> EventData.of("T", "{}").withTags(Set.of("ok", tag)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blank");
        }

        @Test
        void a_tag_over_200_characters_is_refused_and_200_is_fine() {
            assertThatThrownBy(() -> tagged("T", "t".repeat(201)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tag")
                    .hasMessageContaining("at most 200 characters");
            assertThat(tagged("T", "t".repeat(200)).tags()).containsExactly("t".repeat(200));
        }

        @ParameterizedTest
        @ValueSource(strings = {"tab\there", "new\nline", "nul\u0000", "bell\u0007", "del\u007f", "c1\u0085"})
        void a_tag_with_a_control_character_is_refused(String tag) {
            assertThatThrownBy(() -> tagged("T", tag))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tag")
                    .hasMessageContaining("control character");
        }

        @Test
        void a_tag_with_an_unpaired_surrogate_is_refused() {
            assertThatThrownBy(() -> tagged("T", "half\ud83c"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("surrogate");
            assertThatThrownBy(() -> tagged("T", "half\udf75moon"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("surrogate");
        }

        @Test
        void more_than_100_tags_are_refused_and_100_are_fine() {
            Set<String> hundredAndOne =
                    IntStream.range(0, 101).mapToObj(i -> "t" + i).collect(Collectors.toSet());
            Set<String> hundred = IntStream.range(0, 100).mapToObj(i -> "t" + i).collect(Collectors.toSet());

            assertThatThrownBy(() -> new EventData(UUID.randomUUID(), "T", "{}", Map.of(), hundredAndOne))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at most 100 tags");
            assertThatThrownBy(() -> EventData.of("T", "{}").withTags(hundredAndOne))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at most 100 tags");
            assertThat(EventData.of("T", "{}").withTags(hundred).tags()).hasSize(100);
        }

        @Test
        void null_tags_are_refused() {
            Set<String> withNull = new HashSet<>(Arrays.asList("ok", null));
            assertThatThrownBy(() -> new EventData(UUID.randomUUID(), "T", "{}", Map.of(), null))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> new EventData(UUID.randomUUID(), "T", "{}", Map.of(), withNull))
                    .isInstanceOf(NullPointerException.class);
        }

        @Test
        void tags_are_copied() {
            Set<String> mine = new HashSet<>(Set.of("a"));
            EventData e = new EventData(UUID.randomUUID(), "T", "{}", Map.of(), mine);
            mine.add("b");

            assertThat(e.tags()).containsExactly("a");
            assertThatThrownBy(() -> e.tags().add("c")).isInstanceOf(UnsupportedOperationException.class);
        }

        @Test
        void a_query_item_checks_its_tags_as_events_do() {
            assertThatThrownBy(() -> QueryItem.tags(" "))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blank");
            assertThatThrownBy(() -> QueryItem.tags("x".repeat(201)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at most 200 characters");
            assertThatThrownBy(() -> QueryItem.tags("a\nb"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("control character");
        }

        @ParameterizedTest
        @ValueSource(strings = {"$stream-deleted", "$", "$Custom"})
        void a_type_beginning_with_a_dollar_is_refused_by_a_one_stream_append(String type) {
            store().append("before", ExpectedVersion.any(), counted(1));
            Held before = held(store(), "s");

            assertThatThrownBy(
                            () -> store().append("s", ExpectedVersion.any(), List.of(untagged("Fine"), untagged(type))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(type)
                    .hasMessageContaining("reserved");
            assertUnchanged(store(), before);
        }

        @Test
        void a_type_beginning_with_a_dollar_is_refused_by_an_append_across_streams() {
            store().append("before", ExpectedVersion.any(), counted(1));
            Held before = held(store(), "a", "b");
            List<StreamAppend> appends = List.of(
                    part("a", ExpectedVersion.any(), untagged("Fine")),
                    part("b", ExpectedVersion.any(), untagged("Fine"), untagged("$stream-deleted")));

            assertThatThrownBy(() -> store().append(appends))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("$stream-deleted")
                    .hasMessageContaining("reserved");
            assertThatThrownBy(() -> store().append(appends, AppendCondition.noEventsMatch(tagQuery("nothing"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("reserved");
            assertUnchanged(store(), before);
        }

        @Test
        void a_dollar_inside_a_type_is_fine_and_queries_may_name_reserved_types() {
            store().append("s", ExpectedVersion.any(), List.of(untagged("Price$Changed")));

            assertThat(store().read(Query.of(QueryItem.types("Price$Changed")), 0, 10))
                    .hasSize(1);
            assertThat(store().read(Query.of(QueryItem.types("$stream-deleted")), 0, 10))
                    .isEmpty();
        }
    }

    // ---------------------------------------------------------------- append across streams

    @Nested
    class Appending_across_streams {

        @Test
        void returns_one_result_per_part_in_order_with_its_last_version_and_position() {
            store().append("b", ExpectedVersion.noStream(), counted(2));
            EventData a1 = untagged("A1");
            EventData a2 = untagged("A2");
            EventData b3 = untagged("B3");
            EventData c1 = untagged("C1");
            EventData c2 = untagged("C2");
            EventData c3 = untagged("C3");

            List<AppendResult> results = store().append(List.of(
                    part("a", ExpectedVersion.noStream(), a1, a2),
                    part("b", ExpectedVersion.exactly(2), b3),
                    part("c", ExpectedVersion.any(), c1, c2, c3)));

            assertThat(results).hasSize(3);
            assertThat(results).extracting(AppendResult::version).containsExactly(2L, 3L, 3L);
            List<RecordedEvent> all = readAllOf(store());
            List<RecordedEvent> written = all.subList(2, all.size());
            assertThat(ids(written)).containsExactlyElementsOf(idsOf(a1, a2, b3, c1, c2, c3));
            assertThat(written).extracting(RecordedEvent::streamId).containsExactly("a", "a", "b", "c", "c", "c");
            assertThat(written).extracting(RecordedEvent::version).containsExactly(1L, 2L, 3L, 1L, 2L, 3L);
            assertStrictlyIncreasingPositions(all);
            assertThat(results.get(0).position()).isEqualTo(written.get(1).position());
            assertThat(results.get(1).position()).isEqualTo(written.get(2).position());
            assertThat(results.get(2).position()).isEqualTo(written.get(5).position());
            assertThat(store().currentVersion("a")).isEqualTo(2);
            assertThat(store().currentVersion("b")).isEqualTo(3);
            assertThat(store().currentVersion("c")).isEqualTo(3);
            assertThat(store().readStream("b", 3, 10)).singleElement().satisfies(r -> {
                assertThat(r.eventId()).isEqualTo(b3.eventId());
                assertThat(r.position()).isEqualTo(results.get(1).position());
                assertThat(r.recordedAt()).isEqualTo(T0);
            });
        }

        @Test
        void positions_follow_the_order_of_the_parts_not_of_the_stream_ids() {
            List<AppendResult> results = store().append(List.of(
                    part("zulu", ExpectedVersion.any(), untagged("Z")),
                    part("alpha", ExpectedVersion.any(), untagged("A")),
                    part("mike", ExpectedVersion.any(), untagged("M"))));

            assertThat(results.get(0).position()).isLessThan(results.get(1).position());
            assertThat(results.get(1).position()).isLessThan(results.get(2).position());
            assertThat(readAllOf(store())).extracting(RecordedEvent::streamId).containsExactly("zulu", "alpha", "mike");
        }

        @Test
        void one_part_behaves_as_a_one_stream_append() {
            store().append("s", ExpectedVersion.any(), counted(3));

            List<AppendResult> results =
                    store().append(List.of(part("s", ExpectedVersion.exactly(3), untagged("Next"))));

            assertThat(results).containsExactly(new AppendResult(4, lastPosition(readAllOf(store()))));
            assertThatThrownBy(() -> store().append(List.of(part("s", ExpectedVersion.exactly(3), untagged("Late")))))
                    .isInstanceOf(WrongExpectedVersionException.class);
        }

        @Test
        void every_kind_of_expectation_is_checked_per_part() {
            store().append("existing", ExpectedVersion.any(), counted(2));

            List<AppendResult> results = store().append(List.of(
                    part("existing", ExpectedVersion.exactly(2), untagged("E")),
                    part("new", ExpectedVersion.noStream(), untagged("N")),
                    part("exists", ExpectedVersion.any(), untagged("X"))));
            assertThat(results).extracting(AppendResult::version).containsExactly(3L, 1L, 1L);

            List<AppendResult> again = store().append(List.of(
                    part("exists", ExpectedVersion.streamExists(), untagged("X")),
                    part("new", ExpectedVersion.exactly(1), untagged("N"))));
            assertThat(again).extracting(AppendResult::version).containsExactly(2L, 2L);

            Held before = held(store(), "existing", "new", "never");
            assertThatThrownBy(() -> store().append(List.of(
                            part("existing", ExpectedVersion.any(), untagged("E")),
                            part("never", ExpectedVersion.streamExists(), untagged("N")))))
                    .isInstanceOfSatisfying(
                            WrongExpectedVersionException.class,
                            e -> assertThat(e.streamId()).isEqualTo("never"));
            assertThatThrownBy(() -> store().append(List.of(
                            part("existing", ExpectedVersion.any(), untagged("E")),
                            part("new", ExpectedVersion.noStream(), untagged("N")))))
                    .isInstanceOfSatisfying(
                            WrongExpectedVersionException.class,
                            e -> assertThat(e.streamId()).isEqualTo("new"));
            assertUnchanged(store(), before);
        }

        @ParameterizedTest
        @ValueSource(ints = {0, 1, 2})
        void when_one_part_expectation_fails_nothing_of_any_part_is_written(int failing) {
            store().append("s0", ExpectedVersion.any(), counted(1));
            store().append("s1", ExpectedVersion.any(), counted(2));
            store().append("s2", ExpectedVersion.any(), counted(3));
            Held before = held(store(), "s0", "s1", "s2");
            List<StreamAppend> appends = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                long version = i + 1;
                ExpectedVersion expected =
                        i == failing ? ExpectedVersion.exactly(version - 1) : ExpectedVersion.exactly(version);
                appends.add(part("s" + i, expected, untagged("E" + i), untagged("F" + i)));
            }

            Throwable thrown = catchThrowable(() -> store().append(appends));

            assertThat(thrown).isInstanceOfSatisfying(WrongExpectedVersionException.class, e -> {
                assertThat(e.streamId()).isEqualTo("s" + failing);
                assertThat(e.actual()).isEqualTo(failing + 1L);
                assertThat(e.getMessage()).contains("s" + failing);
            });
            assertUnchanged(store(), before);
            assertThatThrownBy(() -> store().append(appends, AppendCondition.noEventsMatch(tagQuery("nothing"))))
                    .isInstanceOf(WrongExpectedVersionException.class);
            assertUnchanged(store(), before);
        }

        @Test
        void when_several_parts_fail_the_first_is_named() {
            store().append("ok", ExpectedVersion.any(), counted(1));

            assertThatThrownBy(() -> store().append(List.of(
                            part("ok", ExpectedVersion.exactly(1), untagged("A")),
                            part("bad-1", ExpectedVersion.streamExists(), untagged("B")),
                            part("bad-2", ExpectedVersion.exactly(7), untagged("C")))))
                    .isInstanceOfSatisfying(
                            WrongExpectedVersionException.class,
                            e -> assertThat(e.streamId()).isEqualTo("bad-1"));
            assertThat(readAllOf(store())).hasSize(1);
        }

        @Test
        void a_stream_named_twice_is_refused() {
            Held before = held(store(), "a", "b");

            assertThatThrownBy(() -> store().append(List.of(
                            part("a", ExpectedVersion.any(), untagged("A")),
                            part("b", ExpectedVersion.any(), untagged("B")),
                            part("a", ExpectedVersion.any(), untagged("C")))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("a")
                    .hasMessageContaining("twice");
            assertUnchanged(store(), before);
        }

        @Test
        void a_call_without_parts_is_refused() {
            assertThatThrownBy(() -> store().append(List.of()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("part");
            assertThatThrownBy(() -> store().append(List.of(), AppendCondition.noEventsMatch(Query.all())))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(readAllOf(store())).isEmpty();
        }

        @Test
        void a_part_without_events_is_refused() {
            assertThatThrownBy(() -> store().append(List.of(
                            part("a", ExpectedVersion.any(), untagged("A")),
                            new StreamAppend("b", ExpectedVersion.any(), List.of()))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("b");
            assertThat(readAllOf(store())).isEmpty();
        }

        @Test
        void the_same_event_id_in_two_parts_is_refused() {
            EventData shared = untagged("Shared");

            assertThatThrownBy(() -> store().append(List.of(
                            part("a", ExpectedVersion.any(), untagged("A"), shared),
                            part("b", ExpectedVersion.any(), shared))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(shared.eventId().toString());
            assertThat(readAllOf(store())).isEmpty();
            assertThat(store().currentVersion("a")).isZero();
        }

        @Test
        void more_events_in_all_than_the_limit_are_refused_and_the_limit_is_fine() {
            EventStore limited = open(AppendLimits.defaults().withMaxEventsPerAppend(5));

            assertThatThrownBy(() -> limited.append(List.of(
                            part("a", ExpectedVersion.any(), untagged("A"), untagged("A"), untagged("A")),
                            part("b", ExpectedVersion.any(), untagged("B"), untagged("B"), untagged("B")))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("5");
            assertThatThrownBy(() -> limited.append(
                            List.of(
                                    part("a", ExpectedVersion.any(), untagged("A"), untagged("A")),
                                    part("b", ExpectedVersion.any(), untagged("B"), untagged("B")),
                                    part("c", ExpectedVersion.any(), untagged("C"), untagged("C"))),
                            AppendCondition.noEventsMatch(tagQuery("nothing"))))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(readAllOf(limited)).isEmpty();

            List<AppendResult> ok = limited.append(List.of(
                    part("a", ExpectedVersion.any(), untagged("A"), untagged("A")),
                    part("b", ExpectedVersion.any(), untagged("B"), untagged("B"), untagged("B"))));
            assertThat(ok).extracting(AppendResult::version).containsExactly(2L, 3L);
            assertThat(readAllOf(limited)).hasSize(5);
        }

        @Test
        void bad_input_in_a_later_part_writes_nothing_of_the_earlier_ones() {
            Held before = held(store(), "good", "bad");

            assertThatThrownBy(() -> store().append(List.of(
                            part("good", ExpectedVersion.any(), untagged("Fine")),
                            part("bad", ExpectedVersion.any(), EventData.of("Broken", "{not json")))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("JSON");
            assertThatThrownBy(() -> store().append(List.of(
                            part("good", ExpectedVersion.any(), untagged("Fine")),
                            part(" ", ExpectedVersion.any(), untagged("Fine")))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("stream id");
            assertUnchanged(store(), before);
        }

        @Test
        void nulls_are_refused() {
            assertThatThrownBy(() -> store().append((List<StreamAppend>) null))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(
                            () -> store().append(Arrays.asList(part("a", ExpectedVersion.any(), untagged("A")), null)))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> store().append(List.of(part("a", ExpectedVersion.any(), untagged("A"))), null))
                    .isInstanceOf(NullPointerException.class);
            assertThat(readAllOf(store())).isEmpty();
        }

        @Test
        void repeating_a_call_returns_the_original_results_and_writes_nothing() {
            store().append("b", ExpectedVersion.any(), counted(2));
            List<StreamAppend> call = List.of(
                    part("a", ExpectedVersion.noStream(), untagged("A1"), untagged("A2")),
                    part("b", ExpectedVersion.exactly(2), untagged("B3")));
            List<AppendResult> first = store().append(call);
            store().append("a", ExpectedVersion.any(), counted(1)); // later writes do not matter
            store().append("b", ExpectedVersion.any(), counted(1));
            Held before = held(store(), "a", "b");

            List<AppendResult> again = store().append(call);

            assertThat(again).isEqualTo(first);
            assertUnchanged(store(), before);
            assertThat(readAllOf(store())).hasSize(7);
        }

        @Test
        void a_call_whose_parts_were_stored_by_one_stream_appends_is_a_repeat() {
            List<EventData> a = List.of(untagged("A1"), untagged("A2"));
            List<EventData> b = List.of(untagged("B1"));
            AppendResult ra = store().append("a", ExpectedVersion.any(), a);
            AppendResult rb = store().append("b", ExpectedVersion.any(), b);

            List<AppendResult> again = store().append(List.of(
                    new StreamAppend("a", ExpectedVersion.any(), a), new StreamAppend("b", ExpectedVersion.any(), b)));

            assertThat(again).containsExactly(ra, rb);
            assertThat(readAllOf(store())).hasSize(3);
        }

        @Test
        void a_call_with_only_some_parts_stored_fails_and_writes_nothing() {
            StreamAppend storedPart = part("a", ExpectedVersion.any(), untagged("A1"), untagged("A2"));
            store().append(List.of(storedPart));
            StreamAppend newPart = part("b", ExpectedVersion.any(), untagged("B1"));
            Held before = held(store(), "a", "b");

            for (List<StreamAppend> call : List.of(List.of(storedPart, newPart), List.of(newPart, storedPart))) {
                Throwable thrown = catchThrowable(() -> store().append(call));
                assertThat(thrown)
                        .isInstanceOf(EventStoreException.class)
                        .isNotInstanceOf(WrongExpectedVersionException.class)
                        .isNotInstanceOf(AppendConditionFailedException.class);
                assertUnchanged(store(), before);
                assertThat(catchThrowable(
                                () -> store().append(call, AppendCondition.noEventsMatch(tagQuery("nothing")))))
                        .isInstanceOf(EventStoreException.class)
                        .isNotInstanceOf(AppendConditionFailedException.class);
                assertUnchanged(store(), before);
            }
        }

        @Test
        void a_call_whose_part_repeats_only_some_of_its_ids_fails_and_writes_nothing() {
            EventData a1 = untagged("A1");
            store().append(List.of(part("a", ExpectedVersion.any(), a1)));
            Held before = held(store(), "a", "b");

            assertThat(catchThrowable(() -> store().append(List.of(
                            part("a", ExpectedVersion.any(), a1, untagged("A2")),
                            part("b", ExpectedVersion.any(), untagged("B1"))))))
                    .isInstanceOf(EventStoreException.class)
                    .isNotInstanceOf(WrongExpectedVersionException.class);
            assertUnchanged(store(), before);
        }

        @Test
        void repeating_a_conditional_call_succeeds_though_its_own_events_now_match_its_condition() {
            Query nameTaken = tagQuery("name:green tea");
            store().append("other", ExpectedVersion.any(), List.of(tagged("Unrelated", "name:black tea")));
            AppendCondition condition = new AppendCondition(nameTaken, 0);
            List<StreamAppend> call = List.of(
                    part("product-1", ExpectedVersion.noStream(), tagged("ProductCreated", "name:green tea")),
                    part("catalogue", ExpectedVersion.any(), tagged("ProductListed", "name:green tea", "shelf:1")));
            List<AppendResult> first = store().append(call, condition);
            Held before = held(store(), "product-1", "catalogue");

            List<AppendResult> again = store().append(call, condition);

            assertThat(again).isEqualTo(first);
            assertUnchanged(store(), before);
            // the same decision with new event ids is a new call, and fails on the first one's events
            Throwable fresh = catchThrowable(() -> store().append(
                            List.of(part(
                                    "product-2",
                                    ExpectedVersion.noStream(),
                                    tagged("ProductCreated", "name:green tea"))),
                            condition));
            assertThat(fresh)
                    .isInstanceOfSatisfying(
                            AppendConditionFailedException.class,
                            e -> assertThat(e.conflictingPosition())
                                    .isIn(first.get(0).position(), first.get(1).position()));
            assertUnchanged(store(), before);
        }
    }

    // ---------------------------------------------------------------- read by query

    @Nested
    class Reading_by_query {

        private final Map<String, RecordedEvent> byName = new HashMap<>();

        /**
         * The catalogue: p1 ProductCreated{product:tea,name:green tea}, p2 PriceChanged{product:tea},
         * p3 ProductCreated{product:coffee,name:espresso}, p4 PriceChanged{product:coffee},
         * o1 OrderPlaced{product:tea,customer:ann}, o2 OrderPlaced{product:coffee,customer:ann},
         * a1 Audited{}.
         */
        private void catalogue() {
            store().append(
                            "product-tea",
                            ExpectedVersion.noStream(),
                            List.of(
                                    tagged("ProductCreated", "product:tea", "name:green tea"),
                                    tagged("PriceChanged", "product:tea")));
            store().append(List.of(
                    part(
                            "product-coffee",
                            ExpectedVersion.noStream(),
                            tagged("ProductCreated", "product:coffee", "name:espresso"),
                            tagged("PriceChanged", "product:coffee")),
                    part(
                            "order-1",
                            ExpectedVersion.noStream(),
                            tagged("OrderPlaced", "product:tea", "customer:ann"),
                            tagged("OrderPlaced", "product:coffee", "customer:ann"))));
            store().append("audit", ExpectedVersion.noStream(), List.of(untagged("Audited")));
            List<String> names = List.of("p1", "p2", "p3", "p4", "o1", "o2", "a1");
            List<RecordedEvent> all = readAllOf(store());
            assertThat(all).hasSize(names.size());
            for (int i = 0; i < names.size(); i++) {
                byName.put(names.get(i), all.get(i));
            }
        }

        private List<UUID> named(String... names) {
            return Arrays.stream(names).map(n -> byName.get(n).eventId()).toList();
        }

        private List<UUID> readIds(Query query) {
            return ids(store().read(query, 0, 100));
        }

        @Test
        void by_type() {
            catalogue();

            assertThat(readIds(Query.of(QueryItem.types("PriceChanged")))).containsExactlyElementsOf(named("p2", "p4"));
            assertThat(readIds(Query.of(QueryItem.types("ProductCreated", "OrderPlaced"))))
                    .containsExactlyElementsOf(named("p1", "p3", "o1", "o2"));
            assertThat(readIds(Query.of(QueryItem.types("Nothing")))).isEmpty();
        }

        @Test
        void by_tag() {
            catalogue();

            assertThat(readIds(tagQuery("product:tea"))).containsExactlyElementsOf(named("p1", "p2", "o1"));
            assertThat(readIds(tagQuery("customer:ann"))).containsExactlyElementsOf(named("o1", "o2"));
            assertThat(readIds(tagQuery("customer:bob"))).isEmpty();
        }

        @Test
        void an_item_with_several_tags_matches_only_events_carrying_all_of_them() {
            catalogue();

            assertThat(readIds(tagQuery("product:tea", "customer:ann"))).containsExactlyElementsOf(named("o1"));
            assertThat(readIds(tagQuery("product:tea", "name:green tea"))).containsExactlyElementsOf(named("p1"));
            assertThat(readIds(tagQuery("product:tea", "product:coffee"))).isEmpty();
            assertThat(readIds(tagQuery("product:tea", "customer:bob"))).isEmpty();
        }

        @Test
        void several_items_are_alternatives() {
            catalogue();

            assertThat(readIds(Query.of(QueryItem.tags("name:espresso"), QueryItem.types("Audited"))))
                    .containsExactlyElementsOf(named("p3", "a1"));
            assertThat(readIds(Query.of(
                            QueryItem.tags("customer:ann", "product:coffee"), QueryItem.tags("name:green tea"))))
                    .containsExactlyElementsOf(named("p1", "o2"));
        }

        @Test
        void an_event_matching_several_items_is_returned_once() {
            catalogue();

            assertThat(readIds(Query.of(
                            QueryItem.tags("product:tea"),
                            QueryItem.types("ProductCreated"),
                            QueryItem.tags("name:green tea"))))
                    .containsExactlyElementsOf(named("p1", "p2", "p3", "o1"));
        }

        @Test
        void types_and_tags_of_one_item_must_both_match() {
            catalogue();

            assertThat(readIds(Query.of(QueryItem.of(Set.of("PriceChanged"), Set.of("product:tea")))))
                    .containsExactlyElementsOf(named("p2"));
            assertThat(readIds(Query.of(QueryItem.of(Set.of("PriceChanged", "OrderPlaced"), Set.of("product:coffee")))))
                    .containsExactlyElementsOf(named("p4", "o2"));
            assertThat(readIds(Query.of(QueryItem.of(Set.of("Audited"), Set.of("product:tea")))))
                    .isEmpty();
            assertThat(readIds(Query.of(QueryItem.of(Set.of("OrderPlaced"), Set.of("product:tea", "customer:ann")))))
                    .containsExactlyElementsOf(named("o1"));
        }

        @Test
        void after_position_and_max_count_page_through_the_matches() {
            catalogue();
            Query tea = tagQuery("product:tea");

            assertThat(ids(store().read(tea, 0, 2))).containsExactlyElementsOf(named("p1", "p2"));
            assertThat(ids(store().read(tea, byName.get("p2").position(), 2))).containsExactlyElementsOf(named("o1"));
            assertThat(ids(store().read(tea, byName.get("p1").position(), 1))).containsExactlyElementsOf(named("p2"));
            // after a position that holds no match
            assertThat(ids(store().read(tea, byName.get("p3").position(), 10))).containsExactlyElementsOf(named("o1"));
            assertThat(store().read(tea, byName.get("o1").position(), 10)).isEmpty();
            assertThat(store().read(tea, byName.get("a1").position() + 1000, 10))
                    .isEmpty();
            // max count counts matches, not the events passed over
            assertThat(ids(store().read(Query.of(QueryItem.types("OrderPlaced")), 0, 1)))
                    .containsExactlyElementsOf(named("o1"));

            List<RecordedEvent> paged = new ArrayList<>();
            long after = 0;
            for (List<RecordedEvent> page = store().read(tea, after, 1);
                    !page.isEmpty();
                    page = store().read(tea, after, 1)) {
                assertThat(page).hasSize(1);
                paged.addAll(page);
                after = page.get(0).position();
            }
            assertThat(paged).isEqualTo(store().read(tea, 0, 100));
        }

        @Test
        void read_returns_the_same_events_as_read_all() {
            catalogue();

            List<RecordedEvent> matched = store().read(tagQuery("product:coffee"), 0, 10);
            assertThat(matched).containsExactly(byName.get("p3"), byName.get("p4"), byName.get("o2"));
        }

        @Test
        void the_query_of_all_events_reads_what_read_all_reads() {
            catalogue();
            store().append("more", ExpectedVersion.any(), counted(5));
            List<RecordedEvent> all = readAllOf(store());
            List<Long> afters = new ArrayList<>(
                    List.of(0L, 1L, all.get(2).position(), all.get(5).position()));
            afters.add(lastPosition(all) - 1);
            afters.add(lastPosition(all));
            afters.add(lastPosition(all) + 10);

            for (long after : afters) {
                for (int max : new int[] {1, 2, 3, 5, 100}) {
                    assertThat(store().read(Query.all(), after, max))
                            .as("read(all, %d, %d)", after, max)
                            .isEqualTo(store().readAll(after, max));
                    assertThat(store().read(Query.of(QueryItem.any()), after, max))
                            .as("read(any, %d, %d)", after, max)
                            .isEqualTo(store().readAll(after, max));
                }
            }
        }

        @Test
        void an_item_without_types_and_tags_matches_every_event_even_beside_other_items() {
            catalogue();

            assertThat(store().read(Query.of(QueryItem.tags("customer:ann"), QueryItem.any()), 0, 100))
                    .isEqualTo(readAllOf(store()));
            assertThat(store().read(Query.of(QueryItem.of(Set.of(), Set.of())), 0, 100))
                    .isEqualTo(readAllOf(store()));
        }

        @Test
        void an_empty_store_reads_nothing() {
            assertThat(store().read(Query.all(), 0, 10)).isEmpty();
            assertThat(store().read(tagQuery("x"), 0, 10)).isEmpty();
        }

        @Test
        void reads_agree_with_the_matching_rule_on_a_mixed_log() {
            Random random = new Random(42);
            List<String> types = List.of("A", "B", "C");
            List<String> tags = List.of("t1", "t2", "t3", "t4");
            for (int i = 0; i < 80; i++) {
                Set<String> chosen = new HashSet<>();
                for (String tag : tags) {
                    if (random.nextInt(3) == 0) {
                        chosen.add(tag);
                    }
                }
                EventData e = new EventData(
                        UUID.randomUUID(), types.get(random.nextInt(3)), "{\"i\":" + i + "}", Map.of(), chosen);
                if (i % 4 == 0) {
                    store().append(List.of(
                            part("m-" + (i % 5), ExpectedVersion.any(), e),
                            part("n-" + (i % 3), ExpectedVersion.any(), untagged("C"))));
                } else {
                    store().append("m-" + (i % 5), ExpectedVersion.any(), List.of(e));
                }
            }
            List<RecordedEvent> all = readAllOf(store());
            List<Query> queries = List.of(
                    Query.of(QueryItem.types("A")),
                    Query.of(QueryItem.tags("t1")),
                    Query.of(QueryItem.tags("t1", "t2")),
                    Query.of(QueryItem.tags("t1", "t2", "t3")),
                    Query.of(QueryItem.of(Set.of("A", "B"), Set.of("t3"))),
                    Query.of(QueryItem.tags("t4"), QueryItem.types("B")),
                    Query.of(QueryItem.of(Set.of("C"), Set.of("t1", "t4")), QueryItem.tags("t2", "t3")),
                    Query.of(QueryItem.tags("t1"), QueryItem.tags("t2"), QueryItem.tags("t3"), QueryItem.tags("t4")));
            for (Query query : queries) {
                List<RecordedEvent> expected =
                        all.stream().filter(e -> expectedMatch(query, e)).toList();
                assertThat(expected).as("the log exercises %s", query).isNotEmpty();
                assertThat(store().read(query, 0, 1000)).as("%s", query).isEqualTo(expected);
                for (int max : new int[] {1, 3, 7}) {
                    List<RecordedEvent> paged = new ArrayList<>();
                    long after = 0;
                    while (true) {
                        List<RecordedEvent> page = store().read(query, after, max);
                        assertThat(page.size()).isLessThanOrEqualTo(max);
                        if (page.isEmpty()) {
                            break;
                        }
                        paged.addAll(page);
                        after = lastPosition(page);
                    }
                    assertThat(paged).as("%s by pages of %d", query, max).isEqualTo(expected);
                }
                long middle = all.get(all.size() / 2).position();
                assertThat(store().read(query, middle, 1000))
                        .as("%s after %d", query, middle)
                        .isEqualTo(expected.stream()
                                .filter(e -> e.position() > middle)
                                .toList());
            }
        }

        @Test
        void bad_arguments_are_refused() {
            catalogue();

            assertThatThrownBy(() -> store().read(Query.all(), -1, 10))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("afterPosition");
            assertThatThrownBy(() -> store().read(tagQuery("product:tea"), 0, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("maxCount");
            assertThatThrownBy(() -> store().read(tagQuery("product:tea"), 0, -5))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("maxCount");
            assertThatThrownBy(() -> store().read(null, 0, 10)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> new Query(List.of())).isInstanceOf(IllegalArgumentException.class);
        }
    }

    // ---------------------------------------------------------------- append conditions

    @Nested
    class Wide_appends {

        @Test
        @Timeout(120)
        void an_import_of_thousands_of_events_each_with_tags_of_its_own_lands_and_is_found_by_tag() {
            EventStore s = open(AppendLimits.defaults());
            List<EventData> events = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                events.add(EventData.of("Imported", "{}").withTags("product:" + i, "name:n" + i));
            }

            s.append("import", ExpectedVersion.noStream(), events);

            assertThat(s.read(Query.of(QueryItem.tags("name:n4321")), 0, 10))
                    .extracting(RecordedEvent::version)
                    .containsExactly(4322L);
        }

        @Test
        void events_of_many_types_and_a_condition_of_many_tags_are_appended_and_checked() {
            EventStore s = store();
            List<EventData> events = new ArrayList<>();
            List<QueryItem> items = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                events.add(EventData.of("Type" + i, "{}"));
                items.add(QueryItem.tags("seat:" + i));
            }
            s.append("many-types", ExpectedVersion.noStream(), events);
            AppendResult taken = s.append(
                    "seat-holder",
                    ExpectedVersion.noStream(),
                    List.of(EventData.of("Taken", "{}").withTags("seat:59")));

            assertThat(s.read(Query.of(QueryItem.types("Type59")), 0, 10)).hasSize(1);
            assertThatThrownBy(() -> s.append(
                            List.of(new StreamAppend(
                                    "late", ExpectedVersion.noStream(), List.of(EventData.of("Taken", "{}")))),
                            new AppendCondition(new Query(items), 0)))
                    .isInstanceOf(AppendConditionFailedException.class)
                    .extracting(e -> ((AppendConditionFailedException) e).conflictingPosition())
                    .isEqualTo(taken.position());
            assertThat(s.append(
                            List.of(new StreamAppend(
                                    "late", ExpectedVersion.noStream(), List.of(EventData.of("Taken", "{}")))),
                            new AppendCondition(new Query(items), taken.position())))
                    .hasSize(1);
        }
    }

    @Nested
    class The_largest_query {

        /** 100 items of 100 types and 100 tags each; item {@code hit} names what one event is. */
        private Query largest(int hit) {
            List<QueryItem> items = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                java.util.Set<String> types = new java.util.TreeSet<>();
                java.util.Set<String> tags = new java.util.TreeSet<>();
                for (int j = 0; j < 100; j++) {
                    types.add("T" + i + "-" + j);
                    tags.add("t" + i + "-" + j);
                }
                if (i == hit) {
                    types.add("Hit");
                    types.remove("T" + i + "-0");
                }
                items.add(new QueryItem(types, tags));
            }
            return new Query(items);
        }

        @Test
        @Timeout(120)
        void is_read_and_checked_as_a_condition_on_every_store() {
            EventStore s = store();
            java.util.Set<String> all = new java.util.TreeSet<>();
            for (int j = 0; j < 100; j++) {
                all.add("t42-" + j);
            }
            s.append(
                    "noise",
                    ExpectedVersion.any(),
                    List.of(EventData.of("Hit", "{}").withTags("t42-0")));
            AppendResult hit = s.append(
                    "hit",
                    ExpectedVersion.noStream(),
                    List.of(EventData.of("Hit", "{}").withTags(all)));

            assertThat(s.read(largest(42), 0, 10))
                    .extracting(RecordedEvent::position)
                    .containsExactly(hit.position());
            assertThatThrownBy(() -> s.append(
                            List.of(new StreamAppend(
                                    "late", ExpectedVersion.noStream(), List.of(EventData.of("Other", "{}")))),
                            new AppendCondition(largest(42), 0)))
                    .isInstanceOf(AppendConditionFailedException.class);
            assertThat(s.append(
                            List.of(new StreamAppend(
                                    "late", ExpectedVersion.noStream(), List.of(EventData.of("Other", "{}")))),
                            new AppendCondition(largest(7), 0)))
                    .hasSize(1);
        }
    }

    @Nested
    class Append_conditions {

        private final Query nameTaken = tagQuery("name:green tea");

        private List<StreamAppend> claim(String streamId) {
            return List.of(part(streamId, ExpectedVersion.any(), tagged("ProductCreated", "name:green tea")));
        }

        @Test
        void fails_writing_nothing_when_a_matching_event_was_stored_after_the_position() {
            store().append("noise", ExpectedVersion.any(), List.of(tagged("ProductCreated", "name:black tea")));
            List<RecordedEvent> seen = store().read(nameTaken, 0, 100);
            assertThat(seen).isEmpty();
            AppendCondition condition = new AppendCondition(nameTaken, lastPosition(seen));
            // another writer takes the name, then unrelated events follow
            store().append("product-1", ExpectedVersion.any(), List.of(tagged("ProductCreated", "name:green tea")));
            long taken = lastPosition(readAllOf(store()));
            store().append("noise", ExpectedVersion.any(), List.of(tagged("ProductCreated", "name:oolong")));
            Held before = held(store(), "product-2", "catalogue");

            Throwable thrown = catchThrowable(() -> store().append(
                            List.of(
                                    part(
                                            "product-2",
                                            ExpectedVersion.noStream(),
                                            tagged("ProductCreated", "name:green tea")),
                                    part("catalogue", ExpectedVersion.any(), untagged("Listed"))),
                            condition));

            assertThat(thrown).isInstanceOfSatisfying(AppendConditionFailedException.class, e -> {
                assertThat(e.conflictingPosition()).isEqualTo(taken);
                assertThat(e.condition()).isEqualTo(condition);
                assertThat(e).isInstanceOf(EventStoreException.class);
            });
            assertUnchanged(store(), before);
        }

        @Test
        void fails_when_the_matching_event_is_just_after_the_position() {
            store().append("first", ExpectedVersion.any(), List.of(tagged("ProductCreated", "name:green tea")));
            List<RecordedEvent> seen = store().read(nameTaken, 0, 100);
            store().append("second", ExpectedVersion.any(), List.of(tagged("ProductRenamed", "name:green tea")));
            long second = lastPosition(readAllOf(store()));
            Held before = held(store(), "third");

            assertThatThrownBy(() -> store().append(claim("third"), new AppendCondition(nameTaken, lastPosition(seen))))
                    .isInstanceOfSatisfying(
                            AppendConditionFailedException.class,
                            e -> assertThat(e.conflictingPosition()).isEqualTo(second));
            assertUnchanged(store(), before);
        }

        @Test
        void succeeds_when_every_matching_event_is_at_or_before_the_position() {
            store().append("p1", ExpectedVersion.any(), List.of(tagged("ProductCreated", "name:green tea")));
            store().append("p2", ExpectedVersion.any(), List.of(tagged("ProductDeleted", "name:green tea")));
            List<RecordedEvent> seen = store().read(nameTaken, 0, 100);
            assertThat(seen).hasSize(2);

            List<AppendResult> results =
                    store().append(claim("p3"), new AppendCondition(nameTaken, lastPosition(seen)));

            assertThat(results)
                    .singleElement()
                    .satisfies(r -> assertThat(r.version()).isEqualTo(1));
            assertThat(store().read(nameTaken, 0, 100)).hasSize(3);
            // a position beyond every matching event, past the end of the log, holds too
            store().append(claim("p4"), new AppendCondition(nameTaken, lastPosition(readAllOf(store())) + 100));
            assertThat(store().read(nameTaken, 0, 100)).hasSize(4);
        }

        @Test
        void succeeds_when_only_events_that_do_not_match_came_after_the_position() {
            store().append("p1", ExpectedVersion.any(), List.of(tagged("ProductCreated", "name:green tea")));
            Query created = Query.of(QueryItem.of(Set.of("ProductCreated"), Set.of("name:green tea")));
            Query createdInShop = Query.of(QueryItem.of(Set.of("ProductCreated"), Set.of("name:green tea", "shop:1")));
            Query deletedOrOolong = Query.of(QueryItem.types("ProductDeleted"), QueryItem.tags("name:oolong"));
            long seenCreated = lastPosition(store().read(created, 0, 100));
            long seenInShop = lastPosition(store().read(createdInShop, 0, 100));
            assertThat(seenCreated).isPositive();
            assertThat(seenInShop).isZero();
            store().append(
                            "other",
                            ExpectedVersion.any(),
                            List.of(
                                    tagged("ProductCreated", "name:black tea"), // another tag
                                    tagged("ProductCreated", "name:Green Tea"), // another tag, by case
                                    tagged("ProductCreated", "shop:1"), // one of the two tags only
                                    tagged("ProductRenamed", "name:green tea", "shop:1"), // another type
                                    untagged("ProductCreated"))); // no tag at all

            store().append(claim("p2"), new AppendCondition(created, seenCreated));
            store().append(
                            List.of(part("p3", ExpectedVersion.any(), untagged("Whatever"))),
                            new AppendCondition(createdInShop, seenInShop));
            store().append(
                            List.of(part("p4", ExpectedVersion.any(), untagged("Whatever"))),
                            new AppendCondition(deletedOrOolong, 0));

            assertThat(store().currentVersion("p2")).isEqualTo(1);
            assertThat(store().currentVersion("p3")).isEqualTo(1);
            assertThat(store().currentVersion("p4")).isEqualTo(1);
        }

        @Test
        void the_call_own_events_never_fail_its_condition() {
            AppendCondition condition = AppendCondition.noEventsMatch(nameTaken);

            List<AppendResult> first = store().append(
                            List.of(
                                    part(
                                            "product-1",
                                            ExpectedVersion.noStream(),
                                            tagged("ProductCreated", "name:green tea")),
                                    part("names", ExpectedVersion.any(), tagged("NameReserved", "name:green tea"))),
                            condition);

            assertThat(first).hasSize(2);
            assertThat(store().read(nameTaken, 0, 10)).hasSize(2);
            assertThatThrownBy(() -> store().append(claim("product-2"), condition))
                    .isInstanceOfSatisfying(
                            AppendConditionFailedException.class,
                            e -> assertThat(e.conflictingPosition())
                                    .isIn(first.get(0).position(), first.get(1).position()));
            assertThat(store().read(nameTaken, 0, 10)).hasSize(2);
        }

        @Test
        void position_0_with_no_matching_event_succeeds() {
            store().append(
                            "noise",
                            ExpectedVersion.any(),
                            List.of(tagged("ProductCreated", "name:black tea"), untagged("X")));

            List<AppendResult> results = store().append(claim("p1"), new AppendCondition(nameTaken, 0));

            assertThat(results)
                    .singleElement()
                    .satisfies(r -> assertThat(r.position()).isEqualTo(lastPosition(readAllOf(store()))));
            assertThat(store().read(nameTaken, 0, 10)).hasSize(1);
        }

        @Test
        void a_condition_on_an_empty_store_succeeds() {
            assertThat(store().append(claim("p1"), AppendCondition.noEventsMatch(Query.all())))
                    .hasSize(1);
            assertThatThrownBy(() -> store().append(claim("p2"), AppendCondition.noEventsMatch(Query.all())))
                    .isInstanceOf(AppendConditionFailedException.class);
        }

        @Test
        void a_condition_by_type_fails_on_an_event_of_that_type_whatever_its_tags() {
            Query deletions = Query.of(QueryItem.types("ProductDeleted"));
            store().append("p1", ExpectedVersion.any(), List.of(untagged("ProductCreated")));
            long seen = lastPosition(store().read(deletions, 0, 10));
            store().append("p1", ExpectedVersion.any(), List.of(tagged("ProductDeleted", "x", "y")));
            long deleted = lastPosition(readAllOf(store()));

            assertThatThrownBy(() -> store().append(claim("p2"), new AppendCondition(deletions, seen)))
                    .isInstanceOfSatisfying(
                            AppendConditionFailedException.class,
                            e -> assertThat(e.conflictingPosition()).isEqualTo(deleted));
            assertThat(store().currentVersion("p2")).isZero();
        }

        @Test
        void a_condition_of_several_items_fails_on_a_match_of_any_item() {
            Query rule = Query.of(QueryItem.tags("name:green tea"), QueryItem.types("CatalogueClosed"));
            store().append("catalogue", ExpectedVersion.any(), List.of(untagged("CatalogueClosed")));
            long closed = lastPosition(readAllOf(store()));

            assertThatThrownBy(() -> store().append(claim("p1"), new AppendCondition(rule, 0)))
                    .isInstanceOfSatisfying(
                            AppendConditionFailedException.class,
                            e -> assertThat(e.conflictingPosition()).isEqualTo(closed));
            assertThat(store().append(claim("p1"), new AppendCondition(rule, closed)))
                    .hasSize(1);
        }

        @Test
        void a_failed_decision_read_again_succeeds() {
            store().append("p1", ExpectedVersion.any(), List.of(tagged("SeatTaken", "course:c1")));
            AppendCondition stale = AppendCondition.noEventsMatch(tagQuery("course:c1"));
            assertThatThrownBy(() -> store().append(
                                    List.of(part("p2", ExpectedVersion.any(), tagged("SeatTaken", "course:c1"))),
                                    stale))
                    .isInstanceOf(AppendConditionFailedException.class);

            List<RecordedEvent> seen = store().read(tagQuery("course:c1"), 0, 10);
            List<AppendResult> retried = store().append(
                            List.of(part("p2", ExpectedVersion.any(), tagged("SeatTaken", "course:c1"))),
                            new AppendCondition(tagQuery("course:c1"), lastPosition(seen)));

            assertThat(retried).hasSize(1);
            assertThat(store().read(tagQuery("course:c1"), 0, 10)).hasSize(2);
        }

        @Test
        void an_unconditional_append_is_not_held_back_by_matching_events() {
            store().append(claim("p1"));
            store().append(claim("p2"));

            assertThat(store().read(nameTaken, 0, 10)).hasSize(2);
        }

        @Test
        void a_negative_position_is_refused() {
            assertThatThrownBy(() -> new AppendCondition(nameTaken, -1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("afterPosition");
            assertThatThrownBy(() -> new AppendCondition(null, 0)).isInstanceOf(NullPointerException.class);
        }
    }

    // ---------------------------------------------------------------- races

    @Nested
    class Races {

        private enum Outcome {
            WON,
            REFUSED,
            SAW_IT_TAKEN
        }

        private record Attempt(Outcome outcome, UUID eventId, long position) {}

        @Test
        @Timeout(120)
        void sixteen_deciders_claiming_one_name_one_wins_every_round() throws Exception {
            int threads = 16;
            int rounds = raceRounds();
            EventStore s = store();
            s.append("noise", ExpectedVersion.any(), List.of(tagged("NameClaimed", "name:other")));
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CyclicBarrier decided = new CyclicBarrier(threads);
            Map<Integer, UUID> winners = new HashMap<>();
            try {
                for (int round = 0; round < rounds; round++) {
                    String tag = "name:round-" + round;
                    Query query = tagQuery(tag);
                    List<Future<Attempt>> attempts = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        String streamId = "claimant-" + t;
                        attempts.add(pool.submit(() -> {
                            List<RecordedEvent> seen = s.read(query, 0, 10);
                            // everyone has read before anyone appends: they all race on the same view
                            decided.await(30, TimeUnit.SECONDS);
                            if (!seen.isEmpty()) {
                                return new Attempt(Outcome.SAW_IT_TAKEN, null, 0);
                            }
                            EventData claim = tagged("NameClaimed", tag);
                            try {
                                List<AppendResult> r = s.append(
                                        List.of(part(streamId, ExpectedVersion.any(), claim)),
                                        new AppendCondition(query, lastPosition(seen)));
                                return new Attempt(
                                        Outcome.WON, claim.eventId(), r.get(0).position());
                            } catch (AppendConditionFailedException lost) {
                                return new Attempt(Outcome.REFUSED, claim.eventId(), lost.conflictingPosition());
                            }
                        }));
                    }
                    List<Attempt> done = new ArrayList<>();
                    for (Future<Attempt> f : attempts) {
                        done.add(f.get(60, TimeUnit.SECONDS));
                    }
                    List<Attempt> won = done.stream()
                            .filter(a -> a.outcome() == Outcome.WON)
                            .toList();
                    assertThat(won).as("winners of round %d", round).hasSize(1);
                    assertThat(done)
                            .as("the others of round %d are refused by the condition", round)
                            .filteredOn(a -> a.outcome() == Outcome.REFUSED)
                            .hasSize(threads - 1)
                            .allSatisfy(a -> assertThat(a.position())
                                    .as("conflicting position")
                                    .isEqualTo(won.get(0).position()));
                    winners.put(round, won.get(0).eventId());
                }
            } finally {
                pool.shutdownNow();
            }

            for (int round = 0; round < rounds; round++) {
                assertThat(ids(s.read(tagQuery("name:round-" + round), 0, 10)))
                        .as("claims of round %d", round)
                        .containsExactly(winners.get(round));
            }
            assertThat(readAllMatching(s, Query.of(QueryItem.types("NameClaimed"))))
                    .hasSize(rounds + 1);
            assertThat(readAllOf(s)).hasSize(rounds + 1);
        }

        @Test
        @Timeout(120)
        void claimants_of_a_course_never_take_more_seats_than_it_has() throws Exception {
            int seats = 5;
            int claimants = 4 * seats;
            int rounds = Math.max(5, raceRounds() / 20);
            EventStore s = store();
            ExecutorService pool = Executors.newFixedThreadPool(claimants);
            CyclicBarrier start = new CyclicBarrier(claimants);
            AtomicInteger refusals = new AtomicInteger();
            try {
                for (int round = 0; round < rounds; round++) {
                    String course = "course:c" + round;
                    Query query = tagQuery(course);
                    Set<Long> conflicts = ConcurrentHashMap.newKeySet();
                    List<Future<Attempt>> attempts = new ArrayList<>();
                    for (int c = 0; c < claimants; c++) {
                        String student = "s" + c;
                        attempts.add(pool.submit(() -> {
                            List<RecordedEvent> taken = readAllMatching(s, query);
                            // every claimant takes its first decision on the same view: they all race
                            start.await(30, TimeUnit.SECONDS);
                            for (int attempt = 0; attempt < 10_000; attempt++) {
                                if (attempt > 0) {
                                    taken = readAllMatching(s, query);
                                }
                                if (taken.size() >= seats) {
                                    return new Attempt(Outcome.SAW_IT_TAKEN, null, 0);
                                }
                                long after = lastPosition(taken);
                                EventData seat = tagged("SeatTaken", course, "student:" + student);
                                try {
                                    List<AppendResult> r = s.append(
                                            List.of(part("student-" + student, ExpectedVersion.any(), seat)),
                                            new AppendCondition(query, after));
                                    return new Attempt(
                                            Outcome.WON,
                                            seat.eventId(),
                                            r.get(0).position());
                                } catch (AppendConditionFailedException lost) {
                                    assertThat(lost.conflictingPosition()).isGreaterThan(after);
                                    conflicts.add(lost.conflictingPosition());
                                    refusals.incrementAndGet();
                                }
                            }
                            return fail("no progress after 10,000 attempts");
                        }));
                    }
                    List<Attempt> done = new ArrayList<>();
                    for (Future<Attempt> f : attempts) {
                        done.add(f.get(100, TimeUnit.SECONDS));
                    }
                    List<RecordedEvent> taken = readAllMatching(s, query);
                    assertThat(taken).as("seats taken in %s", course).hasSize(seats);
                    assertThat(ids(taken))
                            .containsExactlyInAnyOrderElementsOf(done.stream()
                                    .filter(a -> a.outcome() == Outcome.WON)
                                    .map(Attempt::eventId)
                                    .toList());
                    assertThat(taken)
                            .extracting(RecordedEvent::streamId)
                            .as("one seat per student")
                            .doesNotHaveDuplicates();
                    assertThat(conflicts)
                            .as("every conflicting position is a seat of %s", course)
                            .isSubsetOf(
                                    taken.stream().map(RecordedEvent::position).toList());
                }
            } finally {
                pool.shutdownNow();
            }

            assertThat(readAllOf(s)).hasSize(seats * rounds);
            assertThat(refusals.get()).as("the race was contended").isPositive();
        }

        @Test
        @Timeout(120)
        void appends_with_disjoint_conditions_never_fail_each_other() throws Exception {
            int threads = 8;
            int appendsPerThread = Math.max(50, raceRounds() / 2);
            EventStore s = store();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CyclicBarrier start = new CyclicBarrier(threads);
            AtomicInteger refused = new AtomicInteger();
            Map<Integer, List<Long>> positions = new ConcurrentHashMap<>();
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    // even threads decide on their own tag, odd threads on their own type; all share nothing
                    Query own = thread % 2 == 0
                            ? tagQuery("owner:" + thread)
                            : Query.of(QueryItem.types("Tocked-" + thread));
                    done.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        long seen = 0;
                        List<Long> mine = new ArrayList<>();
                        for (int i = 0; i < appendsPerThread; i++) {
                            List<RecordedEvent> fresh = s.read(own, seen, 1000);
                            seen = Math.max(seen, lastPosition(fresh));
                            EventData e = thread % 2 == 0
                                    ? tagged("Ticked", "owner:" + thread)
                                    : tagged("Tocked-" + thread, "odd");
                            try {
                                List<AppendResult> r = s.append(
                                        List.of(part("owner-" + thread, ExpectedVersion.any(), e)),
                                        new AppendCondition(own, seen));
                                mine.add(r.get(0).position());
                            } catch (AppendConditionFailedException wrong) {
                                refused.incrementAndGet();
                            }
                        }
                        positions.put(thread, mine);
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(100, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }

            assertThat(refused.get())
                    .as("appends refused because of another thread")
                    .isZero();
            for (int t = 0; t < threads; t++) {
                Query own = t % 2 == 0 ? tagQuery("owner:" + t) : Query.of(QueryItem.types("Tocked-" + t));
                List<RecordedEvent> stored = readAllMatching(s, own);
                assertThat(stored).as("events of thread %d", t).hasSize(appendsPerThread);
                assertThat(stored).extracting(RecordedEvent::position).containsExactlyElementsOf(positions.get(t));
                assertThat(stored).extracting(RecordedEvent::streamId).containsOnly("owner-" + t);
            }
            assertThat(readAllOf(s)).hasSize(threads * appendsPerThread);
        }

        @Test
        @Timeout(120)
        void transfers_across_streams_land_whole_or_not_at_all() throws Exception {
            int accounts = 8;
            int threads = 8;
            int transfersPerThread = Math.max(25, raceRounds() / 4);
            EventStore s = store();
            for (int a = 0; a < accounts; a++) {
                s.append("a" + a, ExpectedVersion.noStream(), List.of(tagged("Opened", "account:a" + a)));
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CyclicBarrier start = new CyclicBarrier(threads);
            Set<String> transfers = ConcurrentHashMap.newKeySet();
            AtomicInteger retries = new AtomicInteger();
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        Random random = new Random(1000 + thread);
                        start.await(30, TimeUnit.SECONDS);
                        for (int k = 0; k < transfersPerThread; k++) {
                            String from = "a" + random.nextInt(accounts);
                            String to;
                            do {
                                to = "a" + random.nextInt(accounts);
                            } while (to.equals(from));
                            String id = "t" + thread + "-" + k;
                            // the same ids on every retry: a refused attempt must have written nothing
                            EventData debit = new EventData(
                                    UUID.randomUUID(),
                                    "Debited",
                                    "{\"transfer\":\"" + id + "\",\"amount\":1}",
                                    Map.of(),
                                    Set.of("transfer:" + id, "account:" + from));
                            EventData credit = new EventData(
                                    UUID.randomUUID(),
                                    "Credited",
                                    "{\"transfer\":\"" + id + "\",\"amount\":1}",
                                    Map.of(),
                                    Set.of("transfer:" + id, "account:" + to));
                            for (int attempt = 0; ; attempt++) {
                                assertThat(attempt).as("attempts of %s", id).isLessThan(10_000);
                                long vf = s.currentVersion(from);
                                long vt = s.currentVersion(to);
                                try {
                                    List<AppendResult> r = s.append(List.of(
                                            part(from, ExpectedVersion.exactly(vf), debit),
                                            part(to, ExpectedVersion.exactly(vt), credit)));
                                    assertThat(r).hasSize(2);
                                    assertThat(r.get(0).version()).isEqualTo(vf + 1);
                                    assertThat(r.get(1).version()).isEqualTo(vt + 1);
                                    assertThat(r.get(0).position())
                                            .isLessThan(r.get(1).position());
                                    transfers.add(id);
                                    break;
                                } catch (WrongExpectedVersionException conflict) {
                                    assertThat(conflict.streamId()).isIn(from, to);
                                    retries.incrementAndGet();
                                }
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

            int total = threads * transfersPerThread;
            assertThat(transfers).hasSize(total);
            List<RecordedEvent> all = readAllOf(s);
            assertThat(all).hasSize(accounts + 2 * total);
            assertStrictlyIncreasingPositions(all);
            assertThat(all.stream().filter(e -> e.type().equals("Debited"))).hasSize(total);
            assertThat(all.stream().filter(e -> e.type().equals("Credited"))).hasSize(total);
            Map<String, List<RecordedEvent>> byTransfer = new HashMap<>();
            for (RecordedEvent e : all) {
                for (String tag : e.tags()) {
                    if (tag.startsWith("transfer:")) {
                        byTransfer
                                .computeIfAbsent(tag.substring("transfer:".length()), k -> new ArrayList<>())
                                .add(e);
                    }
                }
            }
            assertThat(byTransfer.keySet()).isEqualTo(transfers);
            for (Map.Entry<String, List<RecordedEvent>> t : byTransfer.entrySet()) {
                List<RecordedEvent> legs = t.getValue();
                assertThat(legs).as("legs of %s", t.getKey()).hasSize(2);
                assertThat(legs).extracting(RecordedEvent::type).containsExactly("Debited", "Credited");
                assertThat(legs.get(0).streamId()).isNotEqualTo(legs.get(1).streamId());
            }
            for (int a = 0; a < accounts; a++) {
                String account = "a" + a;
                List<RecordedEvent> stream = s.readStream(account, 1, 10_000);
                assertThat(stream)
                        .extracting(RecordedEvent::version)
                        .containsExactlyElementsOf(IntStream.rangeClosed(1, stream.size())
                                .mapToObj(i -> (long) i)
                                .toList());
                assertThat(s.currentVersion(account)).isEqualTo(stream.size());
                assertThat(readAllMatching(s, tagQuery("account:" + account))).isEqualTo(stream);
            }
            for (String id : List.of("t0-0", "t3-7", "t7-" + (transfersPerThread - 1))) {
                assertThat(s.read(tagQuery("transfer:" + id), 0, 10)).hasSize(2);
            }
        }

        @Test
        @Timeout(120)
        void a_conditional_winner_comes_first_even_against_appends_without_conditions() throws Exception {
            int threads = 8;
            int rounds = Math.max(25, raceRounds() / 4);
            EventStore s = store();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CyclicBarrier decided = new CyclicBarrier(threads);
            try {
                for (int round = 0; round < rounds; round++) {
                    String tag = "name:mixed-" + round;
                    Query query = tagQuery(tag);
                    List<Future<Attempt>> attempts = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        int thread = t;
                        attempts.add(pool.submit(() -> {
                            List<RecordedEvent> seen = s.read(query, 0, 10);
                            decided.await(30, TimeUnit.SECONDS);
                            EventData claim = tagged("NameClaimed", tag);
                            String streamId = "mixed-" + thread;
                            if (thread == 0) {
                                AppendResult r = s.append(streamId, ExpectedVersion.any(), List.of(claim));
                                return new Attempt(Outcome.SAW_IT_TAKEN, claim.eventId(), r.position());
                            }
                            if (thread == 1) {
                                List<AppendResult> r = s.append(List.of(part(streamId, ExpectedVersion.any(), claim)));
                                return new Attempt(
                                        Outcome.SAW_IT_TAKEN,
                                        claim.eventId(),
                                        r.get(0).position());
                            }
                            try {
                                List<AppendResult> r = s.append(
                                        List.of(part(streamId, ExpectedVersion.any(), claim)),
                                        new AppendCondition(query, lastPosition(seen)));
                                return new Attempt(
                                        Outcome.WON, claim.eventId(), r.get(0).position());
                            } catch (AppendConditionFailedException lost) {
                                return new Attempt(Outcome.REFUSED, claim.eventId(), lost.conflictingPosition());
                            }
                        }));
                    }
                    List<Attempt> done = new ArrayList<>();
                    for (Future<Attempt> f : attempts) {
                        done.add(f.get(60, TimeUnit.SECONDS));
                    }
                    List<RecordedEvent> claims = s.read(query, 0, 100);
                    List<Attempt> won = done.stream()
                            .filter(a -> a.outcome() == Outcome.WON)
                            .toList();
                    assertThat(won).as("conditional winners of round %d", round).hasSizeLessThanOrEqualTo(1);
                    assertThat(claims).hasSize(2 + won.size());
                    if (!won.isEmpty()) {
                        assertThat(claims.get(0).eventId())
                                .as(
                                        "a conditional winner saw no claim, so in the log no claim comes before it"
                                                + " (round %d)",
                                        round)
                                .isEqualTo(won.get(0).eventId());
                    }
                    List<Long> claimPositions =
                            claims.stream().map(RecordedEvent::position).toList();
                    assertThat(done)
                            .filteredOn(a -> a.outcome() == Outcome.REFUSED)
                            .allSatisfy(a -> assertThat(a.position()).isIn(claimPositions));
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
