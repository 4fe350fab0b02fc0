package io.annals.eventstore.projection;

import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a {@link ProjectionRunner} drives: one read model, its checkpoint, and the way both are
 * updated together. {@link InMemoryProjector} and the JDBC projectors of {@code eventstore-jdbc}
 * implement it; an application rarely does.
 *
 * <p>The one rule: {@link #apply} writes the read model's changes and moves the checkpoint in one
 * atomic step, and only if the checkpoint is still where the caller read it. That is what makes
 * each event apply exactly once, across crashes and competing runners.
 */
public interface Projector {

    /** The projection's name: the key of its checkpoint and rows. */
    String name();

    /** The position of the last event applied (or skipped), 0 before the first. */
    long checkpoint();

    /**
     * Applies {@code events} (read after {@code from}) and moves the checkpoint from {@code from}
     * to {@code to}, all or nothing.
     *
     * @throws CheckpointConflictException if the checkpoint is no longer {@code from} (another
     *     runner moved it); nothing was written
     * @throws ProjectionException if the projection failed on an event; nothing was written
     */
    void apply(long from, long to, List<RecordedEvent> events);

    /**
     * The events this projector needs, when it needs only some: the runner then reads those
     * alone, through the store's index ({@link io.annals.eventstore.EventStore#read(Query, long,
     * int)}), and still moves the checkpoint to the position it has read the log up to, so that
     * {@link ProjectionRunner#awaitPosition} ends for events the projector does not need. Asked
     * once, when the runner is built. Empty, the default: every event of the log.
     */
    default Optional<Query> interest() {
        return Optional.empty();
    }

    /**
     * The stream categories this projector needs, when it needs the streams of some categories
     * alone ({@link io.annals.eventstore.CategoryQuery#categoryOf}): the runner then reads those
     * streams' events alone (of the types of {@link #interest}, when it names types alone), and
     * moves the checkpoint to the position it has read the log up to, as for {@link #interest}.
     * Asked once, when the runner is built. Empty, the default: the streams of every category.
     */
    default Set<String> categories() {
        return Set.of();
    }

    /**
     * How many batches' worth of events the runner reads for one batch of this projector: more
     * than 1 for a projector that applies only some of what it reads (a segment of a projection
     * split in {@code n} applies about one event in {@code n}), so that each transaction still
     * applies about a batch; transactions, not reads, are what a catch-up costs most. 1, the
     * default, for every other.
     */
    default int readsPerBatch() {
        return 1;
    }

    /** Deletes the read model and sets the checkpoint back to 0, all or nothing. */
    void reset();

    /**
     * Tries to become the only runner of this projection, across threads and, where the storage
     * allows, across processes.
     *
     * @return the lease; empty when another runner holds it
     */
    Optional<Lease> tryAcquire();

    /** The right to run a projection; released by {@link #close()}. */
    interface Lease extends AutoCloseable {

        /**
         * A lease that stays valid until closed, and runs {@code release} on the first close
         * (later closes do nothing).
         */
        static Lease untilClosed(Runnable release) {
            Objects.requireNonNull(release, "release");
            AtomicBoolean open = new AtomicBoolean(true);
            return new Lease() {
                @Override
                public boolean isValid() {
                    return open.get();
                }

                @Override
                public void close() {
                    if (open.compareAndSet(true, false)) {
                        release.run();
                    }
                }
            };
        }

        /** Whether the lease still holds (a database lease dies with its connection). */
        boolean isValid();

        /** Releases the lease. */
        @Override
        void close();
    }
}
