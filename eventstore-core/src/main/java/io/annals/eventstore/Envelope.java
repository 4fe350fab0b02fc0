package io.annals.eventstore;

import java.util.Objects;

/**
 * A decoded event together with where and when it was stored.
 *
 * @param event the domain event
 * @param recorded the stored form: stream, version, position, id, metadata, time
 * @param <E> the event type
 */
public record Envelope<E extends Event>(E event, RecordedEvent recorded) {
    /** @throws NullPointerException if an argument is null */
    public Envelope {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(recorded, "recorded");
    }
}
