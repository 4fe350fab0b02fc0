package io.annals.eventstore;

import java.util.UUID;

/**
 * An append carries an event id that is already stored, and the append is not a repeat of the
 * append that stored it (see {@link EventStore#append} on idempotency): some of its ids are
 * stored and others not, or they are stored in another stream, at other versions or in another
 * order. Nothing was written. Retrying the same append fails the same way: the caller reused an
 * id, which is a bug to fix, not a conflict to retry.
 */
public class DuplicateEventIdException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    private final UUID eventId;
    private final String storedStreamId;
    private final long storedVersion;

    /**
     * @param message what the append repeated and why it is not a repeat
     * @param eventId one of the ids that is stored
     * @param storedStreamId the stream it is stored in
     * @param storedVersion its version there
     */
    public DuplicateEventIdException(String message, UUID eventId, String storedStreamId, long storedVersion) {
        super(message);
        this.eventId = eventId;
        this.storedStreamId = storedStreamId;
        this.storedVersion = storedVersion;
    }

    /** One of the append's ids that is stored already. */
    public UUID eventId() {
        return eventId;
    }

    /** The stream that holds {@link #eventId()}. */
    public String storedStreamId() {
        return storedStreamId;
    }

    /** The version of {@link #eventId()} in {@link #storedStreamId()}. */
    public long storedVersion() {
        return storedVersion;
    }
}
