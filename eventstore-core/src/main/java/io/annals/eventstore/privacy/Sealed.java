package io.annals.eventstore.privacy;

import java.util.Objects;

/**
 * A value of one data subject, encrypted with that subject's data key: what an event, a snapshot
 * or a read-model row holds in place of the personal data itself. Serialised as two strings (a
 * record: Jackson writes it as {@code {"subject": ..., "ciphertext": ...}}), so it goes wherever
 * a string goes. Only a {@link Vault} with the subject's key turns it back into the value.
 *
 * <p>The subject is stored in clear: it must not itself be personal data. Use an id of your own
 * (a watcher id, a customer number) or {@link Vault#subjectFor(String)}, a keyed hash of a natural
 * key such as an email address.
 *
 * @param subject the data subject whose key sealed the value
 * @param ciphertext the encrypted value, in the format {@link Vault} writes (the data key's id,
 *     the nonce, the ciphertext and its authentication tag)
 */
public record Sealed(String subject, String ciphertext) {

    /**
     * @throws IllegalArgumentException if the subject is not a valid subject id (see
     *     {@link Vault#seal}) or the ciphertext is not in the format a vault writes
     */
    public Sealed {
        Vault.checkSubject(subject);
        Objects.requireNonNull(ciphertext, "ciphertext");
        if (!Ciphertext.looksValid(ciphertext)) {
            throw new IllegalArgumentException("not a sealed value of subject " + subject
                    + ": the ciphertext is not in the format a vault writes ("
                    + Ciphertext.FORMAT + ")");
        }
    }

    /** The subject and the ciphertext's length: never anything that could be the value. */
    @Override
    public String toString() {
        return "Sealed[subject=" + subject + ", " + ciphertext.length() + " characters]";
    }
}
