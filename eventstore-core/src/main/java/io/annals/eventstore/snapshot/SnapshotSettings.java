package io.annals.eventstore.snapshot;

import io.annals.eventstore.StateCodec;
import java.util.Objects;

/**
 * How the command loop snapshots one aggregate type.
 *
 * @param store where snapshots go
 * @param codec how the state is serialised
 * @param schemaVersion the version of the serialised form: raise it whenever the state class
 *     changes shape; snapshots of any other version are ignored, never half-read
 * @param policy when to take one
 * @param <S> the aggregate's state
 */
public record SnapshotSettings<S>(SnapshotStore store, StateCodec<S> codec, int schemaVersion, SnapshotPolicy policy) {
    /**
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code schemaVersion} is negative
     */
    public SnapshotSettings {
        if (schemaVersion < 0) {
            throw new IllegalArgumentException("schemaVersion cannot be negative, was " + schemaVersion);
        }
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(policy, "policy");
    }
}
