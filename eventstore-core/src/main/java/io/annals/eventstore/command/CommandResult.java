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
 * @param repeated whether the command had been handled already, under the same command id (see
 *     {@link CommandHandler.Builder#eventIdsFromCommandId}): the result is the original one, read
 *     back, and nothing was stored
 * @param <S> the state
 * @param <E> the events
 */
public record CommandResult<S, E extends Event>(
        String streamId, S state, long version, long position, List<E> events, int attempts, boolean repeated) {
    /** Copies {@code events}. */
    public CommandResult {
        events = List.copyOf(events);
    }

    /** The result of a command handled now, not {@link #repeated()}. */
    public CommandResult(String streamId, S state, long version, long position, List<E> events, int attempts) {
        this(streamId, state, version, position, events, attempts, false);
    }
}
