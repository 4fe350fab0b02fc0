package io.annals.eventstore.jdbc;

import io.annals.eventstore.ReadOnlyStoreException;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.CheckpointConflictException;
import io.annals.eventstore.projection.Projector;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What the JDBC projectors share: each batch moves the checkpoint by compare-and-set and writes
 * the read model in one transaction, and a lease keeps the projection to one runner. Nothing is
 * written until the first batch: the checkpoint row is created by it.
 *
 * @param <B> what a batch changed, handed from {@link #applyBatch} to {@link #committed}
 */
abstract class JdbcProjector<B extends @Nullable Object> implements Projector {

    final JdbcProjectors projectors;
    private final String name;

    JdbcProjector(JdbcProjectors projectors, String name) {
        this.projectors = projectors;
        this.name = checkName(name);
    }

    private static String checkName(String name) {
        Objects.requireNonNull(name, "projection name");
        if (name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException(
                    "a projection name is 1 to 200 characters, not blank: '" + TableNames.printable(name) + "'");
        }
        if (name.startsWith(JdbcSubscriberProjector.KEY_PREFIX)) {
            throw new IllegalArgumentException("a projection name cannot begin with '"
                    + JdbcSubscriberProjector.KEY_PREFIX + "', under which subscribers keep their checkpoints: '"
                    + TableNames.printable(name) + "'");
        }
        return name;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final long checkpoint() {
        try {
            return projectors.checkpoints().read(projectors.dataSource(), name);
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot read the checkpoint of projection " + name, e);
        }
    }

    @Override
    public final void apply(long from, long to, List<RecordedEvent> events) {
        checkWritable("apply events to");
        B batch;
        try {
            batch = projectors.dialect().inBatch(projectors.dataSource(), name, appendsEvents(), c -> {
                // First, so that a competing runner fails (or, on PostgreSQL, waits on the row
                // lock and then fails) before doing any work.
                if (!projectors.checkpoints().move(c, name, from, to)) {
                    throw new CheckpointConflictException(name, from);
                }
                return applyBatch(c, from, events);
            });
        } catch (SQLException e) {
            abandoned();
            throw projectors
                    .dialect()
                    .failure("projection " + name + " could not apply events " + "after position " + from, e);
        } catch (RuntimeException | Error e) {
            abandoned();
            throw e;
        }
        committed(to, batch);
    }

    /**
     * Writes the read model's changes for {@code events}, inside the batch's transaction, whose
     * compare-and-set has just moved the checkpoint from {@code from}.
     *
     * @return what the batch changed, for {@link #committed}
     */
    abstract B applyBatch(Connection c, long from, List<RecordedEvent> events) throws SQLException;

    /**
     * Whether {@link #applyBatch} may append events through the store (which then joins the
     * batch's transaction; see {@link BatchTransaction}).
     */
    boolean appendsEvents() {
        return false;
    }

    /** The batch that {@link #applyBatch} returned {@code changes} for committed at {@code to}. */
    void committed(long to, B changes) {}

    /** The last batch or reset did not commit (or may not have). */
    void abandoned() {}

    /** A reset committed: the read model is empty and the checkpoint 0. */
    void wasReset() {}

    /** Deletes the read model, inside the reset's transaction. */
    abstract void deleteReadModel(Connection c) throws SQLException;

    @Override
    public final void reset() {
        checkWritable("reset");
        abandoned();
        try {
            projectors.dialect().inWriteTransaction(projectors.dataSource(), c -> {
                // The checkpoint first: on PostgreSQL its row lock makes a batch of another
                // runner wait, then fail its compare-and-set, instead of committing rows between
                // the delete and the reset.
                projectors.checkpoints().reset(c, name);
                deleteReadModel(c);
                return null;
            });
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot reset projection " + name, e);
        }
        wasReset();
    }

    @Override
    public final Optional<Lease> tryAcquire() {
        try {
            return projectors.leases().tryAcquire(name);
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot take the lease of projection " + name, e);
        }
    }

    private void checkWritable(String what) {
        if (projectors.readOnly()) {
            throw new ReadOnlyStoreException(
                    "cannot " + what + " projection " + name + ": the store was opened read-only");
        }
    }
}
