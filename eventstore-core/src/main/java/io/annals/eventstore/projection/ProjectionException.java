package io.annals.eventstore.projection;

import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.RecordedEvent;

/**
 * A projection failed on one event. The message names the projection and the event (id, type,
 * stream, version, position); the cause is what the projection threw. Nothing of the batch was
 * written, and the runner retries with back-off.
 */
public class ProjectionException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    private final String projection;
    private final long position;

    /**
     * @param projection the projection that failed
     * @param event the event it failed on
     * @param cause what it threw
     */
    public ProjectionException(String projection, RecordedEvent event, Throwable cause) {
        super(
                "projection " + projection + " failed on event " + event.eventId() + " ("
                        + event.type() + ", stream " + event.streamId() + " version " + event.version()
                        + ", position " + event.position() + "): " + cause,
                cause);
        this.projection = projection;
        this.position = event.position();
    }

    /** A failure on {@code event} that its message describes in its own words (a subscriber's batch). */
    ProjectionException(String projection, RecordedEvent event, String message, Throwable cause) {
        super(message, cause);
        this.projection = projection;
        this.position = event.position();
    }

    /** The projection that failed. */
    public String projection() {
        return projection;
    }

    /** The position of the event it failed on. */
    public long position() {
        return position;
    }
}
