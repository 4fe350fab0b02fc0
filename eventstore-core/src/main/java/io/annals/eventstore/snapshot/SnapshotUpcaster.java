package io.annals.eventstore.snapshot;

import java.util.Optional;

/**
 * Reads a snapshot's state written under an older schema version of the state
 * ({@link SnapshotSettings#schemaVersion()}), as text: what a codec of the current version can
 * read. Needed when the state of a truncated stream changes shape: its pinned snapshot is the only
 * record of the state before its first event, so it cannot be replayed from the events.
 *
 * <pre>{@code
 * SnapshotUpcaster v1ToV2 = (version, state) -> version == 1
 *         ? Optional.of(state.replace("\"price\":", "\"amount\":")) // or a JSON tree rewrite
 *         : Optional.empty();
 * }</pre>
 */
@FunctionalInterface
public interface SnapshotUpcaster {

    /**
     * The state of a snapshot stored at {@code schemaVersion}, rewritten in the current form.
     *
     * @param schemaVersion the version the snapshot was written at, never the current one
     * @param state the stored state
     * @return the state in the current form; empty when this upcaster cannot read that version
     * @throws RuntimeException if the state cannot be read; for a pinned snapshot the command
     *     handler then refuses to load the stream, saying so
     */
    Optional<String> upcast(int schemaVersion, String state);

    /** An upcaster that reads no older version: the default of {@link SnapshotSettings}. */
    static SnapshotUpcaster none() {
        return None.INSTANCE;
    }

    /** The upcaster of {@link #none()}, one object so that settings compare equal. */
    enum None implements SnapshotUpcaster {
        /** The one instance. */
        INSTANCE;

        @Override
        public Optional<String> upcast(int schemaVersion, String state) {
            return Optional.empty();
        }
    }
}
