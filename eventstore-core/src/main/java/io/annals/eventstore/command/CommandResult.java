package io.annals.eventstore.command;

import io.annals.eventstore.Event;
import java.util.List;

/**
 * What handling a command did.
 *
 * @param streamId the aggregate's stream
 * @param state the state after the new events
 * @param version the stream version after the new events
 * @param position the global position of the last new event, for read-your-writes; 0 when the
 *     command produced no event
 * @param events the new events, empty when there was nothing to do
 * @param attempts how many times the command was decided (more than 1 after concurrent writes)
 * @param <S> the state
 * @param <E> the events
 */
public record CommandResult<S, E extends Event>(
        String streamId, S state, long version, long position, List<E> events, int attempts) {
    /** Copies {@code events}. */
    public CommandResult {
        events = List.copyOf(events);
    }
}
