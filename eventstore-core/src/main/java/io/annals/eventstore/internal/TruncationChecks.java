package io.annals.eventstore.internal;

import io.annals.eventstore.snapshot.Snapshot;
import java.util.Objects;
import java.util.UUID;

/**
 * The rules of a truncation ({@code EventStore.truncateStream}), in one place, so that every store
 * refuses the same calls with the same messages, and writes nothing.
 */
public final class TruncationChecks {

    private TruncationChecks() {}

    /**
     * Checks what can be checked without the stream: the arguments, the range of the cut, and
     * that the pinned snapshot is of this stream at the version before the cut.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException naming the rule broken
     */
    public static void checkArguments(String streamId, long beforeVersion, Snapshot pinned) {
        AppendChecks.checkStreamId(streamId);
        Objects.requireNonNull(pinned, "pinned");
        if (beforeVersion < 2) {
            throw new IllegalArgumentException("cannot truncate stream " + streamId + " before version " + beforeVersion
                    + ": beforeVersion is the first version kept, at least 2 (there is nothing before version 1)");
        }
        if (!pinned.streamId().equals(streamId)) {
            throw new IllegalArgumentException("cannot truncate stream " + streamId
                    + " with the pinned snapshot of another stream, " + pinned.streamId());
        }
        if (pinned.version() != beforeVersion - 1) {
            throw new IllegalArgumentException("cannot truncate stream " + streamId + " before version " + beforeVersion
                    + ": the pinned snapshot must hold the state at version " + (beforeVersion - 1) + ", not "
                    + pinned.version());
        }
    }

    /**
     * Checks the cut against the stream as stored, in the truncation's transaction.
     *
     * @param current the stream's version, 0 when it does not exist
     * @throws IllegalArgumentException if the stream does not exist or the cut is past its last
     *     event
     */
    public static void checkCut(String streamId, long beforeVersion, long current) {
        if (current == 0) {
            throw new IllegalArgumentException("cannot truncate stream " + streamId + ": it does not exist");
        }
        if (beforeVersion > current) {
            throw new IllegalArgumentException("cannot truncate stream " + streamId + " before version " + beforeVersion
                    + ": it ends at version " + current + ", and its last event always stays (it holds the"
                    + " stream's version)");
        }
    }

    /**
     * The refusal of a pinned snapshot that does not end at the event stored at its version.
     *
     * @param stored the id of the event at {@code pinned.version()}
     */
    public static IllegalArgumentException notThisHistory(Snapshot pinned, UUID stored) {
        return new IllegalArgumentException("cannot truncate stream " + pinned.streamId() + " before version "
                + (pinned.version() + 1) + ": the pinned snapshot ends at event " + pinned.lastEventId()
                + ", but the event at version " + pinned.version() + " is " + stored);
    }
}
