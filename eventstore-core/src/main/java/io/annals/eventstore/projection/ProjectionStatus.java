package io.annals.eventstore.projection;

import io.annals.eventstore.ReadHorizon;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a projection stands in a {@link ProjectionRunner}.
 *
 * @param name the projection
 * @param state what its runner is doing
 * @param checkpoint the position of the last event applied, as this runner last saw it
 * @param lastError what the last attempt failed with, present exactly while {@code FAILED}
 * @param failures failed attempts in a row
 * @param heldBy the write in flight that held the store's readers back when the status was
 *     taken (see {@link io.annals.eventstore.EventStore#readHorizon}): a projection that has
 *     applied every event below the horizon waits for it to end. Empty when nothing held them,
 *     and when the store could not be asked
 */
public record ProjectionStatus(
        String name,
        State state,
        long checkpoint,
        Optional<String> lastError,
        int failures,
        Optional<ReadHorizon.Holder> heldBy) {

    /**
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code checkpoint} or {@code failures} is negative, or
     *     {@code lastError} is present in another state than {@code FAILED} or missing in it
     */
    public ProjectionStatus {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(lastError, "lastError");
        Objects.requireNonNull(heldBy, "heldBy");
        if (checkpoint < 0 || failures < 0) {
            throw new IllegalArgumentException(
                    "checkpoint and failures cannot be negative, were " + checkpoint + " and " + failures);
        }
        if (lastError.isPresent() != (state == State.FAILED)) {
            throw new IllegalArgumentException(
                    "lastError must be present exactly while FAILED, was " + lastError + " while " + state);
        }
    }

    /** What a projection's runner is doing. */
    public enum State {
        /** Not started, or stopped. */
        STOPPED,
        /** Another runner holds the projection; this one waits to take over. */
        STANDBY,
        /** Applying events, or waiting for new ones. */
        RUNNING,
        /**
         * The last attempt failed: retrying with back-off, or, under
         * {@link ErrorPolicy#stopAfter(int)}, stopped at the event until
         * {@link ProjectionRunner#retry(String)}.
         */
        FAILED
    }
}
