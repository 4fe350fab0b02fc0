package io.annals.eventstore.snapshot;

import java.util.Optional;

/**
 * Keeps the latest {@link Snapshot} of each stream.
 */
public interface SnapshotStore {

    /** The latest snapshot of {@code streamId}, if any. */
    Optional<Snapshot> load(String streamId);

    /**
     * Saves a snapshot unless the store already holds one of the same stream at a higher version
     * (concurrent savers cannot move a snapshot backwards).
     */
    void save(Snapshot snapshot);
}
