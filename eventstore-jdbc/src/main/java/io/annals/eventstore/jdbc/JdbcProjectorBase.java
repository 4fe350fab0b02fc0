package io.annals.eventstore.jdbc;

import io.annals.eventstore.projection.CheckpointConflictException;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.projection.Projector;
import io.annals.eventstore.RecordedEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * What the JDBC projectors share: the checkpoint row, moved by compare-and-set inside the batch's
 * transaction, and the lease.
 */
abstract class JdbcProjectorBase implements Projector {

    final DataSource dataSource;
    final Dialect dialect;
    private final JdbcProjections projections;
    private final String name;

    JdbcProjectorBase(JdbcProjections projections, String name) {
        this.projections = projections;
        this.dataSource = projections.dataSource();
        this.dialect = projections.dialect();
        this.name = JdbcProjections.checkName(name);
        try {
            dialect.inWriteTransaction(dataSource, c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO projection_checkpoints (projection, position) VALUES (?, 0) "
                                + "ON CONFLICT (projection) DO NOTHING")) {
                    ps.setString(1, name);
                    return ps.executeUpdate();
                }
            });
        } catch (SQLException e) {
            throw new EventStoreException("cannot create the checkpoint of projection " + name
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final long checkpoint() {
        try (Connection c = dialect.connect(dataSource);
             PreparedStatement ps = c.prepareStatement(
                     "SELECT position FROM projection_checkpoints WHERE projection = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw new EventStoreException("cannot read the checkpoint of projection " + name + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public final void apply(long from, long to, List<RecordedEvent> events) {
        boolean done = false;
        try {
            dialect.inWriteTransaction(dataSource, c -> {
                // First, so that a competing runner fails (or, on PostgreSQL, waits on the row
                // lock and then fails) before doing any work.
                try (PreparedStatement ps = c.prepareStatement("UPDATE projection_checkpoints "
                        + "SET position = ? WHERE projection = ? AND position = ?")) {
                    ps.setLong(1, to);
                    ps.setString(2, name);
                    ps.setLong(3, from);
                    if (ps.executeUpdate() != 1) {
                        throw new CheckpointConflictException(name, from);
                    }
                }
                applyBatch(c, from, events);
                return null;
            });
            done = true;
        } catch (SQLException e) {
            throw new EventStoreException("projection " + name + " could not apply events "
                    + "after position " + from + ": " + e.getMessage(), e);
        } finally {
            if (done) {
                committed(to);
            } else {
                abandoned();
            }
        }
    }

    /**
     * Writes the read model's changes for {@code events}, inside the batch's transaction, whose
     * compare-and-set has just moved the checkpoint from {@code from}.
     */
    abstract void applyBatch(Connection c, long from, List<RecordedEvent> events) throws SQLException;

    /** The batch of the last {@link #applyBatch} committed; the checkpoint is {@code to}. */
    void committed(long to) {
    }

    /** The last batch or reset did not commit (or may not have). */
    void abandoned() {
    }

    /** A reset committed: the read model is empty and the checkpoint 0. */
    void wasReset() {
    }

    /** Deletes the read model, inside the reset's transaction. */
    abstract void deleteReadModel(Connection c) throws SQLException;

    @Override
    public final void reset() {
        abandoned();
        try {
            dialect.inWriteTransaction(dataSource, c -> {
                // The checkpoint first: on PostgreSQL its row lock makes a batch of another
                // runner wait, then fail its compare-and-set, instead of committing rows between
                // the delete and the reset.
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE projection_checkpoints SET position = 0 WHERE projection = ?")) {
                    ps.setString(1, name);
                    ps.executeUpdate();
                }
                deleteReadModel(c);
                return null;
            });
            wasReset();
        } catch (SQLException e) {
            throw new EventStoreException("cannot reset projection " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public final Optional<Lease> tryAcquire() {
        try {
            return projections.tryLease(name);
        } catch (SQLException e) {
            throw new EventStoreException("cannot take the lease of projection " + name + ": "
                    + e.getMessage(), e);
        }
    }
}
