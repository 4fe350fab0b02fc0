package io.annals.eventstore.projection;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * An event a projection parked instead of applying (see {@link ErrorPolicy#parkAfter(int)}):
 * either because the projection failed on it, or because an earlier event of the same stream is
 * parked and the stream's order must be kept. The event itself stays in the log; this names it.
 *
 * @param projection the projection that parked it
 * @param position the event's position in the log: the key, with the projection
 * @param eventId the event's id
 * @param streamId its stream
 * @param type its type
 * @param error why it was parked: what the projection threw, or the parked event it is held behind
 * @param parkedAt when it was parked, from the runner's clock
 */
public record DeadLetter(
        String projection, long position, UUID eventId, String streamId, String type, String error, Instant parkedAt) {

    /**
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code position} is not positive
     */
    public DeadLetter {
        Objects.requireNonNull(projection, "projection");
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(parkedAt, "parkedAt");
        if (position < 1) {
            throw new IllegalArgumentException("position must be positive, was " + position);
        }
    }
}
