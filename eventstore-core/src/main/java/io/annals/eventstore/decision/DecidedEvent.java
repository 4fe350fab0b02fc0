package io.annals.eventstore.decision;

import io.annals.eventstore.Event;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.internal.Tags;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A new event a {@link Decision} decided, with the stream it goes to.
 *
 * <pre>{@code
 * DecidedEvent.to("subscription-" + id, new StudentSubscribed(courseId, studentId))
 * DecidedEvent.to("product-" + id, created).expecting(ExpectedVersion.noStream())
 * }</pre>
 *
 * <p>The event is stored with the tags its codec computes ({@link
 * io.annals.eventstore.EventCodec#tags}) plus {@code extraTags}. A decision's consistency comes
 * from its models' queries, so a stream expects {@link ExpectedVersion#any()} unless an event for
 * it says otherwise: all the events of one stream share one expectation, which any of them may
 * state (the others keep {@code any()}); two different expectations for one stream are an error.
 *
 * @param streamId the stream it is appended to
 * @param event the event
 * @param expected what its stream must be when the events are appended; {@code any()} by default
 * @param extraTags tags added to those the codec computes; usually none
 * @param <E> the events
 */
public record DecidedEvent<E extends Event>(String streamId, E event, ExpectedVersion expected, Set<String> extraTags) {

    /**
     * @throws NullPointerException if an argument or a tag is null
     * @throws IllegalArgumentException if a tag breaks the rules of {@link
     *     io.annals.eventstore.EventData#tags()}
     */
    public DecidedEvent {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(expected, "expected");
        extraTags = Tags.copyOf(extraTags);
    }

    /** {@code event}, to be appended to {@code streamId} whatever its version, with the codec's tags. */
    public static <E extends Event> DecidedEvent<E> to(String streamId, E event) {
        return new DecidedEvent<>(streamId, event, ExpectedVersion.any(), Set.of());
    }

    /** This event, appended only if its stream meets {@code expected}. */
    public DecidedEvent<E> expecting(ExpectedVersion expected) {
        return new DecidedEvent<>(streamId, event, expected, extraTags);
    }

    /**
     * This event with {@code tags} added to its extra tags.
     *
     * @throws IllegalArgumentException if a tag breaks the rules of tags
     */
    public DecidedEvent<E> withTags(String... tags) {
        Set<String> all = new TreeSet<>(extraTags);
        java.util.Collections.addAll(all, tags);
        return new DecidedEvent<>(streamId, event, expected, all);
    }

    /**
     * {@code decided} as an event of {@code E}: a record holds its event as it was given, and only
     * ever gives it back, so one of a subtype is one of {@code E}.
     */
    @SuppressWarnings("unchecked")
    static <E extends Event> DecidedEvent<E> widen(DecidedEvent<? extends E> decided) {
        return (DecidedEvent<E>) decided;
    }
}
