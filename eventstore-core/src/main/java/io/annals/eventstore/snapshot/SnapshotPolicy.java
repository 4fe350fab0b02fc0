package io.annals.eventstore.snapshot;

/**
 * When the command loop takes a snapshot: each time a stream's version crosses a multiple of
 * {@code everyEvents}.
 *
 * @param everyEvents take a snapshot every this many events, positive
 */
public record SnapshotPolicy(int everyEvents) {
    /** @throws IllegalArgumentException if {@code everyEvents} is not positive */
    public SnapshotPolicy {
        if (everyEvents < 1) {
            throw new IllegalArgumentException("everyEvents must be at least 1, was " + everyEvents);
        }
    }

    /** A snapshot every {@code n} events. */
    public static SnapshotPolicy everyEvents(int n) {
        return new SnapshotPolicy(n);
    }

    /** Whether an append that moved a stream from {@code before} to {@code after} calls for one. */
    public boolean shouldSnapshot(long before, long after) {
        return after / everyEvents > before / everyEvents;
    }
}
