package io.annals.eventstore.projection;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A read model as a keyed fold over the global log: the model is a map {@code K -> V}, and each
 * event updates at most one entry.
 *
 * <p>Like an aggregate's {@code evolve}, {@link #apply} must be pure: a projection can be
 * rebuilt from position 0 at any time and must give the same model.
 *
 * @param <E> the events it reads
 * @param <K> the key of a row of the model
 * @param <V> a row of the model
 */
public interface Projection<E extends Event, K, V> {

    /** A stable name: the checkpoint and the rows are stored under it. */
    String name();

    /** The row this event touches, or null when it does not touch the model. */
    @Nullable
    K key(Envelope<E> e);

    /**
     * The new row.
     *
     * <p>{@code current} can be the very object an earlier call returned for the key, in the same
     * batch or (a projector that keeps its rows between batches) an earlier one: return a new
     * row rather than change it, as a pure function does.
     *
     * @param current the row as it is, null when there is none yet
     * @return the new row, or null to delete it
     */
    @Nullable
    V apply(@Nullable V current, Envelope<E> e);

    /**
     * The rows to delete when a stream is deleted ({@link
     * io.annals.eventstore.EventStore#deleteStream}): when the stream's tombstone (type {@value
     * io.annals.eventstore.EventStore#STREAM_DELETED}) reaches the projection, these rows go, in
     * log order with the other events of the batch, so that the read model forgets what it derived
     * from that stream. None by default: only the projection knows which of its rows derive from
     * one stream alone (a row per stream does; a total over many streams does not).
     *
     * @param streamId the deleted stream
     */
    default Set<K> keysOfDeletedStream(String streamId) {
        return Set.of();
    }

    /**
     * Whether every row derives from the events of one stream alone: a row per stream, or rows
     * keyed by something only one stream's events name. Such a projection can be split into
     * segments by a hash of the stream id, each applied by its own runner (see {@code
     * JdbcProjectors.segments} in {@code eventstore-jdbc}); one that folds many streams into a
     * row (a total, a monthly statistic) must not be, since two segments would then write the
     * same row. False by default; the store cannot check the claim, so make it only when it holds.
     */
    default boolean rowsDeriveFromOneStream() {
        return false;
    }

    /**
     * The stream categories whose events this projection reads (the part of a stream id before
     * the first {@code '-'}); the others' are not read at all. Empty, the default: every stream.
     * A store that indexes categories (the JDBC stores) then reads about as much of the log as
     * the projection needs.
     */
    default Set<String> categories() {
        return Set.of();
    }
}
