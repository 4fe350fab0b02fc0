package io.annals.eventstore.projection;

/**
 * Where a projection stands in a {@link ProjectionRunner}.
 *
 * @param name the projection
 * @param state what its runner is doing
 * @param checkpoint the position of the last event applied, as this runner last saw it
 * @param lastError the error of the last failed attempt while {@code FAILED}, else null
 * @param failures failed attempts in a row
 */
public record ProjectionStatus(String name, State state, long checkpoint, String lastError,
                               int failures) {

    /** What a projection's runner is doing. */
    public enum State {
        /** Not started, or stopped. */
        STOPPED,
        /** Another runner holds the projection; this one waits to take over. */
        STANDBY,
        /** Applying events, or waiting for new ones. */
        RUNNING,
        /** The last attempt failed; retrying with back-off. */
        FAILED
    }
}
