package io.annals.eventstore.snapshot;

import io.annals.eventstore.InMemoryEventStore;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** A {@link SnapshotStore} in memory, for tests and the {@link InMemoryEventStore}. */
public final class InMemorySnapshotStore implements SnapshotStore {

    private final ConcurrentMap<String, Snapshot> snapshots = new ConcurrentHashMap<>();

    /** An empty store. */
    public InMemorySnapshotStore() {}

    @Override
    public Optional<Snapshot> load(String streamId) {
        return Optional.ofNullable(snapshots.get(Objects.requireNonNull(streamId, "streamId")));
    }

    @Override
    public void save(Snapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        snapshots.merge(snapshot.streamId(), snapshot, (old, neu) -> neu.version() >= old.version() ? neu : old);
    }

    @Override
    public void discard(Snapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        snapshots.computeIfPresent(
                snapshot.streamId(),
                (id, stored) -> stored.version() == snapshot.version()
                                && stored.lastEventId().equals(snapshot.lastEventId())
                        ? null
                        : stored);
    }
}
