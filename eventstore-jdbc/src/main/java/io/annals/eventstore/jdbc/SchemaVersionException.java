package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStoreException;

/**
 * The database's schema is not the one this version of Annals works with, and the store will not
 * open on it: no schema at all or missing versions (in {@link OpenMode#VALIDATE} or
 * {@link OpenMode#READ_ONLY} mode, which never migrate), versions newer than this code knows, or
 * applied migrations whose checksums differ from this code's (an edited migration, a database
 * written by another build). The message names the versions concerned and what to do.
 */
public class SchemaVersionException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong with the schema and what to do */
    public SchemaVersionException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong with the schema and what to do
     * @param cause the database's error
     */
    public SchemaVersionException(String message, Throwable cause) {
        super(message, cause);
    }
}
