package io.annals.eventstore;

/**
 * The calling thread was interrupted while the library waited on its behalf: for an aggregate's
 * turn in a command handler, between the retries of a command or an append, or for a projection
 * task. The interrupt flag is set again before this is thrown. What was waited for did not
 * happen; nothing half-done was written.
 */
public class InterruptedWaitException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what the thread was waiting for
     * @param cause the {@link InterruptedException}, if one was caught
     */
    public InterruptedWaitException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * @param message what the thread was waiting for
     */
    public InterruptedWaitException(String message) {
        super(message);
    }
}
