package io.annals.eventstore.privacy;

import io.annals.eventstore.EventStoreException;

/**
 * A sealed value that cannot be revealed for a reason other than its subject being forgotten: no
 * data key was ever stored for it, the wrapping key that wrapped its data key is not configured
 * or is not the right one, or the value or the key record was altered. Never wrong data: a value
 * either comes back exactly as it was sealed, or as forgotten, or this is thrown. Its message
 * names the subject and the key ids, never the value.
 */
public class PersonalDataException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the subject and the key ids, never the value
     */
    public PersonalDataException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, naming the subject and the key ids, never the value
     * @param cause the underlying error
     */
    public PersonalDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
