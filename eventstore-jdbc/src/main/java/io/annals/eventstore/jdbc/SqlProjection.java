package io.annals.eventstore.jdbc;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/**
 * A projection that writes tables of its own with SQL, for read models a key/value row does not
 * fit (a price history to query by date, statistics to aggregate in SQL). The other kind is the
 * keyed {@link io.annals.eventstore.projection.Projection}, whose rows the store keeps for you.
 * {@link JdbcProjectors#sql} makes the projector that runs it.
 *
 * <p>{@link #apply} (or {@link #applyAll}, for several events at once) runs inside the batch's
 * transaction, on the connection given: the rows it
 * writes and the projection's checkpoint commit together, so each event is applied exactly once.
 * It must not commit, roll back or change the connection's auto-commit mode. Create the tables
 * yourself (for example {@code CREATE TABLE IF NOT EXISTS} before starting the runner).
 *
 * <p>A projection that reacts to events with new ones (a process manager: it appends, or runs a
 * {@link io.annals.eventstore.command.CommandHandler}, from {@code apply}) says so with
 * {@link #appendsEvents()}. Its appends through the same store, made on the thread that calls
 * {@code apply}, then join the batch's transaction: they commit with the checkpoint, so each
 * reaction is stored exactly once, and an append that fails (a version conflict the projection
 * catches) undoes only itself. The store's reads on that thread see the batch's own appends
 * ({@code readAll} on PostgreSQL once no older append is still in flight: it stops below one, as
 * every reader of the log does). A command handler may be shared with the rest of the
 * application.
 *
 * @param <E> the events it reads; events of types its codec does not know are skipped
 */
public interface SqlProjection<E extends Event> {

    /** A stable name: the key of its checkpoint. */
    String name();

    /**
     * Applies one event.
     *
     * @throws SQLException to fail the batch (nothing is written; the runner retries)
     */
    void apply(Connection connection, Envelope<E> event) throws SQLException;

    /**
     * Applies several events of one batch, in log order, inside the batch's transaction: {@link
     * #apply} for each, unless overridden. Override it to write what many events change together:
     * one update of a total that a batch's events all add to, rows inserted as one JDBC batch, a
     * value read once per batch rather than once per event. A tombstone of a deleted stream
     * between two events ends one call, and {@link #streamDeleted} runs between them; under a
     * park policy the events of a stream held behind a parked event are left out, and a parked
     * event retried comes alone.
     *
     * <p>When the projection's class declares this method (itself or a class it extends), the
     * runner calls it, with one-event lists where it applies events one by one, and never {@link
     * #apply}; otherwise it calls {@code apply} for each event. A wrapper around another
     * projection passes both on. A JDK proxy always gets {@code apply}.
     *
     * <p>A failure fails the batch, as one of {@code apply} does, but the runner cannot tell which
     * event caused it: its {@link io.annals.eventstore.projection.ProjectionException} names the
     * call's positions ({@code ofBatch}). Where the error policy isolates a failing event ({@code
     * parkAfter}, {@code stopAfter}), it applies the batch's events again one per batch, so the
     * event parked or stopped at is the one that fails alone.
     *
     * @param events one or more events, in log order
     * @throws SQLException to fail the batch (nothing is written; the runner retries)
     */
    default void applyAll(Connection connection, List<Envelope<E>> events) throws SQLException {
        for (Envelope<E> e : events) {
            apply(connection, e);
        }
    }

    /**
     * Deletes the read model before a rebuild, in the same transaction that sets the checkpoint
     * back to 0.
     *
     * @throws SQLException to fail the reset (nothing is written)
     */
    void reset(Connection connection) throws SQLException;

    /**
     * Forgets what the read model derived from a deleted stream: called when the stream's
     * tombstone (type {@value io.annals.eventstore.EventStore#STREAM_DELETED}, written by {@link
     * io.annals.eventstore.EventStore#deleteStream}) reaches the projection, in log order with the
     * other events and in the same transaction. Does nothing by default: only the projection knows
     * which of its rows derive from one stream alone (a row per event of the stream does; a total
     * over many streams does not).
     *
     * @param streamId the deleted stream
     * @throws SQLException to fail the batch (nothing is written; the runner retries)
     */
    default void streamDeleted(Connection connection, String streamId) throws SQLException {}

    /**
     * Whether {@link #apply} appends events through the store, directly or by handling commands;
     * {@code false} unless overridden. An append from {@code apply} of a projection that does not
     * declare it fails with an {@link IllegalStateException}. On PostgreSQL a batch of a
     * projection that appends holds back the store's readers of the global log while it runs,
     * as an append in flight does: keep its batches short.
     */
    default boolean appendsEvents() {
        return false;
    }

    /**
     * The stream categories whose events this projection reads (the part of a stream id before
     * the first {@code '-'}), through the store's index on them; the others' are not read. Empty,
     * the default: every stream.
     */
    default Set<String> categories() {
        return Set.of();
    }
}
