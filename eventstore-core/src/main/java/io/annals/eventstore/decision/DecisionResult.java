package io.annals.eventstore.decision;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.Event;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What handling a command through a {@link DecisionHandler} did.
 *
 * @param events the new events with their streams, as decided; empty when there was nothing to do
 * @param streams for each stream written to, in the order of its first event: the version and
 *     position of its last new event; empty when there was nothing to do
 * @param position the global position of the last new event, for read-your-writes; 0 when there
 *     was nothing to do
 * @param attempts how many times the command was decided (more than 1 after concurrent changes)
 * @param <E> the events
 */
public record DecisionResult<E extends Event>(
        List<DecidedEvent<E>> events, Map<String, AppendResult> streams, long position, int attempts) {

    /**
     * Copies {@code events} and {@code streams}, keeping the order of the streams.
     *
     * @throws NullPointerException if an argument is null
     */
    public DecisionResult {
        events = List.copyOf(events);
        streams = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(streams, "streams")));
    }
}
