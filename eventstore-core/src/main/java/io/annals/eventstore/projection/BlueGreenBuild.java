package io.annals.eventstore.projection;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.Interest;
import io.annals.eventstore.projection.BlueGreenProjector.StagedVersion;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The catch-up of a version built beside the one in service: reads the log from the version's
 * checkpoint and applies it in batches, reporting progress. It never parks nor retries: a
 * failure ends the build, and the version in service stays as it was. Used by one thread at a
 * time (the caller's while it builds, then the projection's for the last stretch and the switch).
 */
final class BlueGreenBuild {

    private static final System.Logger LOG = System.getLogger(ProjectionRunner.class.getName());
    private static final long PROGRESS_LOG_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final EventStore store;
    private final StagedVersion staged;
    private final Optional<Query> interest;
    private final int batchSize;
    private final Consumer<RebuildProgress> listener;
    private final long total;
    private final long begun = System.nanoTime();
    private final LogPage.Reader reader;
    private long lastLog = begun;
    private long checkpoint;
    private long done;

    BlueGreenBuild(EventStore store, StagedVersion staged, int batchSize, Consumer<RebuildProgress> listener) {
        this.store = store;
        this.reader = new LogPage.Reader(store);
        this.staged = staged;
        this.interest = staged.interest();
        this.batchSize = batchSize;
        this.listener = listener;
        this.total = store.countEvents();
        this.checkpoint = staged.checkpoint();
        LOG.log(
                Level.INFO,
                () -> "building a new version of projection " + staged.name() + " from " + total
                        + " events, beside the one in service");
    }

    /** Applies batches until the end of the log; reports progress after each. */
    void catchUp() {
        for (int n; (n = step()) > 0; ) {
            done += n;
            long now = System.nanoTime();
            RebuildProgress p = new RebuildProgress(staged.name(), done, total, rate(now), false);
            listener.accept(p);
            if (now - lastLog >= PROGRESS_LOG_NANOS) {
                lastLog = now;
                LOG.log(
                        Level.INFO,
                        () -> String.format(
                                "building %s: %d/%d events (%.0f%%), %.0f events/s",
                                p.projection(), p.done(), p.total(), 100 * p.fraction(), p.eventsPerSecond()));
            }
        }
    }

    /** The version's checkpoint: where the build has applied the log up to. */
    long checkpoint() {
        return checkpoint;
    }

    /** Reports the end, once the version is in service. */
    RebuildProgress finished() {
        RebuildProgress end =
                new RebuildProgress(staged.name(), done, Math.max(total, done), rate(System.nanoTime()), true);
        listener.accept(end);
        LOG.log(
                Level.INFO,
                () -> String.format(
                        "switched %s to the new version: %d events, %.0f events/s",
                        end.projection(), end.done(), end.eventsPerSecond()));
        return end;
    }

    private double rate(long now) {
        long nanos = now - begun;
        return nanos <= 0 ? 0 : done / (nanos / 1e9);
    }

    /** Applies the next batch; how many events it read from the log (0 at its end). */
    private int step() {
        long from = checkpoint;
        LogPage page = reader.read(Interest.ofCategories(staged.categories(), interest), interest, from, batchSize);
        List<RecordedEvent> events = page.events();
        long readUpTo = page.readUpTo();
        if (readUpTo > from) {
            staged.apply(from, readUpTo, events);
            checkpoint = readUpTo;
        }
        return page.read();
    }
}
