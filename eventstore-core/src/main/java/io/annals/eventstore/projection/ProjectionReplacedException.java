package io.annals.eventstore.projection;

import io.annals.eventstore.EventStoreException;

/**
 * A projector's version of its read model is no longer in service: a blue-green rebuild switched
 * the projection to a version built beside it, and this projector runs the code it replaced.
 * Nothing was written. A runner stops the projection at once (no retries: the old code can never
 * apply again) and lets go of its lease, so that a runner of the new code takes it over; run the
 * new code, or {@link ProjectionRunner#retry retry} after a restart with it.
 */
public class ProjectionReplacedException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /** @param message what replaced which version, and what to do */
    public ProjectionReplacedException(String message) {
        super(message);
    }
}
