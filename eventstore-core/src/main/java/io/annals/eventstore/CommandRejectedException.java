package io.annals.eventstore;

import java.util.Objects;

/**
 * Thrown by {@link Aggregate#decide} when a command breaks a business rule ("product 42 is
 * deleted"). It is not a failure of the store: nothing is written and the command loop does not
 * retry it.
 *
 * <p>The {@code code} is a short, stable, machine-readable reason (for example
 * {@code "not_found"}, {@code "already_exists"}) that an API layer can map to a status code; the
 * message is for people.
 */
public class CommandRejectedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String code;

    /**
     * @param code a short, stable reason such as {@code "not_found"}
     * @param message what rule was broken, for people
     */
    public CommandRejectedException(String code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** The machine-readable reason. */
    public String code() {
        return code;
    }
}
