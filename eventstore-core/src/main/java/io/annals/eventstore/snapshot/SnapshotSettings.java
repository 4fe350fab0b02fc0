package io.annals.eventstore.snapshot;

import io.annals.eventstore.StateCodec;
import java.util.Objects;

/**
 * How the command loop snapshots one aggregate type.
 *
 * <p>A snapshot of another schema version than {@code schemaVersion} is read through
 * {@code upcaster} when it reads that version, and ignored otherwise (a cache snapshot: the
 * aggregate is replayed from its events), never half-read. The pinned snapshot of a truncated
 * stream cannot be replayed around: a handler that cannot read it refuses to load the stream
 * ({@link PinnedSnapshotException}). So when the state of an aggregate whose streams are
 * truncated changes shape, raise {@code schemaVersion} and add an upcaster from the old version
 * ({@link #withUpcaster}).
 *
 * @param store where snapshots go
 * @param codec how the state is serialised
 * @param schemaVersion the version of the serialised form: raise it whenever the state class
 *     changes shape
 * @param policy when to take one
 * @param upcaster how a snapshot of an older schema version is read; {@link SnapshotUpcaster#none()}
 *     by default
 * @param <S> the aggregate's state
 */
public record SnapshotSettings<S>(
        SnapshotStore store, StateCodec<S> codec, int schemaVersion, SnapshotPolicy policy, SnapshotUpcaster upcaster) {
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
        Objects.requireNonNull(upcaster, "upcaster");
    }

    /**
     * Settings without an upcaster: snapshots of another schema version are ignored.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code schemaVersion} is negative
     */
    public SnapshotSettings(SnapshotStore store, StateCodec<S> codec, int schemaVersion, SnapshotPolicy policy) {
        this(store, codec, schemaVersion, policy, SnapshotUpcaster.none());
    }

    /** These settings, reading snapshots of older schema versions through {@code upcaster}. */
    public SnapshotSettings<S> withUpcaster(SnapshotUpcaster upcaster) {
        return new SnapshotSettings<>(store, codec, schemaVersion, policy, upcaster);
    }
}
