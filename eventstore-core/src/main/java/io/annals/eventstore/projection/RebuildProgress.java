package io.annals.eventstore.projection;

/**
 * How far a projection rebuild has come.
 *
 * @param projection the projection being rebuilt
 * @param done events read from the log so far
 * @param total events in the log when the rebuild started
 * @param eventsPerSecond the average rate so far
 * @param finished whether the rebuild has caught up with the log
 */
public record RebuildProgress(String projection, long done, long total, double eventsPerSecond, boolean finished) {

    /** {@code done / total} between 0 and 1 (1 when the log is empty). */
    public double fraction() {
        return total <= 0 ? 1.0 : Math.min(1.0, (double) done / total);
    }
}
