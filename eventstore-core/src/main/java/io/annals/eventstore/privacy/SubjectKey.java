package io.annals.eventstore.privacy;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One data key of a data subject as it is stored: wrapped by the application's
 * {@link KeyWrapper}, or, once the subject is forgotten, without its key.
 *
 * @param subject the data subject
 * @param dataKeyId the key's id, 16 lower-case hex digits, which every value it seals names
 * @param wrappingKeyId the {@link KeyWrapper#keyId()} that wrapped it
 * @param wrapped the wrapped key, or null once the subject is forgotten
 * @param createdAt when the key was made
 */
public record SubjectKey(
        String subject, String dataKeyId, String wrappingKeyId, byte @Nullable [] wrapped, Instant createdAt) {

    /**
     * @throws IllegalArgumentException on an invalid subject or data key id
     */
    public SubjectKey {
        Vault.checkSubject(subject);
        Objects.requireNonNull(dataKeyId, "dataKeyId");
        Objects.requireNonNull(wrappingKeyId, "wrappingKeyId");
        Objects.requireNonNull(createdAt, "createdAt");
        if (!Ciphertext.isDataKeyId(dataKeyId)) {
            throw new IllegalArgumentException("a data key id is 16 lower-case hex digits; was '" + dataKeyId + "'");
        }
        wrapped = wrapped == null ? null : wrapped.clone();
    }

    /** The wrapped key (a copy), or null once the subject is forgotten. */
    @Override
    public byte @Nullable [] wrapped() {
        return wrapped == null ? null : wrapped.clone();
    }

    /** Whether the key was deleted: every value it sealed is forgotten. */
    public boolean forgotten() {
        return wrapped == null;
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof SubjectKey k
                && subject.equals(k.subject)
                && dataKeyId.equals(k.dataKeyId)
                && wrappingKeyId.equals(k.wrappingKeyId)
                && java.util.Arrays.equals(wrapped, k.wrapped)
                && createdAt.equals(k.createdAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(subject, dataKeyId);
    }

    /** Never the wrapped bytes. */
    @Override
    public String toString() {
        return "SubjectKey[subject=" + subject + ", dataKeyId=" + dataKeyId + ", wrappingKeyId=" + wrappingKeyId
                + (forgotten() ? ", forgotten" : "") + ", createdAt=" + createdAt + "]";
    }
}
