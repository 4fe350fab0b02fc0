package io.annals.eventstore.snapshot;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * An aggregate's state saved at one version, so that loading it reads only the events after.
 *
 * <p>A snapshot is only a cache: the command loop uses it only when its schema version matches,
 * its state decodes, and the event it claims to end at ({@code version}, {@code lastEventId}) is
 * in the stream. Otherwise the aggregate is folded from its first event.
 *
 * @param streamId the aggregate's stream
 * @param version the stream version the state includes, positive
 * @param lastEventId the id of the event at {@code version}, to detect a snapshot that does not
 *     belong to this history (a restored or rebuilt database)
 * @param schemaVersion the version of the state's serialised form, as declared in
 *     {@link SnapshotSettings}
 * @param state the serialised state
 * @param takenAt when it was taken
 */
public record Snapshot(
        String streamId, long version, UUID lastEventId, int schemaVersion, String state, Instant takenAt) {
    /**
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code version} is not positive
     */
    public Snapshot {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(lastEventId, "lastEventId");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(takenAt, "takenAt");
        if (version < 1) {
            throw new IllegalArgumentException("snapshot version must be positive, was " + version);
        }
    }
}
