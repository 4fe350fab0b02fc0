package io.annals.eventstore.projection;

import io.annals.eventstore.CategoryQuery;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.Instrumentation;
import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.Query;
import io.annals.eventstore.ReadHorizon;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.Instrumented;
import io.annals.eventstore.internal.Interest;
import io.annals.eventstore.projection.ProjectionStatus.State;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

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
 *   <li><b>One thread per projection.</b> Everything done to a projection (polling the log, a
 *       {@linkplain #rebuild rebuild}, a {@linkplain #catchUp catch-up pass}, letting go of its
 *       lease at {@linkplain #close close}) is a task on its own daemon thread,
 *       {@code annals-projection-<name>}, so no two of them ever overlap. Other threads see the
 *       projection only through its {@link ProjectionStatus}.</li>
 *   <li><b>Isolation.</b> A projection that fails on an event stops there with a
 *       {@link ProjectionException} naming the event, retries with exponential back-off (from
 *       100 ms up to {@code maxBackoff}), and holds no other back. Its {@link ErrorPolicy}
 *       ({@link Builder#onError}) may end the retries: stop at the event, or park it as a
 *       {@link DeadLetter} and go on ({@link #deadLetters}, {@link #retryDeadLetters},
 *       {@link #skipDeadLetter}).</li>
 *   <li><b>One runner per projection.</b> A projection is applied only while its runner holds the
 *       projector's lease ({@link Projector#tryAcquire}); other runners wait in
 *       {@code STANDBY} and take over when the lease goes. Checkpoints move by compare-and-set,
 *       so even two runners that both believe they hold it never apply an event twice.</li>
 *   <li><b>Read-your-writes.</b> {@link #awaitPosition} returns once a projection has applied a
 *       position, such as the one a command returned.</li>
 *   <li><b>Rebuild.</b> {@link #rebuild} resets a projection and replays the whole log,
 *       reporting progress to a listener and to the log every few seconds.</li>
 *   <li><b>Serverless.</b> Without {@link #start}, {@link #catchUp()} runs one pass of every
 *       projection up to the end of the log, for a scheduled function, and
 *       {@link #catchUp(long, Duration)} a pass bounded by a position and a time, for a read
 *       that must include a write.</li>
 * </ul>
 * Logging goes through {@link System.Logger}.
 */
public final class ProjectionRunner implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ProjectionRunner.class.getName());
    private static final long PROGRESS_LOG_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The longest wait: {@link System#nanoTime()} plus longer timeouts would overflow. */
    private static final Duration MAX_WAIT = Duration.ofDays(36_500);
    /** The shortest time between the end of a poll and a poll brought forward by an append. */
    private static final long WAKE_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** The longest such gap, when appends come faster than a projection reads. */
    private static final long MAX_WAKE_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** No caller of {@code awaitPosition} waits for a poll brought forward. */
    private static final long NOT_WANTED = Long.MIN_VALUE;

    private final EventStore store;
    private final Map<String, Worker> workers = new LinkedHashMap<>();
    private final int batchSize;
    private final Duration pollInterval;
    private final Duration maxBackoff;
    private final boolean wakeOnAppend;
    private final boolean readAhead;
    private final Instrumentation instrumentation;
    private final Clock clock;
    private EventStore.@Nullable Listening listening;
    // Written under this runner's monitor; read by the workers' tasks, which decide by them
    // whether to keep the lease and whether to go on.
    private volatile boolean started;
    private volatile boolean closed;

    private ProjectionRunner(Builder b) {
        this.store = b.store;
        this.batchSize = b.batchSize;
        this.pollInterval = b.pollInterval;
        this.maxBackoff = b.maxBackoff;
        this.wakeOnAppend = b.wakeOnAppend;
        this.readAhead = b.readAhead;
        this.instrumentation =
                Instrumented.guarded(b.instrumentation != null ? b.instrumentation : b.store.instrumentation());
        this.clock = b.clock;
        for (Projector p : b.projectors) {
            workers.put(p.name(), new Worker(p, b.policies.getOrDefault(p.name(), ErrorPolicy.retryForever())));
        }
    }

    /**
     * A builder of a runner on {@code store}.
     *
     * @throws NullPointerException if {@code store} is null
     */
    public static Builder builder(EventStore store) {
        return new Builder(store);
    }

    /**
     * Starts tailing the log: every projection polls it on its own daemon thread until
     * {@link #close}. Does nothing on a runner already started.
     *
     * @throws IllegalStateException if the runner is closed
     */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("the runner is closed");
        }
        if (!started) {
            started = true;
            workers.values().forEach(w -> w.executor.execute(w::firstPoll));
            if (wakeOnAppend) {
                listening = store.onAppend(() -> workers.values().forEach(Worker::wake));
            }
        }
    }

    /**
     * Brings every projection up to the end of the log once, for runners that are not
     * {@linkplain #start() started} (a scheduled serverless function). The projections run one
     * after the other, each on its own thread, while the caller waits. A projection held by
     * another runner is left to it; one that fails is reported in its status and does not stop
     * the others.
     *
     * @return the status of every projection afterwards, in the order they were added
     * @throws IllegalStateException if the runner was started, or is closed
     * @throws InterruptedWaitException if the calling thread is interrupted while it waits (the
     *     projection under way finishes its pass; the later ones are not run)
     * @throws EventStoreException if a projection's lease cannot be taken or released
     */
    public List<ProjectionStatus> catchUp() {
        if (started) {
            throw new IllegalStateException("catchUp is for runners that were not started");
        }
        return workers.values().stream()
                .map(w -> w.call(() -> w.catchUp(Long.MAX_VALUE, 0, false), "a catch-up pass"))
                .toList();
    }

    /**
     * A bounded catch-up pass, for a read that must include a write where no runner runs in the
     * background (read-your-writes in a serverless function, whose threads run only while an
     * invocation does): every projection that has not applied {@code position} yet applies
     * batches until it has, or until the end of the log, or until {@code timeout} has run out,
     * whichever comes first. The time is checked before each batch, so the pass may overrun it
     * by one batch of each projection. A projection that has applied {@code position} already
     * is left alone (no lease is taken); one held by another runner is left to it
     * ({@code STANDBY}): wait for it with {@link #awaitPosition(long, Duration)}. As in
     * {@link #catchUp()}, the projections run one after the other, each on its own thread, while
     * the caller waits, and a lease taken is let go of before this returns.
     *
     * @return the status of every projection afterwards, in the order they were added; every
     *     checkpoint is at least {@code position} when the pass reached it
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException if the runner was started, or is closed
     * @throws InterruptedWaitException if the calling thread is interrupted while it waits
     * @throws EventStoreException if a projection's lease cannot be taken or released
     */
    public List<ProjectionStatus> catchUp(long position, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout cannot be negative, was " + timeout);
        }
        if (started) {
            throw new IllegalStateException("catchUp is for runners that were not started");
        }
        long deadline = deadline(timeout.compareTo(Duration.ofDays(1)) > 0 ? Duration.ofDays(1) : timeout);
        return workers.values().stream()
                .map(w -> w.call(() -> w.catchUp(position, deadline, true), "a bounded catch-up pass"))
                .toList();
    }

    /**
     * Waits until {@code projection} has applied {@code position} (read-your-writes): as this
     * runner saw it, or as its checkpoint says, which counts the progress of a runner in another
     * process (read at most once per poll interval).
     *
     * @return true when it has; false when {@code timeout} ran out first
     * @throws IllegalArgumentException if the runner has no such projection
     * @throws InterruptedWaitException if the calling thread is interrupted while it waits (its
     *     interrupt flag is set again)
     */
    public boolean awaitPosition(String projection, long position, Duration timeout) {
        Worker w = worker(projection);
        long deadline = deadline(timeout);
        long nextRead = System.nanoTime();
        boolean hurried = false;
        try {
            while (true) {
                // The checkpoint is read outside the monitor: a slow read must not hold up the
                // projection's thread, which takes the monitor to wake the waiters.
                if (System.nanoTime() - nextRead >= 0) {
                    if (w.projector.checkpoint() >= position) {
                        return true;
                    }
                    nextRead = System.nanoTime() + pollInterval.toNanos();
                }
                synchronized (w.progress) {
                    if (w.status.checkpoint() >= position) {
                        return true;
                    }
                    long now = System.nanoTime();
                    if (now - deadline >= 0) {
                        return false;
                    }
                    if (!hurried && started && wakeOnAppend) {
                        w.hurry(position); // not for a caller that does not wait
                        hurried = true;
                    }
                    TimeUnit.NANOSECONDS.timedWait(w.progress, Math.min(deadline - now, nextRead - now));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedWaitException(
                    "interrupted while waiting for projection " + projection + " to reach position " + position, e);
        }
    }

    /**
     * Waits until every projection has applied {@code position}; see
     * {@link #awaitPosition(String, long, Duration)}.
     *
     * @return true when they have; false when {@code timeout} ran out first
     * @throws InterruptedWaitException if the calling thread is interrupted while it waits (its
     *     interrupt flag is set again)
     */
    public boolean awaitPosition(long position, Duration timeout) {
        long deadline = deadline(timeout);
        for (String name : workers.keySet()) {
            if (!awaitPosition(name, position, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                return false;
            }
        }
        return true;
    }

    /** The {@link System#nanoTime()} at which {@code timeout} from now ends: a century at most. */
    private static long deadline(Duration timeout) {
        Duration capped = timeout.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : timeout;
        return System.nanoTime() + capped.toNanos();
    }

    /**
     * Rebuilds a projection: deletes its read model, sets its checkpoint to 0, and replays the
     * whole log into it, on the projection's thread while the caller waits. On a started runner
     * the rebuild takes the place of the polling, which goes on from where the rebuild ended; on
     * one that was not started, the rebuild takes the lease and lets go of it afterwards.
     * Progress goes to {@code listener} after every batch, on the projection's thread, and to
     * the log every 5 seconds. The listener must not wait for this runner (rebuild, catch up,
     * await a position of the same projection, close it): the thread it runs on is the one
     * those would wait for.
     *
     * @return the final progress; not {@linkplain RebuildProgress#finished() finished} when the
     *     projection's {@linkplain ErrorPolicy#stopAfter(int) stop policy} stopped it before an
     *     event that fails (its status is then FAILED, with the event, as after a poll; {@link
     *     #retry} tries again from there)
     * @throws NullPointerException if {@code listener} is null
     * @throws IllegalArgumentException if the runner has no such projection
     * @throws IllegalStateException if another runner holds the projection, or this one is closed
     * @throws ProjectionException if the projection fails on an event while its policy retries
     *     (the rebuild stops there; a started runner then retries from that point)
     * @throws InterruptedWaitException if the calling thread is interrupted while it waits (a
     *     rebuild under way goes on; one not begun yet does not begin)
     */
    public RebuildProgress rebuild(String projection, Consumer<RebuildProgress> listener) {
        Objects.requireNonNull(listener, "listener");
        Worker w = worker(projection);
        return w.call(() -> w.rebuild(listener), "a rebuild");
    }

    /**
     * Rebuilds a projection beside the version in service, with the code of the projector it
     * runs now (a blue-green rebuild); see {@link #rebuildBlueGreen(Projector,
     * Consumer)}. For a process that rebuilds the projection run by another one (a server on the
     * same database): its projector has the code to build.
     *
     * @return the final progress
     * @throws NullPointerException if {@code listener} is null
     * @throws IllegalArgumentException if the runner has no such projection, or its projector
     *     cannot keep two versions (it is not a {@link BlueGreenProjector})
     * @throws IllegalStateException if another build of the projection is under way, or this
     *     runner is closed
     * @throws ProjectionException if the projection fails on an event: the build stops, its
     *     version is dropped, and the version in service stays
     */
    public RebuildProgress rebuildBlueGreen(String projection, Consumer<RebuildProgress> listener) {
        Projector current = worker(projection).projector;
        if (!(current instanceof BlueGreenProjector b)) {
            throw new IllegalArgumentException("projection " + projection + " cannot be rebuilt blue-green: its"
                    + " projector (" + current.getClass().getSimpleName() + ") keeps one version, or reacts to"
                    + " events; rebuild it in place with rebuild(\"" + projection + "\", listener)");
        }
        return rebuildBlueGreen(b, listener);
    }

    /**
     * Rebuilds a projection beside the version in service, with the code of {@code replacement}
     * (a blue-green rebuild), and then runs {@code replacement} in its place. The new version
     * has rows and a checkpoint of its own; it is built from position 0 on the calling thread
     * while the version in service keeps serving reads and keeps being updated (by this runner
     * if it was started, or by the runner that holds it). Once the new version has reached the
     * end of the log, the projection's thread applies the last events and switches in one
     * transaction: readers see the old version until the switch, the new one after it, never a
     * mix; the old version's rows and checkpoint are dropped in the same transaction. The runner
     * then goes on with the new version's checkpoint, so each later event reaches it once.
     *
     * <p>If the build fails, the version in service stays untouched and the new one is dropped;
     * if the process dies, the next build drops what it left. Progress goes to {@code listener}
     * after every batch (on the calling thread, then on the projection's for the last batches).
     * A projector that reacts to events (appends them, or delivers them) is no {@link
     * BlueGreenProjector}: its reactions would happen again.
     *
     * @param replacement the projector of the new version, a {@link BlueGreenProjector} (what
     *     {@code JdbcProjectors.keyed} returns): the runner's own for the same code, or one made
     *     with new code for the projection of the same name
     * @return the final progress
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code replacement} cannot be built beside the version
     *     in service (it is no {@link BlueGreenProjector}), the runner has no projection of that
     *     name, or its error policy parks events and {@code replacement} cannot
     * @throws IllegalStateException if another build of the projection is under way, or this
     *     runner is closed
     * @throws ProjectionException if the projection fails on an event: the build stops, its
     *     version is dropped, and the version in service stays
     * @throws InterruptedWaitException if the calling thread is interrupted while it waits for the
     *     switch (which then may or may not happen)
     */
    public RebuildProgress rebuildBlueGreen(Projector replacement, Consumer<RebuildProgress> listener) {
        Objects.requireNonNull(replacement, "replacement");
        Objects.requireNonNull(listener, "listener");
        if (!(replacement instanceof BlueGreenProjector blueGreen)) {
            throw new IllegalArgumentException("projection " + replacement.name() + " cannot be rebuilt blue-green:"
                    + " its projector (" + replacement.getClass().getSimpleName() + ") cannot build a version"
                    + " beside the one in service; rebuild it in place (rebuild)");
        }
        Worker w = worker(replacement.name());
        if (w.policy.outcome() == ErrorPolicy.Outcome.PARK && !(replacement instanceof DeadLetterProjector)) {
            throw new IllegalArgumentException(
                    "projection " + replacement.name() + " parks events, and its replacement keeps no dead letters");
        }
        if (closed) {
            throw new IllegalStateException("the runner is closed");
        }
        BlueGreenProjector.StagedVersion staged = blueGreen.stage();
        try {
            BlueGreenBuild build = new BlueGreenBuild(store, staged, batchSize, listener);
            build.catchUp();
            return w.call(() -> w.switchTo(staged, build), "a blue-green switch");
        } catch (RuntimeException | Error e) {
            try {
                staged.discard(); // nothing once it switched
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /**
     * Lets a projection stopped by its {@linkplain ErrorPolicy#stopAfter(int) stop policy} try
     * its event again (a started runner polls at once); does nothing to one that is not stopped.
     *
     * @return its status afterwards
     * @throws IllegalArgumentException if the runner has no such projection
     * @throws IllegalStateException if the runner is closed
     */
    public ProjectionStatus retry(String projection) {
        Worker w = worker(projection);
        return w.call(w::resume, "a retry");
    }

    /**
     * The events a projection parked ({@link ErrorPolicy#parkAfter(int)}), in position order.
     *
     * @throws IllegalArgumentException if the runner has no such projection, or its projector
     *     keeps no dead letters
     */
    public List<DeadLetter> deadLetters(String projection) {
        return worker(projection).deadLetterProjector().deadLetters();
    }

    /**
     * Applies a projection's parked events again, in position order, each alone in its own
     * transaction with the projection's rows, on the projection's thread while the caller waits:
     * an event that applies loses its dead letter; one that fails again keeps it, and so do the
     * later parked events of its stream (their order is kept). Parked events whose event is no
     * longer in the log (a deleted stream) stay: {@linkplain #skipDeadLetter skip} them.
     *
     * @return the dead letters that are left
     * @throws IllegalArgumentException if the runner has no such projection, or its projector
     *     keeps no dead letters
     * @throws IllegalStateException if another runner holds the projection, or this one is closed
     */
    public List<DeadLetter> retryDeadLetters(String projection) {
        Worker w = worker(projection);
        w.deadLetterProjector();
        return w.call(w::retryParked, "a retry of dead letters");
    }

    /**
     * Removes a parked event without applying it, on the projection's thread. The later parked
     * events of its stream stay parked: {@linkplain #retryDeadLetters retry} them.
     *
     * @return false when the projection had no dead letter at {@code position}
     * @throws IllegalArgumentException if the runner has no such projection, or its projector
     *     keeps no dead letters
     * @throws IllegalStateException if the runner is closed
     */
    public boolean skipDeadLetter(String projection, long position) {
        Worker w = worker(projection);
        w.deadLetterProjector();
        return w.call(() -> w.skipParked(position), "a skip of a dead letter");
    }

    /**
     * The status of one projection.
     *
     * @throws IllegalArgumentException if the runner has no such projection
     */
    public ProjectionStatus status(String projection) {
        return withHorizon(List.of(worker(projection).status)).get(0);
    }

    /** The status of every projection, in the order they were added. */
    public List<ProjectionStatus> statuses() {
        return withHorizon(workers.values().stream().map(w -> w.status).toList());
    }

    /** The statuses with what holds the store's readers back now, if anything does. */
    private List<ProjectionStatus> withHorizon(List<ProjectionStatus> statuses) {
        Optional<ReadHorizon.Holder> heldBy;
        try {
            heldBy = store.readHorizon().heldBy();
        } catch (RuntimeException e) {
            heldBy = Optional.empty(); // a status must not fail because the store cannot answer
        }
        if (heldBy.isEmpty()) {
            return statuses;
        }
        Optional<ReadHorizon.Holder> holder = heldBy;
        return statuses.stream()
                .map(s ->
                        new ProjectionStatus(s.name(), s.state(), s.checkpoint(), s.lastError(), s.failures(), holder))
                .toList();
    }

    /**
     * Stops every projection after the batch it is applying, lets go of the leases and waits for
     * the threads to end (10 seconds at most; a thread still busy then ends after its batch).
     * Closing again does nothing (a second caller waits for the first). An interruption ends the
     * wait, with the interrupt flag set.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (listening != null) {
            listening.close();
        }
        for (Worker w : workers.values()) {
            // Queued before the shutdown, so it runs after the tasks already due (the one under
            // way among them); the tasks queued after it find the runner closed.
            w.executor.execute(w::stop);
            w.executor.shutdown();
            w.pages.close(); // a read ahead under way ends; none starts
        }
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        for (Worker w : workers.values()) {
            try {
                if (!w.executor.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)
                        || !w.pages.awaitClosed(deadline)) {
                    LOG.log(
                            Level.WARNING,
                            () -> "projection " + w.projector.name() + " is still busy; it stops after its batch");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private Worker worker(String projection) {
        Worker w = workers.get(Objects.requireNonNull(projection, "projection"));
        if (w == null) {
            throw new IllegalArgumentException(
                    "no projection named " + projection + " (known: " + workers.keySet() + ")");
        }
        return w;
    }

    private static double rate(long events, long nanos) {
        return nanos <= 0 ? 0 : events / (nanos / 1e9);
    }

    /**
     * One projection: its executor and the state only the executor's thread touches. Other
     * threads read {@link #status} and wait on {@link #progress}.
     */
    /** The most events one batch reads, whatever the projector asks. */
    private static final int MAX_PAGE = 100_000;

    /** How often an idle projection checks that its read model was not reset elsewhere. */
    private static final long CHECKPOINT_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final class Worker {
        /** Replaced only by a blue-green switch, on the projection's thread. */
        volatile Projector projector;
        /** What the projector needs of the log, asked once per projector. */
        volatile Optional<Query> interest;
        /** The stream categories the projector needs, with the types of its interest, if it says. */
        volatile Optional<CategoryQuery> categories;
        /** Reads the projector's pages, on the projection's thread, and ahead while catching up. */
        private final ReadAhead pages;

        final ScheduledThreadPoolExecutor executor;
        /** Notified after every batch, for the callers of {@link #awaitPosition}. */
        final Object progress = new Object();

        volatile ProjectionStatus status;
        /** Whether a {@link #bringForward} is queued on the projection's thread. */
        private final AtomicBoolean wakeQueued = new AtomicBoolean();
        /** The highest position a caller of {@link #hurry} waits for; {@link #NOT_WANTED} when none. */
        private final AtomicLong wanted = new AtomicLong(NOT_WANTED);
        /** The next poll, while it waits for its time. */
        private volatile @Nullable ScheduledFuture<?> next;
        /**
         * Whether a poll that has not begun is due within a wake-up's gap: a wake-up by an append
         * then adds nothing, since that poll reads after the append committed. Cleared when a
         * poll begins, before it reads.
         */
        private volatile boolean pollComing;
        /** Appends heard since the last poll began. */
        private final AtomicInteger appendsHeard = new AtomicInteger();
        /** Appends heard between the two polls before the next: how fast they come. */
        private int appendsPerPoll;
        /** When the last poll ended ({@link System#nanoTime}). */
        private volatile long lastPollEnded = System.nanoTime();
        /**
         * How long a poll takes, in ns: a moving average of the last few, so one slow poll weighs a
         * quarter. Polls that failed do not count: their time is a timeout's, not a read's.
         */
        private volatile long pollTakes;

        private Projector.@Nullable Lease lease;
        /** When an idle poll last compared the stored checkpoint with this one ({@link System#nanoTime}). */
        private long lastCheckpointCheck = System.nanoTime();

        private long checkpoint;
        private int failures;
        /** When the last event applied was recorded, for the lag; null before the first. */
        private @Nullable Instant lastApplied;

        /** What to do when the projection keeps failing on an event. */
        final ErrorPolicy policy;
        /** Stopped at a poison event by the stop policy: no poll until {@link #resume}. */
        private boolean halted;

        Worker(Projector projector, ErrorPolicy policy) {
            this.projector = projector;
            this.policy = policy;
            this.interest = projector.interest();
            this.categories = Interest.ofCategories(projector.categories(), interest);
            this.pages = new ReadAhead(new LogPage.Reader(store), projector.name(), readAhead);
            this.status =
                    new ProjectionStatus(projector.name(), State.STOPPED, 0, Optional.empty(), 0, Optional.empty());
            // The thread starts with the first task: a runner that is only built costs none.
            this.executor = new ScheduledThreadPoolExecutor(1, task -> {
                Thread t = new Thread(task, "annals-projection-" + projector.name());
                t.setDaemon(true);
                return t;
            });
            // At close, the next poll is dropped rather than waited for.
            executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            executor.setRemoveOnCancelPolicy(true); // a poll brought forward leaves no task behind
        }

        /** Runs {@code task} on the projection's thread and waits for it. */
        <T> T call(Callable<T> task, String what) {
            Future<T> result;
            try {
                result = executor.submit(() -> {
                    if (closed) { // close() let go of the lease before this task's turn came
                        throw new IllegalStateException("the runner is closed");
                    }
                    return task.call();
                });
            } catch (RejectedExecutionException e) {
                throw new IllegalStateException("the runner is closed", e);
            }
            try {
                return result.get();
            } catch (InterruptedException e) {
                result.cancel(false);
                Thread.currentThread().interrupt();
                throw new InterruptedWaitException(
                        "interrupted while waiting for " + what + " of projection " + projector.name(), e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException r) {
                    throw r;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new EventStoreException(what + " of projection " + projector.name() + " failed: " + cause, cause);
            }
        }

        /**
         * An append committed in this process: the next poll comes soon rather than at its time.
         * Called on the appending thread, it only sets a flag and queues {@link #bringForward} on
         * the projection's own thread (once, however many appends come meanwhile): the polls
         * are scheduled on that thread alone, so a wake-up can neither be lost nor start a second
         * loop.
         */
        void wake() {
            appendsHeard.incrementAndGet();
            if (!pollComing && wakeQueued.compareAndSet(false, true)) {
                try {
                    executor.execute(this::bringForward);
                } catch (RejectedExecutionException e) {
                    // closed: the loop has ended
                }
            }
        }

        /**
         * On the projection's thread, between polls: moves the next poll forward, to at once if
         * the last poll ended long enough ago, else to when it has, so that a writer appending in
         * a tight loop meets one read per gap, not one per append. The gap is {@link
         * #WAKE_GAP_NANOS}, or twice what a poll takes if that is longer: woken polls then take
         * about a third of the time at most, whatever a read costs on the database. It grows with
         * the appends heard between the last two polls ({@link #WAKE_GAP_NANOS} each, up to
         * {@link #MAX_WAKE_GAP_NANOS}): appends that come faster than the projection reads then
         * share fewer reads, each reading more, while one append after a quiet spell is read
         * after the shortest gap. Not while the
         * projection backs off after a failure, nor while another runner holds it (it would only
         * try the lease again).
         */
        private void bringForward() {
            wakeQueued.set(false);
            long gap = Math.max(
                    Math.max(WAKE_GAP_NANOS, 2 * pollTakes),
                    Math.min(MAX_WAKE_GAP_NANOS, WAKE_GAP_NANOS * appendsPerPoll));
            pollWithin(Math.max(0, lastPollEnded + gap - System.nanoTime()));
        }

        /**
         * A caller waits for {@code position} ({@link #awaitPosition}): the next poll comes at
         * once, without the gap a wake-up by an append keeps, unless a poll reaches the position
         * first. Waiters that come together share one poll: one task is queued however many
         * call, and it runs after the poll in progress, if any, which may have begun reading
         * before the waiter's append committed.
         */
        void hurry(long position) {
            if (wanted.getAndAccumulate(position, Math::max) == NOT_WANTED) {
                try {
                    executor.execute(() -> {
                        if (checkpoint < wanted.getAndSet(NOT_WANTED)) {
                            pollWithin(0);
                        }
                    });
                } catch (RejectedExecutionException e) {
                    // closed: the loop has ended
                }
            }
        }

        /** On the projection's thread: moves the next poll to {@code wait} ns from now, if later. */
        private void pollWithin(long wait) {
            ScheduledFuture<?> waiting = next;
            if (closed || waiting == null || failures > 0 || status.state() == State.STANDBY) {
                return;
            }
            // nothing else schedules polls while this runs, and the waiting one cannot be running
            if (waiting.getDelay(TimeUnit.NANOSECONDS) > wait && waiting.cancel(false)) {
                try {
                    next = executor.schedule(this::poll, wait, TimeUnit.NANOSECONDS);
                    pollComing = true;
                } catch (RejectedExecutionException e) {
                    // closed meanwhile: the loop has ended
                }
            } else if (!waiting.isDone()) {
                pollComing = true; // due sooner than asked
            }
        }

        /**
         * The first turn of the loop, queued by {@link #start}: a retry, rebuild or switch that
         * ran before it on this thread, having seen the runner started, may have begun the loop
         * already, and a second loop would poll twice as often for good.
         */
        void firstPoll() {
            ScheduledFuture<?> due = next;
            if (due == null || due.isDone()) {
                poll();
            }
        }

        /** One turn of the loop, which then schedules the next. */
        void poll() {
            if (closed || halted) {
                return;
            }
            pollComing = false; // before the read: an append committing from now on wakes the next
            appendsPerPoll = appendsHeard.getAndSet(0);
            long began = System.nanoTime();
            long delay = pollInterval.toNanos();
            boolean failed = false;
            try {
                if (!holdLease()) {
                    pages.drop();
                    publish(State.STANDBY, null);
                } else if (step() == pageSize() || pages.lastWasReadAhead()) {
                    // more events are waiting, or a page read during the batch before ended the
                    // log as it was then: an append heard since is only seen by reading again
                    delay = 0;
                }
            } catch (CheckpointConflictException e) {
                LOG.log(Level.DEBUG, e::getMessage);
                delay = 0;
            } catch (ProjectionReplacedException e) {
                // The old code can never apply again: stop, and leave the lease to the new code.
                halted = true;
                failures++;
                releaseLease();
                publish(State.FAILED, e);
                LOG.log(Level.WARNING, e::getMessage);
                return;
            } catch (VirtualMachineError e) {
                LOG.log(Level.ERROR, () -> "projection " + projector.name() + " stopped", e);
                stop();
                throw e;
            } catch (Throwable e) {
                // An Error from a projection (an assertion, a linkage error) fails it like an
                // exception: it must not end the loop while the lease is held.
                failed(e);
                failed = true;
                releaseLease(); // a lease on a broken connection is worth nothing
                delay = Math.min(
                        TimeUnit.MILLISECONDS.toNanos(100L << Math.min(failures - 1, 20)), maxBackoff.toNanos());
            }
            if (!closed && !halted) {
                try {
                    lastPollEnded = System.nanoTime();
                    if (!failed) {
                        pollTakes += (lastPollEnded - began - pollTakes) / 4;
                    }
                    // an append that committed while this poll read: its bring-forward, queued
                    // behind this poll, finds the next poll below and moves it
                    next = executor.schedule(this::poll, delay, TimeUnit.NANOSECONDS);
                    pollComing = delay == 0;
                } catch (RejectedExecutionException e) {
                    // closed since the check above: the loop ends, and close() lets go of the lease
                }
            }
        }

        /**
         * Applies batches until the checkpoint reaches {@code position} or the log ends, and,
         * when {@code bounded}, while {@link System#nanoTime} is before {@code deadline}.
         */
        ProjectionStatus catchUp(long position, long deadline, boolean bounded) {
            try {
                long applied = projector.checkpoint();
                if (applied >= position) { // read without the lease: checkpoints only move forward
                    checkpoint = Math.max(checkpoint, applied);
                    publish(State.STOPPED, null);
                    return status;
                }
                if (holdLease()) {
                    while (!halted
                            && checkpoint < position
                            && (!bounded || System.nanoTime() - deadline < 0)
                            && step() > 0) {
                        // until the position, the end of the log or the deadline
                    }
                }
                if (!halted) {
                    publish(lease == null ? State.STANDBY : State.STOPPED, null);
                }
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                failed(e);
            } finally {
                pages.drop(); // the pass ends here: its next page is not read ahead for another
                if (!started) {
                    releaseLease();
                }
            }
            return status;
        }

        RebuildProgress rebuild(Consumer<RebuildProgress> listener) {
            try {
                if (!holdLease()) {
                    throw new IllegalStateException("projection " + projector.name()
                            + " is held by another runner: rebuild it there, or stop that runner");
                }
                resume(); // a rebuild replays the event a stop was waiting at, too
                String name = projector.name();
                long total = store.countEvents();
                checkpoint = 0; // before the reset, so that awaitPosition cannot pass on the old rows
                publish(State.RUNNING, null);
                projector.reset();
                long begun = System.nanoTime();
                long lastLog = begun;
                long done = 0;
                LOG.log(Level.INFO, () -> "rebuilding projection " + name + " from " + total + " events");
                // a stop policy that stops at an event ends the rebuild there (FAILED, as a poll would)
                for (int n; !halted && (n = step()) > 0; ) {
                    done += n;
                    long now = System.nanoTime();
                    RebuildProgress p = new RebuildProgress(name, done, total, rate(done, now - begun), false);
                    listener.accept(p);
                    if (now - lastLog >= PROGRESS_LOG_NANOS) {
                        lastLog = now;
                        LOG.log(
                                Level.INFO,
                                () -> String.format(
                                        "rebuilding %s: %d/%d events (%.0f%%), %.0f events/s",
                                        name, p.done(), p.total(), 100 * p.fraction(), p.eventsPerSecond()));
                    }
                }
                boolean finished = !halted;
                RebuildProgress end = new RebuildProgress(
                        name, done, Math.max(total, done), rate(done, System.nanoTime() - begun), finished);
                listener.accept(end);
                if (finished) {
                    LOG.log(
                            Level.INFO,
                            () -> String.format(
                                    "rebuilt %s: %d events, %.0f events/s", name, end.done(), end.eventsPerSecond()));
                }
                return end;
            } finally {
                pages.drop();
                if (!started) {
                    releaseLease();
                    if (!halted) {
                        publish(State.STOPPED, null);
                    }
                }
            }
        }

        /**
         * The end of a blue-green rebuild, on the projection's thread (no batch of the version in
         * service runs meanwhile): applies the last events to the new version and switches to it,
         * then runs it in place of the old projector from its checkpoint. A version in service
         * that another runner moved past the new one makes the switch wait for one more stretch.
         */
        RebuildProgress switchTo(BlueGreenProjector.StagedVersion staged, BlueGreenBuild build) {
            for (int attempt = 1; ; attempt++) {
                build.catchUp();
                if (staged.promote()) {
                    break;
                }
                if (attempt == 100) {
                    throw new IllegalStateException("the new version of projection " + projector.name()
                            + " could not catch up with the one in service, which another runner keeps"
                            + " moving ahead; try again");
                }
            }
            projector = staged;
            interest = staged.interest();
            categories = Interest.ofCategories(staged.categories(), interest);
            checkpoint = build.checkpoint();
            boolean wasHalted = halted;
            halted = false; // the stop waited at an event of the old version
            failures = 0;
            publish(State.RUNNING, null);
            if (wasHalted) {
                pollNow(); // the polls ended at the stop: they go on with the new version
            }
            synchronized (progress) {
                progress.notifyAll();
            }
            if (!started) {
                releaseLease();
                publish(State.STOPPED, null);
            }
            return build.finished();
        }

        /**
         * The events read per batch: the batch size, times what the projector asks when it
         * applies only some of what it reads (a segment), so that a transaction applies about a
         * batch whatever it skips.
         */
        private int pageSize() {
            long n = (long) batchSize * Math.max(1, projector.readsPerBatch());
            return (int) Math.min(n, MAX_PAGE);
        }

        /** Applies the next batch; returns how many events it read from the log (0 at its end). */
        private int step() {
            long from = checkpoint;
            LogPage page = pages.read(categories, interest, from, pageSize());
            List<RecordedEvent> events = page.events();
            long readUpTo = page.readUpTo();
            if (readUpTo > from) {
                long to = readUpTo;
                // a filtered projection's checkpoint moving past events it does not need is no batch
                Instrumentation.Batch batch = events.isEmpty()
                        ? Instrumentation.Batch.NONE
                        : instrumentation.batchStarted(projector.name(), events.size());
                try {
                    applyBatch(from, to, events);
                } catch (ProjectionException e) {
                    pages.drop(); // read while the failed transaction was open
                    if (policy.outcome() == ErrorPolicy.Outcome.RETRY_FOREVER || failures < policy.retries()) {
                        batch.ended(e);
                        throw e;
                    }
                    // the retries are spent: find the event to blame, one event at a time
                    try {
                        isolate(from, to, events);
                    } catch (RuntimeException | Error again) {
                        batch.ended(again);
                        throw again;
                    }
                    if (halted) {
                        batch.ended(null);
                        return page.read();
                    }
                } catch (CheckpointConflictException e) {
                    pages.drop();
                    batch.ended(e);
                    checkpoint = projector.checkpoint();
                    throw e;
                } catch (RuntimeException | Error e) {
                    pages.drop();
                    batch.ended(e);
                    throw e;
                }
                batch.ended(null);
                checkpoint = to;
                if (!events.isEmpty()) {
                    lastApplied = events.get(events.size() - 1).recordedAt();
                }
            } else if (System.nanoTime() - lastCheckpointCheck > CHECKPOINT_CHECK_NANOS) {
                // Idle: the stored checkpoint can only have moved if the read model was reset
                // elsewhere (a segment's reset resets its siblings): follow it, or this projection
                // would wait for the next event to notice, with its rows gone meanwhile.
                lastCheckpointCheck = System.nanoTime();
                long stored = projector.checkpoint();
                if (stored != checkpoint) {
                    LOG.log(
                            Level.INFO,
                            () -> "projection " + projector.name() + " was reset elsewhere: from position " + stored);
                    checkpoint = stored;
                    publish(State.RUNNING, null);
                    return pageSize(); // read again at once
                }
            }
            if (instrumentation != Instrumentation.none()) {
                reportLag();
            }
            failures = 0; // reading the log and applying what it held is a success, even if empty
            publish(State.RUNNING, null);
            synchronized (progress) {
                progress.notifyAll();
            }
            return page.read();
        }

        /**
         * Tells the instrumentation how far the projection is behind the end of the log. A store
         * that cannot say, or fails to, costs the report, never the projection.
         */
        private void reportLag() {
            OptionalLong last;
            try {
                last = store.lastPosition();
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, () -> "cannot read the last position for the lag of " + projector.name(), e);
                return;
            }
            if (last.isEmpty()) {
                return;
            }
            long positions = Math.max(0, last.getAsLong() - checkpoint);
            Duration behind = Duration.ZERO;
            if (positions > 0 && lastApplied != null) {
                behind = Duration.between(lastApplied, clock.instant());
                if (behind.isNegative()) {
                    behind = Duration.ZERO; // clocks of two machines
                }
            }
            instrumentation.projectionLag(projector.name(), positions, behind);
        }

        /** One atomic step of the projector; under the park policy, held streams are parked. */
        private void applyBatch(long from, long to, List<RecordedEvent> events) {
            if (policy.outcome() == ErrorPolicy.Outcome.PARK) {
                ((DeadLetterProjector) projector).applyHolding(from, to, events, clock.instant());
            } else {
                projector.apply(from, to, events);
            }
        }

        /**
         * A batch failed on an event and its retries are spent: applies its events again one by
         * one, each in its own step, so that only the event that fails is blamed and its
         * neighbours are applied once. Under the stop policy it stops before the first that fails
         * (the checkpoint just before it); under the park policy it parks each that fails, moving
         * the checkpoint past it in the same step, and goes on. A failure of the store (not a
         * {@link ProjectionException}) ends the pass: the next poll goes on from the checkpoint.
         */
        private void isolate(long from, long to, List<RecordedEvent> events) {
            String name = projector.name();
            for (RecordedEvent e : events) {
                try {
                    applyBatch(checkpoint, e.position(), List.of(e));
                } catch (ProjectionException failure) {
                    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                    if (policy.outcome() == ErrorPolicy.Outcome.STOP) {
                        failures++;
                        halted = true;
                        ProjectionException stop = new ProjectionException(name, e, cause);
                        publish(State.FAILED, stop);
                        LOG.log(
                                Level.ERROR,
                                () -> stop.getMessage() + "; stopped after " + failures + " attempts (" + policy
                                        + ") with the checkpoint at " + checkpoint + "; runner.retry(\"" + name
                                        + "\") tries again",
                                failure);
                        return;
                    }
                    DeadLetter letter = new DeadLetter(
                            name,
                            e.position(),
                            e.eventId(),
                            e.streamId(),
                            e.type(),
                            String.valueOf(cause),
                            clock.instant());
                    ((DeadLetterProjector) projector).park(checkpoint, e.position(), letter);
                    LOG.log(Level.WARNING, () -> "parked: " + failure.getMessage(), failure);
                }
                checkpoint = e.position();
            }
            if (to > checkpoint) {
                applyBatch(checkpoint, to, List.of());
            }
            checkpoint = to;
        }

        /** Lifts a stop of the stop policy: the projection tries its event again. */
        ProjectionStatus resume() {
            if (halted) {
                halted = false;
                failures = 0;
                publish(State.STOPPED, null);
                pollNow();
            }
            return status;
        }

        /**
         * On the projection's thread, for a started runner: the loop of polls goes on (again) at
         * once. A poll still due (a stop that came in a rebuild or a switch, between polls) is
         * replaced, not joined, or the polls would go on in two loops.
         */
        private void pollNow() {
            if (!started || closed) {
                return;
            }
            ScheduledFuture<?> due = next;
            if (due != null) {
                due.cancel(false);
            }
            try {
                next = executor.schedule(this::poll, 0, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // closed meanwhile: the loop has ended
            }
        }

        /** The dead-letter projector, for the dead-letter calls. */
        DeadLetterProjector deadLetterProjector() {
            if (projector instanceof DeadLetterProjector d) {
                return d;
            }
            throw new IllegalArgumentException(
                    "projection " + projector.name() + " keeps no dead letters (its projector cannot park events)");
        }

        /**
         * Applies the parked events of the projection again, in position order, each alone in its
         * own step; a stream whose event fails again keeps the rest of its events parked.
         */
        List<DeadLetter> retryParked() {
            DeadLetterProjector d = deadLetterProjector();
            if (!holdLease()) {
                throw new IllegalStateException("projection " + projector.name()
                        + " is held by another runner: retry its dead letters there, or stop that runner");
            }
            try {
                java.util.Set<String> stillHeld = new java.util.HashSet<>();
                for (DeadLetter letter : d.deadLetters()) {
                    if (stillHeld.contains(letter.streamId())) {
                        continue;
                    }
                    List<RecordedEvent> found = store.readAll(letter.position() - 1, 1);
                    if (found.isEmpty() || found.get(0).position() != letter.position()) {
                        LOG.log(
                                Level.WARNING,
                                () -> "dead letter at position " + letter.position() + " of " + projector.name()
                                        + ": the event is no longer in the log; skip it");
                        stillHeld.add(letter.streamId());
                        continue;
                    }
                    try {
                        d.applyParked(found.get(0));
                    } catch (ProjectionException e) {
                        LOG.log(Level.WARNING, () -> "still failing: " + e.getMessage(), e);
                        stillHeld.add(letter.streamId());
                    }
                }
                return d.deadLetters();
            } finally {
                if (!started) {
                    releaseLease();
                }
            }
        }

        /** Removes a dead letter without applying its event. */
        boolean skipParked(long position) {
            return deadLetterProjector().skip(position);
        }

        /** Keeps the lease, or takes it; false when another runner holds it. */
        private boolean holdLease() {
            if (lease != null && lease.isValid()) {
                return true;
            }
            releaseLease();
            lease = projector.tryAcquire().orElse(null);
            checkpoint = projector.checkpoint(); // where the last holder left it
            return lease != null;
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

        private void failed(Throwable e) {
            failures++;
            publish(State.FAILED, e);
            LOG.log(
                    Level.WARNING,
                    () -> (e instanceof ProjectionException
                                    ? e.getMessage()
                                    : "projection " + projector.name() + " failed: " + e.getMessage())
                            + " (attempt " + failures + ")",
                    e);
        }

        void stop() {
            releaseLease();
            publish(State.STOPPED, null);
        }

        private void publish(State state, @Nullable Throwable error) {
            Optional<String> message =
                    Optional.ofNullable(error).map(e -> e.getMessage() == null ? e.toString() : e.getMessage());
            status = new ProjectionStatus(projector.name(), state, checkpoint, message, failures, Optional.empty());
        }
    }

    /** Configures a {@link ProjectionRunner}. */
    public static final class Builder {
        private final EventStore store;
        private final List<Projector> projectors = new ArrayList<>();
        private int batchSize = 500;
        private Duration pollInterval = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private boolean wakeOnAppend = true;
        private boolean readAhead = true;
        private @Nullable Instrumentation instrumentation;
        private Clock clock = Clock.systemUTC();
        private final Map<String, ErrorPolicy> policies = new LinkedHashMap<>();

        private Builder(EventStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /**
         * Adds a projection.
         *
         * @throws NullPointerException if {@code projector} is null
         * @throws IllegalArgumentException if one of the same name was added
         */
        public Builder add(Projector projector) {
            Objects.requireNonNull(projector, "projector");
            if (projectors.stream().anyMatch(p -> p.name().equals(projector.name()))) {
                throw new IllegalArgumentException("a projection named " + projector.name() + " was added already");
            }
            projectors.add(projector);
            return this;
        }

        /**
         * What the runner does when projection {@code projection} keeps failing on an event;
         * default {@link ErrorPolicy#retryForever()}. May be called before or after the projection
         * is {@linkplain #add added}; a second call replaces the first.
         *
         * @throws NullPointerException if an argument is null
         */
        public Builder onError(String projection, ErrorPolicy policy) {
            policies.put(Objects.requireNonNull(projection, "projection"), Objects.requireNonNull(policy, "policy"));
            return this;
        }

        /**
         * Events read and applied per transaction; default 500.
         *
         * @throws IllegalArgumentException if {@code n} is less than 1
         */
        public Builder batchSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, was " + n);
            }
            this.batchSize = n;
            return this;
        }

        /**
         * How long an idle projection waits before reading the log again; default 100 ms.
         *
         * @throws IllegalArgumentException if {@code d} is not positive
         */
        public Builder pollInterval(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive, was " + d);
            }
            this.pollInterval = d;
            return this;
        }

        /**
         * Whether an append through the same store object, in this process, wakes the started
         * runner's idle projections ({@link EventStore#onAppend}); default true. A woken
         * projection reads at once if it has been idle, else after a short gap (2 ms, or twice
         * what its reads take on average if longer; growing with the appends heard between its
         * last two reads, up to 10 ms), so that a writer in a tight loop meets one read per gap
         * rather than one per append. A caller of {@link #awaitPosition} does not wait for
         * the gap: the projection reads as soon as the read in progress, if any, has ended, once
         * for every waiter that came meanwhile. Off, projections read at their poll interval only.
         */
        public Builder wakeOnAppend(boolean wake) {
            this.wakeOnAppend = wake;
            return this;
        }

        /**
         * Whether a projection catching up reads the next page of the log while it applies the
         * one before; default true. Once a read returns a full page (more is likely waiting),
         * the next page is read on a second thread, from where the checkpoint will be once the
         * batch commits, so that reading and applying overlap. The next batch uses it only if it
         * starts there (not after a failed batch, a reset, a rebuild, another runner moving the
         * checkpoint or a blue-green switch), and reads again at once after it if it was not
         * full; a lost lease and the end of a {@link ProjectionRunner#catchUp()} or {@link
         * ProjectionRunner#rebuild} pass drop it. A projection that keeps up with the log reads
         * no page ahead. It costs a thread per projection while it catches up (idle, it ends
         * with {@link ProjectionRunner#close()} or after 5 s), and a second pooled connection
         * while both run. Off, each page is read when its batch begins.
         */
        public Builder readAhead(boolean readAhead) {
            this.readAhead = readAhead;
            return this;
        }

        /**
         * The longest wait between retries of a failing projection; default 30 s.
         *
         * @throws IllegalArgumentException if {@code d} is not positive
         */
        public Builder maxBackoff(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("maxBackoff must be positive, was " + d);
            }
            this.maxBackoff = d;
            return this;
        }

        /**
         * What batches and lag are reported to; by default the store's
         * ({@link EventStore#instrumentation()}).
         */
        public Builder instrumentation(Instrumentation instrumentation) {
            this.instrumentation = Objects.requireNonNull(instrumentation, "instrumentation");
            return this;
        }

        /** The clock the lag in time is measured on; default the UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The runner. Building it starts no thread.
         *
         * @throws IllegalStateException if no projection was added
         * @throws IllegalArgumentException if {@link #onError} names a projection that was not
         *     added, or asks a projector that keeps no dead letters to park
         */
        public ProjectionRunner build() {
            if (projectors.isEmpty()) {
                throw new IllegalStateException("add at least one projection");
            }
            policies.forEach((name, policy) -> {
                Projector p = projectors.stream()
                        .filter(x -> x.name().equals(name))
                        .findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("onError names projection " + name
                                + ", which was not added (added: "
                                + projectors.stream().map(Projector::name).toList() + ")"));
                if (policy.outcome() == ErrorPolicy.Outcome.PARK && !(p instanceof DeadLetterProjector)) {
                    throw new IllegalArgumentException("projection " + name + " cannot park events (" + policy
                            + "): its projector keeps no dead letters; use ErrorPolicy.stopAfter or a JDBC projector");
                }
            });
            return new ProjectionRunner(this);
        }
    }
}
