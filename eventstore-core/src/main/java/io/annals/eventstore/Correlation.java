package io.annals.eventstore;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The metadata keys with which {@code CommandHandler} and {@code DecisionHandler} stamp every
 * event they store, so that a chain of commands and events can be followed across streams,
 * processes and traces. Like every metadata key beginning with {@code $}, they are reserved for
 * the library: a codec refuses them in user metadata, and the handlers accept these three only,
 * checked, in the metadata given to {@code handle(command, metadata)}.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>given to {@code handle}</th><th>stored on each event</th></tr>
 *   <tr><td>{@value #COMMAND_ID}</td><td>the command's id, chosen by the client (the same on
 *       each retry of the same command)</td><td>when given</td></tr>
 *   <tr><td>{@value #CORRELATION_ID}</td><td>the id of the whole conversation (a trace id, the
 *       first command's id)</td><td>as given; otherwise the command id, or a new random UUID
 *       when there is none</td></tr>
 *   <tr><td>{@value #CAUSATION_ID}</td><td>what caused the command: the id of an event, when a
 *       process manager sends the command in answer to it ({@link #causedBy})</td><td>as given;
 *       otherwise the command id, or the new correlation id that stands for the command</td></tr>
 * </table>
 *
 * <p>Values are 1 to 200 characters, not blank, without control characters.
 */
public final class Correlation {

    /** The id of the command that stored the event, when the client gave one. */
    public static final String COMMAND_ID = "$commandId";

    /** The id shared by every command and event of one conversation. */
    public static final String CORRELATION_ID = "$correlationId";

    /** The id of what caused the event: its command, or the event the command answered. */
    public static final String CAUSATION_ID = "$causationId";

    /** The longest id accepted. */
    public static final int MAX_ID_LENGTH = 200;

    private Correlation() {}

    /**
     * The metadata for a command sent in answer to {@code event} (a process manager, a policy):
     * the event's correlation id (its own id when it has none) and the event as the cause.
     *
     * @throws NullPointerException if {@code event} is null
     */
    public static Map<String, String> causedBy(RecordedEvent event) {
        Objects.requireNonNull(event, "event");
        String id = event.eventId().toString();
        return Map.of(CORRELATION_ID, correlationId(event).orElse(id), CAUSATION_ID, id);
    }

    /** The correlation id stored with {@code event}, if any. */
    public static Optional<String> correlationId(RecordedEvent event) {
        return Optional.ofNullable(event.metadata().get(CORRELATION_ID));
    }

    /** The causation id stored with {@code event}, if any. */
    public static Optional<String> causationId(RecordedEvent event) {
        return Optional.ofNullable(event.metadata().get(CAUSATION_ID));
    }
}
