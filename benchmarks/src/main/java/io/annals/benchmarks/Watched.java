package io.annals.benchmarks;

import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.Projector;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A projector that tells when it has applied a position, watched from outside the runner: W10
 * waits on it where {@code awaitPosition} would bring the runner's next read forward itself, so
 * that what is timed is the runner woken by the append (or hearing another process) alone.
 */
final class Watched implements Projector {

    private final Projector projector;
    private long applied;

    Watched(Projector projector) {
        this.projector = projector;
    }

    /** Whether {@code position} is applied within {@code timeoutMillis}. */
    synchronized boolean awaitApplied(long position, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (Math.max(applied, projector.checkpoint()) < position) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    @Override
    public void apply(long from, long to, List<RecordedEvent> events) {
        projector.apply(from, to, events);
        synchronized (this) {
            applied = Math.max(applied, to);
            notifyAll();
        }
    }

    @Override
    public String name() {
        return projector.name();
    }

    @Override
    public long checkpoint() {
        return projector.checkpoint();
    }

    @Override
    public Optional<Query> interest() {
        return projector.interest();
    }

    @Override
    public Set<String> categories() {
        return projector.categories();
    }

    @Override
    public int readsPerBatch() {
        return projector.readsPerBatch();
    }

    @Override
    public void reset() {
        projector.reset();
    }

    @Override
    public Optional<Lease> tryAcquire() {
        return projector.tryAcquire();
    }
}
