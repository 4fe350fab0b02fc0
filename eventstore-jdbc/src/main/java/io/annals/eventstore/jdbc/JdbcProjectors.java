package io.annals.eventstore.jdbc;

import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.StateCodec;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.Projector;
import io.annals.eventstore.projection.Subscriber;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Makes projectors whose read models and checkpoints live in the store's database, for a
 * {@link io.annals.eventstore.projection.ProjectionRunner}. Get it from
 * {@link JdbcEventStore#projectors()}.
 *
 * <p>Each batch writes the read model's rows and moves the checkpoint in one transaction, by
 * compare-and-set: a crash at any point never applies an event twice nor skips one, and two
 * runners never both apply a batch. A runner holds a projection through a lease: on PostgreSQL a
 * session advisory lock on a connection of its own (released when that connection closes, so
 * another process takes over when a runner dies); on SQLite a lock in the JVM per database file.
 * Making a projector writes nothing; its checkpoint row appears with its first batch.
 *
 * <p>Connections: a running projection uses one connection for its lease on PostgreSQL (the
 * store's own pool grows by one per lease) and borrows one more while it reads and applies a
 * batch, and, while it catches up, one more for the page it reads ahead ({@code
 * ProjectionRunner.Builder.readAhead}; a pool without one to spare makes it read and apply in
 * turn). With a DataSource of the application, size it for three times the projections plus the
 * application's own use.
 */
public final class JdbcProjectors {

    private final DataSource dataSource;
    private final Dialect dialect;
    private final Leases leases;
    private final boolean readOnly;
    private final Checkpoints checkpoints;
    private final ReadModelRows rows;
    private final DeadLetters deadLetters;
    private final ReadModelVersions versions;

    JdbcProjectors(DataSource dataSource, Dialect dialect, Leases leases, boolean readOnly) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.leases = leases;
        this.readOnly = readOnly;
        this.checkpoints = new Checkpoints(dialect);
        this.rows = new ReadModelRows(dialect);
        this.deadLetters = new DeadLetters(dialect);
        this.versions = new ReadModelVersions(dialect);
    }

    /**
     * A keyed projection with text keys; rows are stored as {@code values} writes them. The
     * projector is also a {@link io.annals.eventstore.projection.BlueGreenProjector}: it can be
     * rebuilt beside the version in service ({@code ProjectionRunner.rebuildBlueGreen}).
     *
     * @param projection the fold
     * @param codec how the events are decoded; events of types it does not know are skipped
     * @param values how a row is stored, for example {@code JacksonStateCodec.of(View.class)}
     * @throws IllegalArgumentException if the projection's name is blank, over 200 characters or
     *     begins with {@code $subscriber:}
     */
    public <E extends Event, V> KeyedProjector<String, V> keyed(
            Projection<E, String, V> projection, EventCodec<E> codec, StateCodec<V> values) {
        return keyed(projection, codec, values, Function.identity());
    }

    /**
     * A keyed projection; keys are stored as {@code String.valueOf(key)} and read back by
     * {@code keys}.
     *
     * @throws IllegalArgumentException if the projection's name is blank, over 200 characters or
     *     begins with {@code $subscriber:}
     */
    public <E extends Event, K, V> KeyedProjector<K, V> keyed(
            Projection<E, K, V> projection, EventCodec<E> codec, StateCodec<V> values, Function<String, K> keys) {
        return new JdbcKeyedProjector<>(
                this,
                Objects.requireNonNull(projection, "projection"),
                Objects.requireNonNull(codec, "codec"),
                Objects.requireNonNull(values, "values"),
                Objects.requireNonNull(keys, "keys"));
    }

    /**
     * A keyed projection split into segments by a hash of the stream id ({@link
     * Segments#segmentOf}), one projector per segment, to be run by several runners (in several
     * processes) at once. Each segment has its own checkpoint and lease, named {@code
     * name[i/count]}, and applies the events of its streams alone, in log order; all of them write
     * the one read model stored under the projection's name, which any of them reads. Add every
     * segment to every instance's runner: {@link Segments#owning} says which ones an instance runs
     * first, the others it takes over when their instance stops.
     *
     * <p>Resetting or rebuilding a segment resets the whole projection: its rows and every
     * segment's checkpoint, which the other segments' runners then replay from the start.
     * Changing the count needs a reset: a segment starting from position 0 refuses to apply
     * anything while checkpoints of another split (or of the whole projection) remain.
     *
     * @return the segments' projectors, segment 0 first
     * @throws IllegalArgumentException if the projection does not declare that its rows derive
     *     from one stream each ({@link Projection#rowsDeriveFromOneStream()}), or its name is
     *     blank, over 190 characters or begins with {@code $subscriber:}
     */
    public <E extends Event, K, V> List<KeyedProjector<K, V>> segments(
            Projection<E, K, V> projection,
            EventCodec<E> codec,
            StateCodec<V> values,
            Function<String, K> keys,
            Segments segments) {
        Objects.requireNonNull(projection, "projection");
        Objects.requireNonNull(segments, "segments");
        if (!projection.rowsDeriveFromOneStream()) {
            throw new IllegalArgumentException("projection " + projection.name()
                    + " cannot be split into segments: it does not declare that each of its rows derives from the"
                    + " events of one stream (Projection.rowsDeriveFromOneStream), and a row folded from many"
                    + " streams would be written by several segments at once");
        }
        if (projection.name().length() > 190) {
            throw new IllegalArgumentException("a split projection's name is at most 190 characters, to leave room"
                    + " for the segment's: '" + TableNames.printable(projection.name()) + "'");
        }
        List<KeyedProjector<K, V>> out = new ArrayList<>();
        for (int i = 0; i < segments.count(); i++) {
            out.add(new JdbcKeyedProjector<>(
                    this,
                    projection,
                    Objects.requireNonNull(codec, "codec"),
                    Objects.requireNonNull(values, "values"),
                    Objects.requireNonNull(keys, "keys"),
                    segments,
                    i));
        }
        return List.copyOf(out);
    }

    /** {@link #segments(Projection, EventCodec, StateCodec, Function, Segments)} with text keys. */
    public <E extends Event, V> List<KeyedProjector<String, V>> segments(
            Projection<E, String, V> projection, EventCodec<E> codec, StateCodec<V> values, Segments segments) {
        return segments(projection, codec, values, Function.identity(), segments);
    }

    /**
     * A projection that writes tables of its own, in the batch's transaction.
     *
     * @throws IllegalArgumentException if the projection's name is blank, over 200 characters or
     *     begins with {@code $subscriber:}
     */
    public <E extends Event> Projector sql(SqlProjection<E> projection, EventCodec<E> codec) {
        return new JdbcSqlProjector<>(
                this, Objects.requireNonNull(projection, "projection"), Objects.requireNonNull(codec, "codec"));
    }

    /**
     * A subscriber, delivered at least once: its handler gets each batch before its checkpoint
     * moves, outside the database transaction. Its checkpoint and lease are its own, apart from
     * the projections' even under the same name; run it on a {@code ProjectionRunner}.
     *
     * @throws NullPointerException if {@code subscriber} is null
     */
    public Projector subscriber(Subscriber subscriber) {
        return new JdbcSubscriberProjector(this, Objects.requireNonNull(subscriber, "subscriber"));
    }

    DataSource dataSource() {
        return dataSource;
    }

    Dialect dialect() {
        return dialect;
    }

    Leases leases() {
        return leases;
    }

    boolean readOnly() {
        return readOnly;
    }

    Checkpoints checkpoints() {
        return checkpoints;
    }

    ReadModelRows rows() {
        return rows;
    }

    DeadLetters deadLetters() {
        return deadLetters;
    }

    ReadModelVersions versions() {
        return versions;
    }
}
