package io.annals.eventstore;

/**
 * Where the last event of an append landed.
 *
 * @param version the stream version of the last event written (also the stream's new version)
 * @param position the global position of the last event written; wait for this position to
 *     read your own write from a projection
 */
public record AppendResult(long version, long position) {
    /** @throws IllegalArgumentException if a value is not positive */
    public AppendResult {
        if (version < 1) {
            throw new IllegalArgumentException("version must be positive, was " + version);
        }
        if (position < 1) {
            throw new IllegalArgumentException("position must be positive, was " + position);
        }
    }
}
