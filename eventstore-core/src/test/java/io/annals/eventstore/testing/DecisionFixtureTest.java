package io.annals.eventstore.testing;

import static io.annals.eventstore.decision.Courses.CODEC;
import static io.annals.eventstore.decision.Courses.DEFINE;
import static io.annals.eventstore.decision.Courses.SUBSCRIBE;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.decision.Courses.CourseDefined;
import io.annals.eventstore.decision.Courses.CourseEvent;
import io.annals.eventstore.decision.Courses.DefineCourse;
import io.annals.eventstore.decision.Courses.StudentSubscribed;
import io.annals.eventstore.decision.Courses.Subscribe;
import io.annals.eventstore.decision.DecidedEvent;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The decision fixture passes what holds, and fails a test whenever what it asserts does not. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class DecisionFixtureTest {

    private static final CourseDefined MATHS = new CourseDefined("maths", 2);

    @Nested
    class When_it_holds {

        @Test
        void given_events_when_a_command_then_the_decided_events() {
            DecisionFixture.of(SUBSCRIBE, CODEC)
                    .given(MATHS, new StudentSubscribed("maths", "bob"))
                    .when(new Subscribe("maths", "ada"))
                    .thenEvents(new StudentSubscribed("maths", "ada"))
                    .thenDecided(DecidedEvent.to("subscription-maths-ada", new StudentSubscribed("maths", "ada")));
        }

        @Test
        void the_given_events_carry_the_codec_tags_so_the_models_find_them() {
            DecisionFixture.of(SUBSCRIBE, CODEC)
                    .given(MATHS, new StudentSubscribed("maths", "bob"), new StudentSubscribed("maths", "cy"))
                    .when(new Subscribe("maths", "ada"))
                    .thenRejected("full")
                    .withMessageContaining("maths is full");
        }

        @Test
        void a_decision_with_nothing_to_do_decides_nothing() {
            DecisionFixture.of(SUBSCRIBE, CODEC)
                    .given(List.of(MATHS, new StudentSubscribed("maths", "ada")))
                    .when(new Subscribe("maths", "ada"))
                    .thenNothing();
        }

        @Test
        void the_expectation_of_a_stream_is_part_of_what_was_decided() {
            DecisionFixture.of(DEFINE, CODEC)
                    .when(new DefineCourse("maths", 2))
                    .thenDecided(DecidedEvent.to("course-maths", MATHS).expecting(ExpectedVersion.noStream()));
        }

        @Test
        void each_command_is_decided_on_the_given_events_alone() {
            DecisionFixture<Subscribe, CourseEvent> fixture =
                    DecisionFixture.of(SUBSCRIBE, CODEC).given(new CourseDefined("maths", 1));

            fixture.when(new Subscribe("maths", "ada")).thenEvents(new StudentSubscribed("maths", "ada"));
            fixture.when(new Subscribe("maths", "bob")).thenEvents(new StudentSubscribed("maths", "bob"));
        }
    }

    @Nested
    class When_it_does_not_hold {

        @Test
        void other_events_fail() {
            assertThatThrownBy(() -> DecisionFixture.of(SUBSCRIBE, CODEC)
                            .given(MATHS)
                            .when(new Subscribe("maths", "ada"))
                            .thenEvents(new StudentSubscribed("maths", "bob")))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("expected events: [StudentSubscribed[courseId=maths, studentId=bob]]")
                    .hasMessageContaining("but decided:     [StudentSubscribed[courseId=maths, studentId=ada]]");
        }

        @Test
        void another_stream_or_expectation_fails() {
            assertThatThrownBy(() -> DecisionFixture.of(DEFINE, CODEC)
                            .when(new DefineCourse("maths", 2))
                            .thenDecided(DecidedEvent.to("course-maths", MATHS)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("expected=any")
                    .hasMessageContaining("expected=no stream");
        }

        @Test
        void a_rejection_where_events_were_expected_fails() {
            assertThatThrownBy(() -> DecisionFixture.of(SUBSCRIBE, CODEC)
                            .when(new Subscribe("maths", "ada"))
                            .thenEvents(new StudentSubscribed("maths", "ada")))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("expected acceptance but was rejected 'no_course'");
        }

        @Test
        void events_where_a_rejection_was_expected_fail() {
            assertThatThrownBy(() -> DecisionFixture.of(SUBSCRIBE, CODEC)
                            .given(MATHS)
                            .when(new Subscribe("maths", "ada"))
                            .thenRejected("full"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("expected a rejection 'full' but decided");
        }

        @Test
        void another_rejection_code_or_message_fails() {
            assertThatThrownBy(() -> DecisionFixture.of(SUBSCRIBE, CODEC)
                            .when(new Subscribe("maths", "ada"))
                            .thenRejected("full"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("but was 'no_course'");
            assertThatThrownBy(() -> DecisionFixture.of(SUBSCRIBE, CODEC)
                            .when(new Subscribe("maths", "ada"))
                            .thenRejected("no_course")
                            .withMessageContaining("full"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("'no course maths'");
        }

        @Test
        void events_where_nothing_was_expected_fail() {
            assertThatThrownBy(() -> DecisionFixture.of(SUBSCRIBE, CODEC)
                            .given(MATHS)
                            .when(new Subscribe("maths", "ada"))
                            .thenNothing())
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("expected no event");
        }

        @Test
        void a_decision_that_expects_a_new_stream_where_a_given_event_is_fails() {
            // the given event is in the stream, but without the tag the model looks for
            assertThatThrownBy(() -> DecisionFixture.of(DEFINE, CODEC)
                            .givenIn("course-maths", new StudentSubscribed("art", "ada"))
                            .when(new DefineCourse("maths", 2)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("cannot be appended after the given ones")
                    .hasMessageContaining("course-maths");
        }
    }
}
