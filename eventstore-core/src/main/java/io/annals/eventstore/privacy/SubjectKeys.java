package io.annals.eventstore.privacy;

import java.util.List;
import java.util.Optional;

/**
 * Where a {@link Vault} keeps the data keys: {@code JdbcEventStore.subjectKeys()} keeps them in
 * the store's database beside the events, {@link InMemorySubjectKeys} in memory (tests). A
 * subject may have several keys (two processes sealing its first value at once each make one);
 * forgetting it deletes all of them.
 */
public interface SubjectKeys {

    /** The subject's newest key that is not forgotten, if any. */
    Optional<SubjectKey> live(String subject);

    /** One key, forgotten or not. */
    Optional<SubjectKey> find(String subject, String dataKeyId);

    /**
     * Stores a new key.
     *
     * @throws IllegalArgumentException if the key is forgotten (has no wrapped bytes)
     * @throws io.annals.eventstore.EventStoreException if a key with this subject and id exists
     */
    void insert(SubjectKey key);

    /**
     * Deletes the wrapped bytes of every key of the subject, keeping the rows as the record that
     * it was forgotten.
     *
     * @return how many keys the subject has (0: the subject never had one)
     */
    int forget(String subject);

    /** Up to {@code max} keys that are not forgotten and not wrapped by {@code wrappingKeyId}. */
    List<SubjectKey> wrappedByOtherThan(String wrappingKeyId, int max);

    /**
     * Replaces a key's wrapping (after a rotation), unless it changed since it was read (it was
     * forgotten or wrapped again meanwhile).
     *
     * @return whether it was replaced
     */
    boolean rewrap(SubjectKey old, String wrappingKeyId, byte[] wrapped);
}
