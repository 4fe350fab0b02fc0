package io.annals.eventstore.projection;

import io.annals.eventstore.RecordedEvent;
import java.time.Instant;
import java.util.List;

/**
 * A {@link Projector} that can park events as {@link DeadLetter}s, for the
 * {@linkplain ErrorPolicy#parkAfter(int) park policy}. The JDBC projectors are; the in-memory one
 * is not (it supports {@linkplain ErrorPolicy#stopAfter(int) stop} only).
 *
 * <p>Each method is one atomic step with the projection's rows and checkpoint, like
 * {@link #apply}. A stream is <em>held</em> while it has a dead letter: its later events are
 * parked behind it, never applied out of order.
 */
public interface DeadLetterProjector extends Projector {

    /**
     * Like {@link #apply}, but the events of held streams are parked (at {@code now}) instead of
     * applied, in the same transaction.
     *
     * @throws CheckpointConflictException if the checkpoint is no longer {@code from}
     * @throws ProjectionException if the projection failed on an event; nothing was written
     */
    void applyHolding(long from, long to, List<RecordedEvent> events, Instant now);

    /**
     * Parks {@code letter} and moves the checkpoint from {@code from} to {@code to}, all or nothing.
     *
     * @throws CheckpointConflictException if the checkpoint is no longer {@code from}
     */
    void park(long from, long to, DeadLetter letter);

    /** The projection's dead letters, in position order. */
    List<DeadLetter> deadLetters();

    /**
     * Applies a parked event and removes its dead letter, all or nothing; the checkpoint does not
     * move (it is past the event already).
     *
     * @return false when there was no such dead letter (nothing was applied)
     * @throws ProjectionException if the projection failed on it again; the letter stays
     */
    boolean applyParked(RecordedEvent event);

    /**
     * Removes a dead letter without applying its event.
     *
     * @return false when there was no such dead letter
     */
    boolean skip(long position);
}
