package io.annals.eventstore.jdbc;

import io.annals.eventstore.Query;
import io.annals.eventstore.ReadOnlyStoreException;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.BlueGreenProjector;
import io.annals.eventstore.projection.BlueGreenProjector.StagedVersion;
import io.annals.eventstore.projection.DeadLetter;
import io.annals.eventstore.projection.DeadLetterProjector;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A version of a JDBC projection built beside the one in service: a projector of the same code
 * pinned to the next generation, which becomes the version in service by one transaction.
 *
 * <p>Why the switch is atomic for readers: it is one write transaction that moves the
 * projection's row of the versions table to the new generation and deletes the old generation's
 * rows and checkpoint. A reader reads the row of the versions table and the rows of the read
 * model in one statement, which sees one snapshot on both databases (PostgreSQL's MVCC statement
 * snapshot; a SQLite statement is one read transaction of the write-ahead log): the versions row
 * before the switch with the old rows, or after it with the new ones. The old version's batches
 * are kept out by locks on PostgreSQL (the switch holds the versions row and the old checkpoint
 * row; a batch reads the versions row {@code FOR SHARE} after its compare-and-set and fails when
 * its generation was replaced) and by SQLite's single writer.
 */
final class JdbcStagedVersion implements StagedVersion, DeadLetterProjector {

    private final JdbcProjectors projectors;
    private final String name;
    private final ReadModelVersions.Version replaced;
    private final JdbcProjector<?> version;
    private final Function<ReadModelVersions.Version, JdbcProjector<?>> code;
    private final Lease build;
    private boolean switched;
    private boolean discarded;

    private JdbcStagedVersion(
            JdbcProjectors projectors,
            String name,
            ReadModelVersions.Version replaced,
            Function<ReadModelVersions.Version, JdbcProjector<?>> code,
            Lease build) {
        this.projectors = projectors;
        this.name = name;
        this.replaced = replaced;
        this.code = code;
        this.version = code.apply(ReadModelVersions.Version.of(name, replaced.generation() + 1));
        this.build = build;
    }

    /**
     * Stages the generation after the one in service, dropping what an abandoned build of it
     * left; {@code code} makes a projector of the projection's code for a version.
     */
    static JdbcStagedVersion stage(
            JdbcProjectors projectors, String name, Function<ReadModelVersions.Version, JdbcProjector<?>> code) {
        if (projectors.readOnly()) {
            throw new ReadOnlyStoreException(
                    "cannot rebuild projection " + name + " blue-green: the store was opened read-only");
        }
        Lease build;
        try {
            build = projectors
                    .leases()
                    .tryAcquire(ReadModelVersions.KEY_PREFIX + "build:" + name)
                    .orElseThrow(() -> new IllegalStateException("a blue-green rebuild of projection " + name
                            + " is under way already: wait for it to end, or stop it"));
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot take the build lease of projection " + name, e);
        }
        try {
            ReadModelVersions.Version live = projectors.dialect().inWriteTransaction(projectors.dataSource(), c -> {
                ReadModelVersions.Version v = projectors.versions().lockLive(c, name);
                drop(projectors, c, code.apply(ReadModelVersions.Version.of(name, v.generation() + 1)));
                return v;
            });
            return new JdbcStagedVersion(projectors, name, live, code, build);
        } catch (SQLException e) {
            build.close();
            throw projectors.dialect().failure("cannot stage a new version of projection " + name, e);
        } catch (RuntimeException | Error e) {
            build.close();
            throw e;
        }
    }

    /** Deletes the rows and checkpoint of the version {@code projector} writes. */
    private static void drop(JdbcProjectors projectors, java.sql.Connection c, JdbcProjector<?> projector)
            throws SQLException {
        projectors.versions().deleteCheckpoint(c, projector.key());
        projector.deleteReadModel(c);
    }

    @Override
    public synchronized boolean promote() {
        if (discarded) {
            throw new IllegalStateException("this version of projection " + name + " was discarded");
        }
        if (switched) {
            return true;
        }
        try {
            boolean done = projectors.dialect().inWriteTransaction(projectors.dataSource(), c -> {
                ReadModelVersions versions = projectors.versions();
                ReadModelVersions.Version live = versions.lockLive(c, name);
                if (live.generation() != replaced.generation()) {
                    throw new IllegalStateException("projection " + name + " was switched to generation "
                            + live.generation() + " while this build of generation "
                            + version.version().generation() + " ran: build again");
                }
                long serving = versions.lockCheckpoint(c, replaced.key());
                long built = versions.lockCheckpoint(c, version.key());
                if (built < serving) {
                    return false; // readers would go back in time: catch up first
                }
                if (!versions.move(c, name, replaced, version.version())) {
                    throw new IllegalStateException("projection " + name + " was switched by another build");
                }
                drop(projectors, c, code.apply(replaced));
                projectors.deadLetters().removeAll(c, name); // the new version applied those events
                return true;
            });
            if (done) {
                switched = true;
                build.close();
            }
            return done;
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot switch projection " + name + " to its new version", e);
        }
    }

    @Override
    public synchronized void discard() {
        if (switched || discarded) {
            return;
        }
        discarded = true;
        try {
            projectors.dialect().inWriteTransaction(projectors.dataSource(), c -> {
                drop(projectors, c, version);
                return null;
            });
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot drop the new version of projection " + name, e);
        } finally {
            build.close();
        }
    }

    @Override
    public StagedVersion stage() {
        return ((BlueGreenProjector) version).stage();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long checkpoint() {
        return version.checkpoint();
    }

    @Override
    public void apply(long from, long to, List<RecordedEvent> events) {
        version.apply(from, to, events);
    }

    @Override
    public Optional<Query> interest() {
        return version.interest();
    }

    @Override
    public void reset() {
        version.reset();
    }

    @Override
    public Optional<Lease> tryAcquire() {
        return version.tryAcquire();
    }

    @Override
    public void applyHolding(long from, long to, List<RecordedEvent> events, Instant now) {
        version.applyHolding(from, to, events, now);
    }

    @Override
    public void park(long from, long to, DeadLetter letter) {
        version.park(from, to, letter);
    }

    @Override
    public List<DeadLetter> deadLetters() {
        return version.deadLetters();
    }

    @Override
    public boolean applyParked(RecordedEvent event) {
        return version.applyParked(event);
    }

    @Override
    public boolean skip(long position) {
        return version.skip(position);
    }
}
