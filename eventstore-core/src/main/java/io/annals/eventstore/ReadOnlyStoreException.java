package io.annals.eventstore;

/**
 * A write was asked of a store that cannot write: one opened read-only, or a database that
 * refuses writes (a PostgreSQL hot standby, a session with {@code default_transaction_read_only}).
 * Nothing was written.
 */
public class ReadOnlyStoreException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what was refused and why
     * @param cause the database's error, if it refused
     */
    public ReadOnlyStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * @param message what was refused and why
     */
    public ReadOnlyStoreException(String message) {
        super(message);
    }
}
