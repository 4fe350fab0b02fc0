package io.annals.eventstore.projection;

import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.RecordedEvent;
import java.util.List;

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

    /**
     * A failure of a batch of events that the projection applied together, so that which of them
     * caused it is not known (a {@code SqlProjection} that applies a batch at once): the message
     * names the batch's positions and its first event, and {@link #position()} is the first
     * event's. For one event, the same as the constructor.
     *
     * @param projection the projection that failed
     * @param events the events of the batch, in log order, at least one
     * @param cause what it threw
     * @throws IllegalArgumentException if {@code events} is empty
     */
    public static ProjectionException ofBatch(String projection, List<RecordedEvent> events, Throwable cause) {
        if (events.isEmpty()) {
            throw new IllegalArgumentException("a failed batch has at least one event");
        }
        RecordedEvent first = events.get(0);
        if (events.size() == 1) {
            return new ProjectionException(projection, first, cause);
        }
        RecordedEvent last = events.get(events.size() - 1);
        return new ProjectionException(
                projection,
                first,
                "projection " + projection + " failed on a batch of " + events.size() + " events, positions "
                        + first.position() + " to " + last.position() + " (first: " + first.eventId() + ", "
                        + first.type() + ", stream " + first.streamId() + " version " + first.version()
                        + "), applied together, so which one is not known: " + cause,
                cause);
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
