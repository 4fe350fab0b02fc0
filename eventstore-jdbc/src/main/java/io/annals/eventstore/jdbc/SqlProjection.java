package io.annals.eventstore.jdbc;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A projection that writes tables of its own with SQL, for read models a key/value row does not
 * fit (a price history to query by date, statistics to aggregate in SQL). The other kind is the
 * keyed {@link io.annals.eventstore.projection.Projection}, whose rows the store keeps for you.
 * {@link JdbcProjectors#sql} makes the projector that runs it.
 *
 * <p>{@link #apply} runs inside the batch's transaction, on the connection given: the rows it
 * writes and the projection's checkpoint commit together, so each event is applied exactly once.
 * It must not commit, roll back or change the connection's auto-commit mode. Create the tables
 * yourself (for example {@code CREATE TABLE IF NOT EXISTS} before starting the runner).
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
     * Deletes the read model before a rebuild, in the same transaction that sets the checkpoint
     * back to 0.
     *
     * @throws SQLException to fail the reset (nothing is written)
     */
    void reset(Connection connection) throws SQLException;
}
