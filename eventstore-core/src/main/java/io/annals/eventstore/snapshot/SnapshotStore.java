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

    /**
     * Removes {@code snapshot} if it is still the one stored for its stream (same version, same
     * last event id); does nothing otherwise. The command loop discards a snapshot that does not
     * belong to the stream's history, cannot be read, or gives a state the aggregate cannot use,
     * so that it is not tried again and cannot keep newer snapshots out.
     */
    void discard(Snapshot snapshot);
}
