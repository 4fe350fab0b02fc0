package io.annals.eventstore.jdbc;

import io.annals.eventstore.ReadOnlyStoreException;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.CheckpointConflictException;
import io.annals.eventstore.projection.DeadLetter;
import io.annals.eventstore.projection.DeadLetterProjector;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What the JDBC projectors share: each batch moves the checkpoint by compare-and-set and writes
 * the read model in one transaction, and a lease keeps the projection to one runner. Nothing is
 * written until the first batch: the checkpoint row is created by it. Events can be parked as dead
 * letters in the same transactions ({@link DeadLetterProjector}).
 *
 * @param <B> what a batch changed, handed from {@link #applyBatch} to {@link #committed}
 */
abstract class JdbcProjector<B extends @Nullable Object> implements DeadLetterProjector {

    final JdbcProjectors projectors;
    private final String name;
    /** The version this projector writes: the one in service when first asked, unless pinned. */
    private volatile ReadModelVersions.@Nullable Version version;

    JdbcProjector(JdbcProjectors projectors, String name) {
        this.projectors = projectors;
        this.name = checkName(name);
    }

    /** A projector of version {@code version} of its projection (a blue-green build). */
    JdbcProjector(JdbcProjectors projectors, String name, ReadModelVersions.Version version) {
        this(projectors, name);
        this.version = version;
    }

    /**
     * The version whose rows and checkpoint this projector writes: fixed once known, so that a
     * projector never writes into the version that replaced its own.
     */
    final ReadModelVersions.Version version() {
        ReadModelVersions.Version v = version;
        if (v == null) {
            try {
                v = projectors.versions().live(projectors.dataSource(), name);
            } catch (SQLException e) {
                throw projectors.dialect().failure("cannot read the version in service of projection " + name, e);
            }
            version = v;
        }
        return v;
    }

    /** What this projector's rows and checkpoint are stored under. */
    final String key() {
        return version().key();
    }

    private static String checkName(String name) {
        Objects.requireNonNull(name, "projection name");
        if (name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException(
                    "a projection name is 1 to 200 characters, not blank: '" + TableNames.printable(name) + "'");
        }
        if (name.startsWith(ReadModelVersions.KEY_PREFIX)) {
            throw new IllegalArgumentException("a projection name cannot begin with '" + ReadModelVersions.KEY_PREFIX
                    + "', under which the versions of a blue-green rebuild are kept: '"
                    + TableNames.printable(name) + "'");
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
            return projectors.checkpoints().read(projectors.dataSource(), key());
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot read the checkpoint of projection " + name, e);
        }
    }

    @Override
    public final void apply(long from, long to, List<RecordedEvent> events) {
        apply(from, to, events, null);
    }

    @Override
    public final void applyHolding(long from, long to, List<RecordedEvent> events, Instant now) {
        apply(from, to, events, Objects.requireNonNull(now, "now"));
    }

    /** A batch; with {@code parkAt}, the events of held streams are parked at that time instead. */
    private void apply(long from, long to, List<RecordedEvent> events, @Nullable Instant parkAt) {
        checkWritable("apply events to");
        B batch;
        try {
            batch = projectors.dialect().inBatch(projectors.dataSource(), name, appendsEvents(), c -> {
                // First, so that a competing runner fails (or, on PostgreSQL, waits on the row
                // lock and then fails) before doing any work.
                long repairs = projectors.checkpoints().move(c, key(), from, to);
                if (repairs == Checkpoints.NOT_MOVED) {
                    throw new CheckpointConflictException(name, from);
                }
                projectors.versions().checkNotReplaced(c, name, version());
                return applyBatch(c, from, repairs, parkAt == null ? events : holdBack(c, events, parkAt));
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
     * Parks the events of streams that have a dead letter, in the batch's transaction, so that a
     * stream's events are never applied out of order.
     *
     * @return the events to apply
     */
    private List<RecordedEvent> holdBack(Connection c, List<RecordedEvent> events, Instant now) throws SQLException {
        if (events.isEmpty()) {
            return events;
        }
        Set<String> held = projectors
                .deadLetters()
                .held(
                        c,
                        name,
                        events.stream().map(RecordedEvent::streamId).distinct().toList());
        if (held.isEmpty()) {
            return events;
        }
        List<RecordedEvent> apply = new ArrayList<>();
        for (RecordedEvent e : events) {
            if (held.contains(e.streamId())) {
                projectors
                        .deadLetters()
                        .park(
                                c,
                                new DeadLetter(
                                        name,
                                        e.position(),
                                        e.eventId(),
                                        e.streamId(),
                                        e.type(),
                                        "held behind an earlier parked event of stream " + e.streamId(),
                                        now));
            } else {
                apply.add(e);
            }
        }
        return apply;
    }

    @Override
    public final void park(long from, long to, DeadLetter letter) {
        checkWritable("park an event of");
        abandoned(); // the batch that failed left the cache behind
        try {
            projectors.dialect().inBatch(projectors.dataSource(), name, false, c -> {
                if (projectors.checkpoints().move(c, key(), from, to) == Checkpoints.NOT_MOVED) {
                    throw new CheckpointConflictException(name, from);
                }
                projectors.versions().checkNotReplaced(c, name, version());
                projectors.deadLetters().park(c, letter);
                return null;
            });
        } catch (SQLException e) {
            throw projectors
                    .dialect()
                    .failure("projection " + name + " could not park the event at position " + letter.position(), e);
        }
    }

    @Override
    public final List<DeadLetter> deadLetters() {
        try {
            return projectors.deadLetters().list(projectors.dataSource(), name);
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot list the dead letters of projection " + name, e);
        }
    }

    @Override
    public final boolean applyParked(RecordedEvent event) {
        checkWritable("apply a parked event to");
        abandoned(); // rows change outside the batches' order: the cache starts again
        try {
            return projectors.dialect().inBatch(projectors.dataSource(), name, appendsEvents(), c -> {
                // First: the rows this changes are no longer those a projector of this projection
                // may keep at its checkpoint, in this process or another (see RowCache).
                projectors.checkpoints().countRepair(c, key());
                projectors.versions().checkNotReplaced(c, name, version());
                if (!projectors.deadLetters().remove(c, name, event.position())) {
                    return false;
                }
                applyBatch(c, -1, Checkpoints.NOT_MOVED, List.of(event));
                return true;
            });
        } catch (SQLException e) {
            throw projectors
                    .dialect()
                    .failure(
                            "projection " + name + " could not apply the parked event at position " + event.position(),
                            e);
        } finally {
            abandoned();
        }
    }

    @Override
    public final boolean skip(long position) {
        checkWritable("skip a parked event of");
        try {
            return projectors
                    .dialect()
                    .inWriteTransaction(
                            projectors.dataSource(),
                            c -> projectors.deadLetters().remove(c, name, position));
        } catch (SQLException e) {
            throw projectors
                    .dialect()
                    .failure("cannot skip the dead letter at position " + position + " of " + name, e);
        }
    }

    /**
     * Writes the read model's changes for {@code events}, inside the batch's transaction, whose
     * compare-and-set has just moved the checkpoint from {@code from} and read its {@code
     * repairs} ({@link Checkpoints#move}); both -1 for a parked event applied on its own.
     *
     * @return what the batch changed, for {@link #committed}
     */
    abstract B applyBatch(Connection c, long from, long repairs, List<RecordedEvent> events) throws SQLException;

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

    /** Sets the checkpoints the read model depends on back to 0, first in the reset's transaction. */
    void resetCheckpoints(Connection c) throws SQLException {
        projectors.checkpoints().reset(c, key());
    }

    /** Deletes the read model, inside the reset's transaction. */
    abstract void deleteReadModel(Connection c) throws SQLException;

    @Override
    public final void reset() {
        checkWritable("reset");
        abandoned();
        try {
            projectors.dialect().inWriteTransaction(projectors.dataSource(), c -> {
                // The checkpoints first: on PostgreSQL their row locks make a batch of another
                // runner wait, then fail its compare-and-set, instead of committing rows between
                // the delete and the reset.
                resetCheckpoints(c);
                projectors.versions().checkNotReplaced(c, name, version());
                projectors.deadLetters().removeAll(c, name); // the replay meets those events again
                deleteReadModel(c);
                return null;
            });
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot reset projection " + name, e);
        }
        wasReset();
    }

    @Override
    public Optional<Lease> tryAcquire() {
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
