package io.annals.eventstore.projection;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.RecordedEvent;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Runs projections: tails the global log from each projection's checkpoint and hands the events
 * to its {@link Projector}, which writes the read model and the checkpoint together, so each
 * event is applied exactly once.
 *
 * <pre>{@code
 * ProjectionRunner runner = ProjectionRunner.builder(store).add(productView).add(history).build();
 * runner.start();                                             // a thread per projection
 * runner.awaitPosition("product-view", result.position(), Duration.ofSeconds(2));
 * }</pre>
 *
 * <ul>
 *   <li><b>Isolation.</b> Each projection has its own thread and checkpoint. One that fails on an
 *       event stops there with a {@link ProjectionException} naming the event, retries with
 *       exponential back-off (up to {@code maxBackoff}), and holds no other back.</li>
 *   <li><b>One runner per projection.</b> A projection is applied only while its runner holds the
 *       projector's lease ({@link Projector#tryAcquire}); other runners wait in
 *       {@code STANDBY} and take over when the lease goes. Checkpoints move by compare-and-set,
 *       so even two runners that both believe they hold it never apply an event twice.</li>
 *   <li><b>Read-your-writes.</b> {@link #awaitPosition} returns once a projection has applied a
 *       position, such as the one a command returned.</li>
 *   <li><b>Rebuild.</b> {@link #rebuild} resets a projection and replays the whole log,
 *       reporting progress to a listener and to the log every few seconds.</li>
 *   <li><b>Serverless.</b> Without {@link #start}, {@link #catchUp} runs one pass of every
 *       projection up to the end of the log, for a scheduled function.</li>
 * </ul>
 * Logging goes through {@link System.Logger}.
 */
public final class ProjectionRunner implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ProjectionRunner.class.getName());
    private static final long PROGRESS_LOG_NANOS = 5_000_000_000L;

    private final EventStore store;
    private final Map<String, Worker> workers = new LinkedHashMap<>();
    private final int batchSize;
    private final Duration pollInterval;
    private final Duration maxBackoff;
    private volatile boolean started;
    private volatile boolean closed;

    private ProjectionRunner(Builder b) {
        this.store = b.store;
        this.batchSize = b.batchSize;
        this.pollInterval = b.pollInterval;
        this.maxBackoff = b.maxBackoff;
        for (Projector p : b.projectors) {
            workers.put(p.name(), new Worker(p));
        }
    }

    /** Starts a runner on {@code store}. */
    public static Builder builder(EventStore store) {
        return new Builder(store);
    }

    /** Starts one daemon thread per projection. */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("the runner is closed");
        }
        if (started) {
            return;
        }
        started = true;
        for (Worker w : workers.values()) {
            Thread t = new Thread(w::loop, "annals-projection-" + w.projector.name());
            t.setDaemon(true);
            w.thread = t;
            t.start();
        }
    }

    /**
     * Brings every projection up to the end of the log once, in the calling thread, for runners
     * that are not {@linkplain #start() started} (a scheduled serverless function). A projection
     * held by another runner is left to it; one that fails is reported in its status and does
     * not stop the others.
     *
     * @return the status of every projection afterwards
     * @throws IllegalStateException if the runner was started
     */
    public List<ProjectionStatus> catchUp() {
        if (started) {
            throw new IllegalStateException("catchUp is for runners that were not started");
        }
        List<ProjectionStatus> out = new ArrayList<>();
        for (Worker w : workers.values()) {
            synchronized (w) {
                try (Projector.Lease lease = w.projector.tryAcquire().orElse(null)) {
                    if (lease == null) {
                        w.set(ProjectionStatus.State.STANDBY, null);
                    } else {
                        w.checkpoint = w.projector.checkpoint();
                        while (w.step(null) > 0) {
                            // until the end of the log
                        }
                        w.failures = 0;
                        w.set(ProjectionStatus.State.STOPPED, null);
                    }
                } catch (VirtualMachineError e) {
                    throw e;
                } catch (RuntimeException | Error e) {
                    w.failed(e);
                }
            }
            out.add(w.status());
        }
        return out;
    }

    /**
     * Waits until {@code projection} has applied {@code position} (read-your-writes).
     *
     * @return true when it has; false on timeout or interruption (the interrupt flag is kept)
     * @throws IllegalArgumentException if the runner has no such projection
     */
    public boolean awaitPosition(String projection, long position, Duration timeout) {
        Worker w = worker(projection);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (w.checkpoint >= position || w.projector.checkpoint() >= position) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            synchronized (w.progress) {
                try {
                    w.progress.wait(Math.max(1, Math.min(left / 1_000_000, pollInterval.toMillis())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /** Waits until every projection has applied {@code position}; see {@link #awaitPosition(String, long, Duration)}. */
    public boolean awaitPosition(long position, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String name : workers.keySet()) {
            if (!awaitPosition(name, position, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Rebuilds a projection: deletes its read model, sets its checkpoint to 0, and replays the
     * whole log into it, in the calling thread. A started runner pauses the projection meanwhile
     * and resumes it afterwards. Progress goes to {@code listener} after every batch and to the
     * log every 5 seconds.
     *
     * @return the final progress
     * @throws IllegalStateException if another runner holds the projection
     * @throws ProjectionException if the projection fails on an event (the rebuild stops there;
     *     a started runner then retries from that point)
     */
    public RebuildProgress rebuild(String projection, Consumer<RebuildProgress> listener) {
        Objects.requireNonNull(listener, "listener");
        Worker w = worker(projection);
        w.pause();
        try {
            synchronized (w) {
                try (Projector.Lease lease = w.projector.tryAcquire().orElse(null)) {
                    if (lease == null) {
                        throw new IllegalStateException("projection " + projection
                                + " is held by another runner: rebuild it there, or stop that runner");
                    }
                    return w.rebuild(listener);
                }
            }
        } finally {
            w.resume();
        }
    }

    /** The status of one projection. */
    public ProjectionStatus status(String projection) {
        return worker(projection).status();
    }

    /** The status of every projection, in the order they were added. */
    public List<ProjectionStatus> statuses() {
        List<ProjectionStatus> out = new ArrayList<>();
        workers.values().forEach(w -> out.add(w.status()));
        return out;
    }

    /** Stops the threads and releases the leases. */
    @Override
    public void close() {
        closed = true;
        for (Worker w : workers.values()) {
            w.wake();
            if (w.thread != null) {
                try {
                    w.thread.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private Worker worker(String projection) {
        Worker w = workers.get(Objects.requireNonNull(projection, "projection"));
        if (w == null) {
            throw new IllegalArgumentException("no projection named " + projection
                    + " (known: " + workers.keySet() + ")");
        }
        return w;
    }

    /** The runner of one projection. */
    private final class Worker {
        final Projector projector;
        final Object progress = new Object();
        final Object sleep = new Object();
        volatile Thread thread;
        volatile long checkpoint;
        volatile ProjectionStatus.State state = ProjectionStatus.State.STOPPED;
        volatile String lastError;
        volatile int failures;
        volatile boolean paused;
        volatile boolean idle;
        Projector.Lease lease;

        Worker(Projector projector) {
            this.projector = projector;
        }

        ProjectionStatus status() {
            return new ProjectionStatus(projector.name(), state, checkpoint, lastError, failures);
        }

        void set(ProjectionStatus.State s, String error) {
            state = s;
            lastError = error;
        }

        void failed(Throwable e) {
            failures++;
            set(ProjectionStatus.State.FAILED, e.getMessage());
            LOG.log(Level.WARNING, () -> "projection " + projector.name() + " failed (attempt "
                    + failures + "), retrying: " + e.getMessage(), e);
        }

        /** One batch: returns how many events were read (0 at the end of the log). */
        int step(Consumer<Integer> onBatch) {
            long from = checkpoint;
            List<RecordedEvent> events = store.readAll(from, batchSize);
            if (events.isEmpty()) {
                return 0;
            }
            long to = events.get(events.size() - 1).position();
            try {
                projector.apply(from, to, events);
            } catch (CheckpointConflictException e) {
                checkpoint = projector.checkpoint();
                throw e;
            }
            failures = 0; // before the checkpoint moves, so that a waiter sees a healthy status
            set(ProjectionStatus.State.RUNNING, null);
            checkpoint = to;
            synchronized (progress) {
                progress.notifyAll();
            }
            if (onBatch != null) {
                onBatch.accept(events.size());
            }
            return events.size();
        }

        RebuildProgress rebuild(Consumer<RebuildProgress> listener) {
            long total = store.countEvents();
            checkpoint = 0; // before the reset, so that awaitPosition cannot pass on the old rows
            projector.reset();
            long started = System.nanoTime();
            long[] done = {0};
            long[] lastLog = {started};
            LOG.log(Level.INFO, () -> "rebuilding projection " + projector.name() + " from "
                    + total + " events");
            Consumer<Integer> onBatch = n -> {
                done[0] += n;
                long now = System.nanoTime();
                RebuildProgress p = new RebuildProgress(projector.name(), done[0], total,
                        rate(done[0], now - started), false);
                listener.accept(p);
                if (now - lastLog[0] >= PROGRESS_LOG_NANOS) {
                    lastLog[0] = now;
                    LOG.log(Level.INFO, () -> String.format("rebuilding %s: %d/%d events (%.0f%%), %.0f events/s",
                            p.projection(), p.done(), p.total(), 100 * p.fraction(), p.eventsPerSecond()));
                }
            };
            while (step(onBatch) > 0) {
                // until the end of the log
            }
            RebuildProgress end = new RebuildProgress(projector.name(), done[0], Math.max(total, done[0]),
                    rate(done[0], System.nanoTime() - started), true);
            listener.accept(end);
            LOG.log(Level.INFO, () -> String.format("rebuilt %s: %d events, %.0f events/s",
                    end.projection(), end.done(), end.eventsPerSecond()));
            return end;
        }

        void loop() {
            try {
                while (!closed) {
                    if (paused) {
                        releaseLease();
                        set(ProjectionStatus.State.STOPPED, null);
                        synchronized (this) {
                            idle = true;
                            notifyAll();
                        }
                        sleep(pollInterval.toMillis());
                        continue;
                    }
                    idle = false;
                    try {
                        if (runOnce()) {
                            continue;
                        }
                        sleep(pollInterval.toMillis());
                    } catch (CheckpointConflictException e) {
                        LOG.log(Level.DEBUG, e::getMessage);
                    } catch (VirtualMachineError e) {
                        throw e;
                    } catch (Throwable e) {
                        // An Error from a projection (an assertion, a linkage error) fails it like
                        // an exception: it must not kill the thread while the lease is held.
                        failed(e);
                        releaseLease(); // a lease on a broken connection is worth nothing
                        sleep(backoff(failures));
                    }
                }
            } finally {
                releaseLease();
                set(ProjectionStatus.State.STOPPED, null);
                synchronized (this) {
                    idle = true;
                    notifyAll();
                }
            }
        }

        /** Takes the lease if needed and applies one batch; true when more events are waiting. */
        private synchronized boolean runOnce() {
            if (lease == null || !lease.isValid()) {
                releaseLease();
                lease = projector.tryAcquire().orElse(null);
                if (lease == null) {
                    set(ProjectionStatus.State.STANDBY, null);
                    checkpoint = projector.checkpoint();
                    return false;
                }
                checkpoint = projector.checkpoint();
            }
            int n = step(null);
            if (n == 0) {
                failures = 0;
                set(ProjectionStatus.State.RUNNING, null);
            }
            return n == batchSize;
        }

        private void releaseLease() {
            if (lease != null) {
                try {
                    lease.close();
                } catch (RuntimeException e) {
                    LOG.log(Level.DEBUG, () -> "releasing the lease of " + projector.name() + ": " + e);
                }
                lease = null;
            }
        }

        private long backoff(int attempt) {
            long millis = 100L << Math.min(attempt - 1, 20);
            return Math.min(millis, maxBackoff.toMillis());
        }

        void sleep(long millis) {
            synchronized (sleep) {
                try {
                    sleep.wait(Math.max(1, millis));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        void wake() {
            synchronized (sleep) {
                sleep.notifyAll();
            }
        }

        /** Stops the thread's work and waits until it has let go of the lease. */
        void pause() {
            paused = true;
            if (thread == null) {
                return;
            }
            wake();
            synchronized (this) {
                while (!idle && thread.isAlive()) {
                    try {
                        wait(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedWaitException("interrupted while pausing " + projector.name(), e);
                    }
                }
            }
        }

        void resume() {
            idle = false; // a later pause() must wait for the thread to see it
            paused = false;
            wake();
        }
    }

    private static double rate(long events, long nanos) {
        return nanos <= 0 ? 0 : events / (nanos / 1e9);
    }

    /** Configures a {@link ProjectionRunner}. */
    public static final class Builder {
        private final EventStore store;
        private final List<Projector> projectors = new ArrayList<>();
        private int batchSize = 500;
        private Duration pollInterval = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(30);

        private Builder(EventStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /**
         * Adds a projection.
         *
         * @throws IllegalArgumentException if one of the same name was added
         */
        public Builder add(Projector projector) {
            Objects.requireNonNull(projector, "projector");
            if (projectors.stream().anyMatch(p -> p.name().equals(projector.name()))) {
                throw new IllegalArgumentException("a projection named " + projector.name()
                        + " was added already");
            }
            projectors.add(projector);
            return this;
        }

        /** Events read and applied per transaction; default 500. */
        public Builder batchSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, was " + n);
            }
            this.batchSize = n;
            return this;
        }

        /** How long an idle projection waits before reading the log again; default 100 ms. */
        public Builder pollInterval(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive, was " + d);
            }
            this.pollInterval = d;
            return this;
        }

        /** The longest wait between retries of a failing projection; default 30 s. */
        public Builder maxBackoff(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("maxBackoff must be positive, was " + d);
            }
            this.maxBackoff = d;
            return this;
        }

        /**
         * The runner.
         *
         * @throws IllegalStateException if no projection was added
         */
        public ProjectionRunner build() {
            if (projectors.isEmpty()) {
                throw new IllegalStateException("add at least one projection");
            }
            return new ProjectionRunner(this);
        }
    }
}
