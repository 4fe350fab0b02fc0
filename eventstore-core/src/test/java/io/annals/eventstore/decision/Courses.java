package io.annals.eventstore.decision;

import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The course subscriptions of the Dynamic Consistency Boundary examples, as a test domain: a
 * course has seats; a student subscribes to at most two courses, once each; each subscription is
 * a stream of its own, so no one stream holds the rules.
 */
public final class Courses {

    private Courses() {}

    /** The events. */
    public sealed interface CourseEvent extends Event permits CourseDefined, StudentSubscribed {}

    /** A course was defined with this many seats. Tagged {@code course:<id>}. */
    public record CourseDefined(String courseId, int seats) implements CourseEvent {}

    /** A student took a seat. Tagged {@code course:<id>} and {@code student:<id>}. */
    public record StudentSubscribed(String courseId, String studentId) implements CourseEvent {}

    /** Defines a course. */
    public record DefineCourse(String courseId, int seats) {}

    /** Subscribes a student to a course. */
    public record Subscribe(String courseId, String studentId) {}

    /** What a subscription needs to know of a course. */
    public record Course(boolean defined, int seatsLeft) {}

    /** The most courses a student may take. */
    public static final int MAX_COURSES = 2;

    public static String courseTag(String courseId) {
        return "course:" + courseId;
    }

    public static String studentTag(String studentId) {
        return "student:" + studentId;
    }

    /** Whether the course is defined, and its seats left. */
    public static DecisionModel<Course, CourseEvent> course(String courseId) {
        return DecisionModel.of(Query.of(QueryItem.tags(courseTag(courseId))), new Course(false, 0), (c, e) -> {
            if (e instanceof CourseDefined d) {
                return new Course(true, d.seats());
            }
            return new Course(c.defined(), c.seatsLeft() - 1);
        });
    }

    /** How many courses the student takes. */
    public static DecisionModel<Integer, CourseEvent> coursesOf(String studentId) {
        return DecisionModel.of(
                Query.of(QueryItem.of(Set.of("StudentSubscribed"), Set.of(studentTag(studentId)))), 0, (n, e) -> n + 1);
    }

    /** Whether the student takes the course. */
    public static DecisionModel<Boolean, CourseEvent> subscribed(String courseId, String studentId) {
        return DecisionModel.of(
                Query.of(QueryItem.tags(courseTag(courseId), studentTag(studentId))),
                false,
                (b, e) -> e instanceof StudentSubscribed || b);
    }

    /** Defines a course once: a decision on one fact, to a new stream. */
    public static final Decision<DefineCourse, CourseEvent> DEFINE =
            Decision.of(c -> course(c.courseId()), (course, c) -> {
                if (course.defined()) {
                    throw new CommandRejectedException("exists", "course " + c.courseId() + " exists");
                }
                return List.of(DecidedEvent.to("course-" + c.courseId(), new CourseDefined(c.courseId(), c.seats()))
                        .expecting(ExpectedVersion.noStream()));
            });

    /** Subscribes a student: a decision on three facts; subscribing twice does nothing. */
    public static final Decision<Subscribe, CourseEvent> SUBSCRIBE = Decision.of(
            c -> course(c.courseId()),
            c -> coursesOf(c.studentId()),
            c -> subscribed(c.courseId(), c.studentId()),
            (course, taken, subscribed, c) -> {
                if (!course.defined()) {
                    throw new CommandRejectedException("no_course", "no course " + c.courseId());
                }
                if (subscribed) {
                    return List.of();
                }
                if (course.seatsLeft() <= 0) {
                    throw new CommandRejectedException("full", "course " + c.courseId() + " is full");
                }
                if (taken >= MAX_COURSES) {
                    throw new CommandRejectedException(
                            "too_many", c.studentId() + " takes " + taken + " courses already");
                }
                return List.of(DecidedEvent.to(
                        "subscription-" + c.courseId() + "-" + c.studentId(),
                        new StudentSubscribed(c.courseId(), c.studentId())));
            });

    /** A hand-written codec: the core has no JSON library, and this format is all it needs. */
    public static final class Codec implements EventCodec<CourseEvent> {
        private static final Pattern DEFINED = Pattern.compile("\\{\"courseId\":\"([^\"]+)\",\"seats\":(\\d+)}");
        private static final Pattern SUBSCRIBED =
                Pattern.compile("\\{\"courseId\":\"([^\"]+)\",\"studentId\":\"([^\"]+)\"}");

        /** A type whose events are skipped on purpose. */
        public static final String RETIRED = "CourseViewed";

        private Codec() {}

        @Override
        public String typeName(CourseEvent event) {
            return event instanceof CourseDefined ? "CourseDefined" : "StudentSubscribed";
        }

        @Override
        public String toJson(CourseEvent event) {
            if (event instanceof CourseDefined d) {
                return "{\"courseId\":\"" + d.courseId() + "\",\"seats\":" + d.seats() + "}";
            }
            StudentSubscribed s = (StudentSubscribed) event;
            return "{\"courseId\":\"" + s.courseId() + "\",\"studentId\":\"" + s.studentId() + "\"}";
        }

        @Override
        public CourseEvent fromJson(String typeName, String json) {
            switch (typeName) {
                case "CourseDefined" -> {
                    Matcher m = match(DEFINED, json);
                    return new CourseDefined(m.group(1), Integer.parseInt(m.group(2)));
                }
                case "StudentSubscribed" -> {
                    Matcher m = match(SUBSCRIBED, json);
                    return new StudentSubscribed(m.group(1), m.group(2));
                }
                default -> throw new IllegalArgumentException("unknown type " + typeName);
            }
        }

        private static Matcher match(Pattern pattern, String json) {
            Matcher m = pattern.matcher(json);
            if (!m.matches()) {
                throw new IllegalArgumentException("not " + pattern + ": " + json);
            }
            return m;
        }

        @Override
        public boolean knows(String typeName) {
            return typeName.equals("CourseDefined") || typeName.equals("StudentSubscribed");
        }

        @Override
        public boolean isRetired(String typeName) {
            return typeName.equals(RETIRED);
        }

        @Override
        public Set<String> tags(CourseEvent event) {
            if (event instanceof CourseDefined d) {
                return Set.of(courseTag(d.courseId()));
            }
            StudentSubscribed s = (StudentSubscribed) event;
            return Set.of(courseTag(s.courseId()), studentTag(s.studentId()));
        }
    }

    /** The codec. */
    public static final Codec CODEC = new Codec();
}
