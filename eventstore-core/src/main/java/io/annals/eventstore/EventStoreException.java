package io.annals.eventstore;

/**
 * The unchecked root of every error an event store raises. A database error is kept as the
 * {@linkplain #getCause() cause}; {@code SQLException} never appears in a signature.
 */
public class EventStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the stream or event concerned
     */
    public EventStoreException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, naming the stream or event concerned
     * @param cause the underlying error, usually a {@code SQLException}
     */
    public EventStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
