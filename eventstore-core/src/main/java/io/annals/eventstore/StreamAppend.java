package io.annals.eventstore;

import java.util.List;
import java.util.Objects;

/**
 * One stream's part of an {@link EventStore#append(List) append across streams}: the stream, its
 * own optimistic-concurrency check, and its events.
 *
 * @param streamId the stream (checked by the store, as for a one-stream append)
 * @param expected this stream's check
 * @param events the events, at least one (checked by the store); copied
 */
public record StreamAppend(String streamId, ExpectedVersion expected, List<EventData> events) {

    /** @throws NullPointerException if an argument or an event is null */
    public StreamAppend {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(expected, "expected");
        events = List.copyOf(Objects.requireNonNull(events, "events"));
    }

    /** A part with these events. */
    public static StreamAppend of(String streamId, ExpectedVersion expected, EventData... events) {
        return new StreamAppend(streamId, expected, List.of(events));
    }
}
