package io.annals.eventstore.projection;

import io.annals.eventstore.EventStoreException;

/**
 * A projection's checkpoint was not where a runner expected it: another runner applied events in
 * between. Nothing was written; the runner reads the checkpoint again.
 */
public class CheckpointConflictException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * @param projection the projection
     * @param expected the checkpoint the runner read
     */
    public CheckpointConflictException(String projection, long expected) {
        super("the checkpoint of projection " + projection + " moved away from " + expected
                + ": another runner is applying it");
    }
}
