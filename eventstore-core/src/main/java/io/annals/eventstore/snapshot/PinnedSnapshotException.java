package io.annals.eventstore.snapshot;

import io.annals.eventstore.EventStoreException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A truncated stream cannot be loaded because its pinned snapshot cannot be read: it is of
 * another schema version than the command handler's and no {@link SnapshotUpcaster} reads it, the
 * upcaster or the codec fails on it, or the handler has no snapshot settings. The events before
 * the cut are gone, so the state cannot be replayed instead: the stream is refused rather than
 * folded from a wrong start. Nothing was written. Add an upcaster for the stored schema version
 * ({@link SnapshotSettings#withUpcaster}) and load again.
 */
public class PinnedSnapshotException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    private final String streamId;
    private final long version;
    private final int schemaVersion;
    private final int expectedSchemaVersion;

    /**
     * @param pinned the pinned snapshot that cannot be read
     * @param expectedSchemaVersion the schema version the handler reads, -1 when it has no
     *     snapshot settings
     * @param why what failed
     * @param cause the failure of the upcaster or codec, or null
     */
    public PinnedSnapshotException(Snapshot pinned, int expectedSchemaVersion, String why, @Nullable Throwable cause) {
        super(
                "cannot load stream " + Objects.requireNonNull(pinned, "pinned").streamId()
                        + ": it was truncated, and its pinned snapshot (the state at version "
                        + pinned.version() + ", schema version " + pinned.schemaVersion() + ") cannot be read"
                        + (expectedSchemaVersion >= 0 ? " at schema version " + expectedSchemaVersion : "")
                        + ": " + why,
                cause);
        this.streamId = pinned.streamId();
        this.version = pinned.version();
        this.schemaVersion = pinned.schemaVersion();
        this.expectedSchemaVersion = expectedSchemaVersion;
    }

    /** The truncated stream. */
    public String streamId() {
        return streamId;
    }

    /** The version of the pinned snapshot: the stream starts after it. */
    public long version() {
        return version;
    }

    /** The schema version the pinned snapshot was written at. */
    public int schemaVersion() {
        return schemaVersion;
    }

    /** The schema version the handler reads; -1 when it has no snapshot settings. */
    public int expectedSchemaVersion() {
        return expectedSchemaVersion;
    }
}
