package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStoreException;

/**
 * The database or the DataSource cannot serve as a store as configured: a DataSource that hands
 * out connections with auto-commit off, an in-memory SQLite database, settings the database did
 * not take, a PostgreSQL server too old. Retrying does not help; the message says what to change.
 */
public class StoreConfigurationException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to change */
    public StoreConfigurationException(String message) {
        super(message);
    }
}
