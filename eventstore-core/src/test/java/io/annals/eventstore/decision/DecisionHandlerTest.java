package io.annals.eventstore.decision;

import static io.annals.eventstore.decision.Courses.CODEC;
import static io.annals.eventstore.decision.Courses.DEFINE;
import static io.annals.eventstore.decision.Courses.SUBSCRIBE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.AppendConditionFailedException;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.decision.Courses.Course;
import io.annals.eventstore.decision.Courses.CourseDefined;
import io.annals.eventstore.decision.Courses.CourseEvent;
import io.annals.eventstore.decision.Courses.DefineCourse;
import io.annals.eventstore.decision.Courses.StudentSubscribed;
import io.annals.eventstore.decision.Courses.Subscribe;
import io.annals.eventstore.tck.ForwardingEventStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class DecisionHandlerTest {

    /**
     * A store that records the handler's appends and reads, can run a hook just before each of
     * its appends (to make another writer get there first), and can pause after each read (to
     * widen the window between a read and its append, so that real threads collide).
     */
    static final class HookedStore extends ForwardingEventStore {
        final List<List<StreamAppend>> appends = Collections.synchronizedList(new ArrayList<>());
        final List<AppendCondition> conditions = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger reads = new AtomicInteger();
        volatile Consumer<EventStore> beforeAppend = s -> {};
        volatile long pauseAfterReadMillis;

        HookedStore(EventStore delegate) {
            super(delegate);
        }

        @Override
        public List<AppendResult> append(List<StreamAppend> parts, AppendCondition condition) {
            appends.add(parts);
            conditions.add(condition);
            beforeAppend.accept(delegate);
            return delegate.append(parts, condition);
        }

        @Override
        public List<RecordedEvent> read(Query query, long afterPosition, int maxCount) {
            reads.incrementAndGet();
            List<RecordedEvent> events = delegate.read(query, afterPosition, maxCount);
            if (pauseAfterReadMillis > 0) {
                pause(pauseAfterReadMillis);
            }
            return events;
        }
    }

    private final InMemoryEventStore memory = new InMemoryEventStore();
    private final HookedStore store = new HookedStore(memory);

    @AfterEach
    void closeStore() {
        store.close();
    }

    private <C> DecisionHandler<C, CourseEvent> handler(Decision<C, CourseEvent> decision) {
        return DecisionHandler.builder(decision, store, CODEC).build();
    }

    /** Stores {@code event} as another writer would, with the codec's tags. */
    private static RecordedEvent store(EventStore target, String streamId, CourseEvent event) {
        long position = target.append(streamId, ExpectedVersion.any(), List.of(CODEC.encode(event)))
                .position();
        return target.readAll(position - 1, 1).get(0);
    }

    private RecordedEvent define(String courseId, int seats) {
        return store(memory, "course-" + courseId, new CourseDefined(courseId, seats));
    }

    private RecordedEvent subscribed(String courseId, String studentId) {
        return store(memory, "subscription-" + courseId + "-" + studentId, new StudentSubscribed(courseId, studentId));
    }

    private List<CourseEvent> stored(String streamId) {
        return memory.readStream(streamId, 1, 10_000).stream()
                .map(r -> CODEC.decode(r).event())
                .toList();
    }

    private List<StudentSubscribed> subscriptionsTo(String courseId) {
        List<StudentSubscribed> out = new ArrayList<>();
        for (RecordedEvent r : memory.read(Query.of(QueryItem.tags("course:" + courseId)), 0, 10_000)) {
            if (CODEC.decode(r).event() instanceof StudentSubscribed s) {
                out.add(s);
            }
        }
        return out;
    }

    private static <T extends Throwable> T thrown(Class<T> type, ThrowingCallable call) {
        Throwable t = catchThrowable(call);
        assertThat(t).isInstanceOf(type);
        return type.cast(t);
    }

    /** {@code decision}, counting how many times it decides. */
    private static <C> Decision<C, CourseEvent> counted(
            AtomicInteger decisions, Decision.Decide1<Course, C, CourseEvent> rule, String courseId) {
        return Decision.of(c -> Courses.course(courseId), (course, c) -> {
            decisions.incrementAndGet();
            return rule.decide(course, c);
        });
    }

    @Nested
    class Deciding {

        @Test
        void folds_each_model_from_the_events_its_query_matches_in_every_stream() {
            define("maths", 3);
            define("art", 2);
            subscribed("maths", "ada");
            subscribed("art", "bob");
            subscribed("maths", "bob");

            DecisionResult<CourseEvent> result = handler(SUBSCRIBE).handle(new Subscribe("art", "ada"));

            assertThat(result.events())
                    .containsExactly(DecidedEvent.to("subscription-art-ada", new StudentSubscribed("art", "ada")));
            assertThat(result.attempts()).isEqualTo(1);
            // ada takes maths and now art: a third course is over the limit, and art is full
            assertThatThrownBy(() -> handler(SUBSCRIBE).handle(new Subscribe("art", "cy")))
                    .isInstanceOfSatisfying(
                            CommandRejectedException.class,
                            e -> assertThat(e.code()).isEqualTo("full"));
            define("music", 5);
            assertThatThrownBy(() -> handler(SUBSCRIBE).handle(new Subscribe("music", "ada")))
                    .isInstanceOfSatisfying(
                            CommandRejectedException.class,
                            e -> assertThat(e.code()).isEqualTo("too_many"));
        }

        @Test
        void appends_each_event_to_its_stream_with_the_codec_tags_and_its_extra_tags() {
            define("maths", 3);
            Decision<Subscribe, CourseEvent> tagged = Decision.of(
                    c -> Courses.course(c.courseId()),
                    (course, c) -> List.of(DecidedEvent.to("sub-1", new StudentSubscribed(c.courseId(), c.studentId()))
                            .withTags("term:2026", "room:b12")));

            DecisionResult<CourseEvent> result = handler(tagged).handle(new Subscribe("maths", "ada"));

            RecordedEvent recorded = memory.readStream("sub-1", 1, 1).get(0);
            assertThat(recorded.tags())
                    .containsExactlyInAnyOrder("course:maths", "student:ada", "term:2026", "room:b12");
            assertThat(result.streams()).containsOnlyKeys("sub-1");
            assertThat(result.streams().get("sub-1").version()).isEqualTo(1);
            assertThat(result.position()).isEqualTo(recorded.position());
        }

        @Test
        void streams_expect_any_version_unless_the_decision_says_otherwise() {
            handler(DEFINE).handle(new DefineCourse("maths", 3));
            store(memory, "subscription-maths-ada", new CourseDefined("noise", 1)); // the stream exists

            handler(SUBSCRIBE).handle(new Subscribe("maths", "ada"));

            assertThat(store.appends).hasSize(2);
            assertThat(store.appends.get(0).get(0).expected()).isEqualTo(ExpectedVersion.noStream());
            assertThat(store.appends.get(1).get(0).expected()).isEqualTo(ExpectedVersion.any());
            assertThat(stored("subscription-maths-ada")).hasSize(2);
        }

        @Test
        void events_for_several_streams_land_together_one_part_per_stream_in_order() {
            Decision<DefineCourse, CourseEvent> twoStreams = Decision.of(
                    c -> Courses.course(c.courseId()),
                    (x, c) -> List.of(
                            DecidedEvent.to("b", new CourseDefined("b1", 1)),
                            DecidedEvent.to("a", new CourseDefined("a1", 1)).expecting(ExpectedVersion.noStream()),
                            DecidedEvent.to("b", new CourseDefined("b2", 1)).expecting(ExpectedVersion.noStream())));

            DecisionResult<CourseEvent> result = handler(twoStreams).handle(new DefineCourse("x", 1));

            List<StreamAppend> parts = store.appends.get(0);
            assertThat(parts).extracting(StreamAppend::streamId).containsExactly("b", "a");
            assertThat(parts).extracting(StreamAppend::expected).containsOnly(ExpectedVersion.noStream());
            assertThat(parts.get(0).events()).hasSize(2);
            assertThat(result.streams().keySet()).containsExactly("b", "a");
            assertThat(result.streams().get("b").version()).isEqualTo(2);
            assertThat(result.position()).isEqualTo(result.streams().get("a").position());
        }

        @Test
        void two_different_expectations_for_one_stream_are_refused_and_nothing_is_written() {
            Decision<DefineCourse, CourseEvent> confused = Decision.of(
                    c -> Courses.course(c.courseId()),
                    (x, c) -> List.of(
                            DecidedEvent.to("a", new CourseDefined("a1", 1)).expecting(ExpectedVersion.noStream()),
                            DecidedEvent.to("a", new CourseDefined("a2", 1)).expecting(ExpectedVersion.exactly(4))));

            assertThatThrownBy(() -> handler(confused).handle(new DefineCourse("x", 1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("stream a")
                    .hasMessageContaining("no stream");
            assertThat(memory.countEvents()).isZero();
        }

        @Test
        void a_rejection_writes_nothing_and_is_not_retried() {
            define("maths", 0);
            AtomicInteger decisions = new AtomicInteger();
            Decision<Subscribe, CourseEvent> full = counted(
                    decisions,
                    (course, c) -> {
                        throw new CommandRejectedException("full", "no seat left");
                    },
                    "maths");

            CommandRejectedException e =
                    thrown(CommandRejectedException.class, () -> handler(full).handle(new Subscribe("maths", "ada")));

            assertThat(e.code()).isEqualTo("full");
            assertThat(decisions).hasValue(1);
            assertThat(store.appends).isEmpty();
            assertThat(memory.countEvents()).isEqualTo(1);
        }

        @Test
        void an_empty_decision_writes_nothing_and_reports_position_0() {
            define("maths", 3);
            subscribed("maths", "ada");

            DecisionResult<CourseEvent> result = handler(SUBSCRIBE).handle(new Subscribe("maths", "ada"));

            assertThat(result.events()).isEmpty();
            assertThat(result.streams()).isEmpty();
            assertThat(result.position()).isZero();
            assertThat(store.appends).isEmpty();
        }

        @Test
        void metadata_is_stored_with_each_new_event() {
            define("maths", 3);

            handler(SUBSCRIBE).handle(new Subscribe("maths", "ada"), Map.of("user", "registrar"));

            assertThat(memory.readStream("subscription-maths-ada", 1, 1).get(0).metadata())
                    .containsEntry("user", "registrar");
        }

        @Test
        void a_decision_that_returns_null_is_refused() {
            Decision<DefineCourse, CourseEvent> broken = Decision.of(c -> Courses.course(c.courseId()), (x, c) -> null);

            assertThatThrownBy(() -> handler(broken).handle(new DefineCourse("x", 1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("empty list");
        }

        @Test
        void a_model_function_that_returns_null_is_refused() {
            Decision<DefineCourse, CourseEvent> broken =
                    Decision.of(c -> null, (Object x, DefineCourse c) -> List.of());

            assertThatThrownBy(() -> handler(broken).handle(new DefineCourse("x", 1)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("returned null");
        }

        @Test
        void max_attempts_must_be_at_least_1() {
            assertThatIllegalArgumentException()
                    .isThrownBy(
                            () -> DecisionHandler.builder(DEFINE, store, CODEC).maxAttempts(0))
                    .withMessageContaining("maxAttempts");
        }
    }

    @Nested
    class The_condition {

        @Test
        void is_the_union_of_the_models_queries_after_the_last_event_they_matched() {
            define("maths", 3);
            RecordedEvent last = subscribed("maths", "bob");
            define("art", 3); // after it, and matched by no model: not part of what was read

            handler(SUBSCRIBE).handle(new Subscribe("maths", "ada"));

            AppendCondition condition = store.conditions.get(0);
            assertThat(condition.failIfEventsMatch().items())
                    .containsExactly(
                            QueryItem.tags("course:maths"),
                            QueryItem.of(java.util.Set.of("StudentSubscribed"), java.util.Set.of("student:ada")),
                            QueryItem.tags("course:maths", "student:ada"));
            assertThat(condition.afterPosition()).isEqualTo(last.position());
        }

        @Test
        void is_after_position_0_when_the_models_matched_no_event() {
            define("art", 3);

            handler(DEFINE).handle(new DefineCourse("maths", 3));

            assertThat(store.conditions.get(0).afterPosition()).isZero();
        }

        @Test
        void an_event_its_queries_do_not_match_stored_meanwhile_does_not_fail_it() {
            define("maths", 3);
            store.beforeAppend = s -> {
                store(s, "course-art", new CourseDefined("art", 1));
                store(s, "subscription-art-bob", new StudentSubscribed("art", "bob"));
            };

            DecisionResult<CourseEvent> result = handler(SUBSCRIBE).handle(new Subscribe("maths", "ada"));

            assertThat(result.attempts()).isEqualTo(1);
            assertThat(subscriptionsTo("maths")).containsExactly(new StudentSubscribed("maths", "ada"));
        }
    }

    @Nested
    class Concurrent_changes {

        @Test
        void an_event_its_queries_match_stored_meanwhile_makes_it_read_and_decide_again() {
            define("maths", 3);
            AtomicInteger appends = new AtomicInteger();
            store.beforeAppend = s -> {
                if (appends.incrementAndGet() == 1) {
                    store(s, "subscription-maths-bob", new StudentSubscribed("maths", "bob"));
                }
            };

            DecisionResult<CourseEvent> result = handler(SUBSCRIBE).handle(new Subscribe("maths", "ada"));

            assertThat(result.attempts()).isEqualTo(2);
            assertThat(store.conditions.get(1).afterPosition())
                    .isGreaterThan(store.conditions.get(0).afterPosition());
            assertThat(subscriptionsTo("maths"))
                    .containsExactly(new StudentSubscribed("maths", "bob"), new StudentSubscribed("maths", "ada"));
        }

        @Test
        void decided_again_a_command_may_now_be_rejected_and_writes_nothing() {
            define("maths", 1);
            AtomicInteger appends = new AtomicInteger();
            store.beforeAppend = s -> {
                if (appends.incrementAndGet() == 1) {
                    store(s, "subscription-maths-bob", new StudentSubscribed("maths", "bob"));
                }
            };

            assertThatThrownBy(() -> handler(SUBSCRIBE).handle(new Subscribe("maths", "ada")))
                    .isInstanceOfSatisfying(
                            CommandRejectedException.class,
                            e -> assertThat(e.code()).isEqualTo("full"));
            assertThat(subscriptionsTo("maths")).containsExactly(new StudentSubscribed("maths", "bob"));
        }

        @Test
        void gives_up_after_max_attempts_with_the_last_failed_condition() {
            define("maths", 1000);
            AtomicInteger sneaked = new AtomicInteger();
            store.beforeAppend = s -> {
                int n = sneaked.incrementAndGet();
                store(s, "subscription-maths-s" + n, new StudentSubscribed("maths", "s" + n));
            };
            AtomicInteger decisions = new AtomicInteger();
            Decision<Subscribe, CourseEvent> subscribe = counted(
                    decisions,
                    (course, c) -> List.of(DecidedEvent.to(
                            "sub-" + c.studentId(), new StudentSubscribed(c.courseId(), c.studentId()))),
                    "maths");
            DecisionHandler<Subscribe, CourseEvent> handler = DecisionHandler.builder(subscribe, store, CODEC)
                    .maxAttempts(3)
                    .build();

            AppendConditionFailedException conflict =
                    thrown(AppendConditionFailedException.class, () -> handler.handle(new Subscribe("maths", "ada")));

            assertThat(decisions).hasValue(3);
            assertThat(conflict.condition()).isEqualTo(store.conditions.get(2));
            assertThat(subscriptionsTo("maths")).hasSize(3).doesNotContain(new StudentSubscribed("maths", "ada"));
        }

        @Test
        void a_stream_created_meanwhile_fails_its_expectation_and_the_decision_is_taken_again() {
            // the other writer's event is in the stream the decision expects to be new, and is
            // matched by its query: the store reports the stream first, and the second read sees why
            AtomicInteger appends = new AtomicInteger();
            store.beforeAppend = s -> {
                if (appends.incrementAndGet() == 1) {
                    store(s, "course-maths", new CourseDefined("maths", 7));
                }
            };

            assertThatThrownBy(() -> handler(DEFINE).handle(new DefineCourse("maths", 3)))
                    .isInstanceOfSatisfying(
                            CommandRejectedException.class,
                            e -> assertThat(e.code()).isEqualTo("exists"));
            assertThat(store.appends).hasSize(1);
            assertThat(stored("course-maths")).containsExactly(new CourseDefined("maths", 7));
        }

        @Test
        void a_stream_expectation_that_keeps_failing_is_given_up_on_after_max_attempts() {
            // an event without tags (stored before tags existed) is invisible to the query, but
            // the stream's expectation still refuses to create the stream twice
            memory.append(
                    "course-maths",
                    ExpectedVersion.any(),
                    List.of(EventData.of("CourseDefined", "{\"courseId\":\"maths\",\"seats\":7}")));
            DecisionHandler<DefineCourse, CourseEvent> handler =
                    DecisionHandler.builder(DEFINE, store, CODEC).maxAttempts(3).build();

            WrongExpectedVersionException conflict =
                    thrown(WrongExpectedVersionException.class, () -> handler.handle(new DefineCourse("maths", 3)));

            assertThat(conflict.streamId()).isEqualTo("course-maths");
            assertThat(conflict.expected()).isEqualTo(ExpectedVersion.noStream());
            assertThat(store.appends).hasSize(3);
            assertThat(memory.countEvents()).isEqualTo(1);
        }

        @Test
        @Timeout(60)
        void eight_threads_take_three_seats_and_exactly_three_get_one() throws Exception {
            define("maths", 3);
            store.pauseAfterReadMillis = 5; // every thread reads before any appends
            DecisionHandler<Subscribe, CourseEvent> handler = handler(SUBSCRIBE);
            int threads = 8;
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<String>> outcomes = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String student = "s" + t;
                    outcomes.add(pool.submit(() -> {
                        start.await();
                        try {
                            handler.handle(new Subscribe("maths", student));
                            return "subscribed";
                        } catch (CommandRejectedException e) {
                            return e.code();
                        }
                    }));
                }
                List<String> results = new ArrayList<>();
                for (Future<String> f : outcomes) {
                    results.add(f.get(30, TimeUnit.SECONDS));
                }

                assertThat(results).filteredOn("subscribed"::equals).hasSize(3);
                assertThat(results).filteredOn("full"::equals).hasSize(5);
                assertThat(subscriptionsTo("maths")).hasSize(3);
                assertThat(store.conditions.size()).isGreaterThan(3); // they did collide
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Nested
    class Reading {

        @Test
        void pages_through_more_than_one_page_of_events() {
            int many = 2 * DecisionHandler.PAGE_SIZE + 10;
            define("maths", many + 1);
            List<EventData> subscriptions = new ArrayList<>();
            for (int i = 0; i < many; i++) {
                subscriptions.add(CODEC.encode(new StudentSubscribed("maths", "s" + i)));
            }
            long last =
                    memory.append("bulk", ExpectedVersion.any(), subscriptions).position();
            AtomicInteger seatsSeen = new AtomicInteger(-1);
            Decision<Subscribe, CourseEvent> subscribe = Decision.of(c -> Courses.course(c.courseId()), (course, c) -> {
                seatsSeen.set(course.seatsLeft());
                return List.of(DecidedEvent.to("sub", new StudentSubscribed(c.courseId(), c.studentId())));
            });

            handler(subscribe).handle(new Subscribe("maths", "ada"));

            assertThat(seatsSeen).hasValue(1);
            assertThat(store.reads).hasValue(3);
            assertThat(store.conditions.get(0).afterPosition()).isEqualTo(last);
        }

        @Test
        void skips_events_of_unknown_and_retired_types_but_counts_them_as_read() {
            define("maths", 1);
            // neither decodes: a decision that tried would fail
            memory.append(
                    "noise",
                    ExpectedVersion.any(),
                    List.of(
                            EventData.of("Mystery", "{\"whatever\":1}").withTags("course:maths"),
                            EventData.of(Courses.Codec.RETIRED, "{}").withTags("course:maths")));
            long last = memory.readAll(0, 100).get(2).position();

            DecisionResult<CourseEvent> result = handler(SUBSCRIBE).handle(new Subscribe("maths", "ada"));

            assertThat(result.events()).hasSize(1); // the seat was still free: the two were not folded
            assertThat(store.conditions.get(0).afterPosition()).isEqualTo(last);
        }

        @Test
        void an_event_of_a_known_type_that_cannot_be_decoded_fails_the_decision() {
            memory.append(
                    "course-maths",
                    ExpectedVersion.any(),
                    List.of(EventData.of("CourseDefined", "{\"seats\":\"many\"}")
                            .withTags("course:maths")));

            assertThatThrownBy(() -> handler(SUBSCRIBE).handle(new Subscribe("maths", "ada")))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("course-maths");
            assertThat(store.appends).isEmpty();
        }
    }
}
