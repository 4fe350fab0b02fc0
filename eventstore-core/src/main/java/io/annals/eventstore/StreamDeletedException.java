package io.annals.eventstore;

import java.util.Objects;

/**
 * The stream was deleted ({@link EventStore#deleteStream}): it can no longer be read or appended
 * to, and its id can never be used again. Nothing was written.
 */
public class StreamDeletedException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    private final String streamId;

    /** @param streamId the deleted stream */
    public StreamDeletedException(String streamId) {
        super("stream " + Objects.requireNonNull(streamId, "streamId") + " was deleted: it can no longer be read"
                + " or appended to");
        this.streamId = streamId;
    }

    /** The deleted stream. */
    public String streamId() {
        return streamId;
    }
}
