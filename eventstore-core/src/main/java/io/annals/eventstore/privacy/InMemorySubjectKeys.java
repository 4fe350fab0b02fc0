package io.annals.eventstore.privacy;

import io.annals.eventstore.EventStoreException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** Data keys in memory, for tests and the in-memory store. Thread-safe. */
public final class InMemorySubjectKeys implements SubjectKeys {

    private final Map<String, Map<String, SubjectKey>> keys = new LinkedHashMap<>();

    /** An empty set of keys. */
    public InMemorySubjectKeys() {}

    @Override
    public synchronized Optional<SubjectKey> live(String subject) {
        Objects.requireNonNull(subject, "subject");
        return keys.getOrDefault(subject, Map.of()).values().stream()
                .filter(k -> !k.forgotten())
                .max(Comparator.comparing(SubjectKey::createdAt));
    }

    @Override
    public synchronized Optional<SubjectKey> find(String subject, String dataKeyId) {
        return Optional.ofNullable(keys.getOrDefault(subject, Map.of()).get(dataKeyId));
    }

    @Override
    public synchronized void insert(SubjectKey key) {
        if (key.forgotten()) {
            throw new IllegalArgumentException("a new key of " + key.subject() + " has no wrapped bytes");
        }
        Map<String, SubjectKey> ofSubject = keys.computeIfAbsent(key.subject(), s -> new LinkedHashMap<>());
        if (ofSubject.putIfAbsent(key.dataKeyId(), key) != null) {
            throw new EventStoreException(
                    "a data key " + key.dataKeyId() + " of subject " + key.subject() + " exists already");
        }
    }

    @Override
    public synchronized int forget(String subject) {
        Map<String, SubjectKey> ofSubject = keys.get(subject);
        if (ofSubject == null) {
            return 0;
        }
        ofSubject.replaceAll((id, k) -> new SubjectKey(k.subject(), id, k.wrappingKeyId(), null, k.createdAt()));
        return ofSubject.size();
    }

    @Override
    public synchronized List<SubjectKey> wrappedByOtherThan(String wrappingKeyId, int max) {
        List<SubjectKey> out = new ArrayList<>();
        for (Map<String, SubjectKey> ofSubject : keys.values()) {
            for (SubjectKey k : ofSubject.values()) {
                if (out.size() < max && !k.forgotten() && !k.wrappingKeyId().equals(wrappingKeyId)) {
                    out.add(k);
                }
            }
        }
        return out;
    }

    @Override
    public synchronized boolean rewrap(SubjectKey old, String wrappingKeyId, byte[] wrapped) {
        Map<String, SubjectKey> ofSubject = keys.get(old.subject());
        if (ofSubject == null || !old.equals(ofSubject.get(old.dataKeyId()))) {
            return false;
        }
        ofSubject.put(
                old.dataKeyId(),
                new SubjectKey(old.subject(), old.dataKeyId(), wrappingKeyId, wrapped, old.createdAt()));
        return true;
    }
}
