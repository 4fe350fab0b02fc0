package io.annals.eventstore.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.Projector;
import io.annals.eventstore.StateCodec;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Projectors whose read models and checkpoints live in the store's database (tables
 * {@code projection_checkpoints} and {@code projection_rows}), for a
 * {@link io.annals.eventstore.projection.ProjectionRunner}. Get it from {@link JdbcEventStore#projections()}.
 *
 * <p>Each batch writes the read model's rows and moves the checkpoint in one transaction, by
 * compare-and-set: a crash at any point never applies an event twice nor skips one, and two
 * runners never both apply a batch. A runner holds a projection through a lease: on PostgreSQL a
 * session advisory lock on a connection of its own (released when that connection closes, so
 * another process takes over when a runner dies); on SQLite a lock in the JVM per database file.
 *
 * <p>Connections: a running projection uses one connection for its lease on PostgreSQL (the
 * store's own pool grows by one per lease) and borrows one more while it reads and applies a
 * batch. With a DataSource of the application, size it for twice the projections plus the
 * application's own use.
 */
public final class JdbcProjections {

    private final DataSource dataSource;
    private final Dialect dialect;
    private final HikariDataSource ownedPool;

    JdbcProjections(DataSource dataSource, Dialect dialect, HikariDataSource ownedPool) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.ownedPool = ownedPool;
    }

    /**
     * Takes a projection's lease. A PostgreSQL lease keeps a connection for as long as it is
     * held; when the store owns its pool, the pool grows by one connection per lease so that
     * leases never starve the appends and the projections' own reads and writes.
     */
    Optional<Projector.Lease> tryLease(String projection) throws SQLException {
        if (ownedPool == null || !dialect.leaseHoldsConnection()) {
            return dialect.tryLease(dataSource, projection);
        }
        resizePool(+1);
        Optional<Projector.Lease> leased;
        try {
            leased = dialect.tryLease(dataSource, projection);
        } catch (SQLException | RuntimeException e) {
            resizePool(-1);
            throw e;
        }
        if (leased.isEmpty()) {
            resizePool(-1);
            return Optional.empty();
        }
        Projector.Lease lease = leased.get();
        Projector.Lease shrink = Projector.Lease.untilClosed(() -> resizePool(-1));
        return Optional.of(new Projector.Lease() {
            @Override
            public boolean isValid() {
                return lease.isValid();
            }

            @Override
            public void close() {
                try (shrink) {
                    lease.close();
                }
            }
        });
    }

    private synchronized void resizePool(int delta) {
        ownedPool.setMaximumPoolSize(ownedPool.getMaximumPoolSize() + delta);
    }

    /**
     * A keyed projection with text keys; rows are serialised by {@code values}.
     *
     * @param projection the fold
     * @param codec how the events are decoded; events of types it does not know are skipped
     * @param values how a row is stored, for example {@code JacksonStateCodec.of(View.class)}
     */
    public <E extends Event, V> KeyedProjector<String, V> keyed(
            Projection<E, String, V> projection, EventCodec<E> codec, StateCodec<V> values) {
        return keyed(projection, codec, values, Function.identity());
    }

    /**
     * A keyed projection; keys are stored as {@code String.valueOf(key)} and read back by
     * {@code keys}.
     */
    public <E extends Event, K, V> KeyedProjector<K, V> keyed(
            Projection<E, K, V> projection, EventCodec<E> codec, StateCodec<V> values,
            Function<String, K> keys) {
        return new JdbcKeyedProjector<>(this, Objects.requireNonNull(projection, "projection"),
                Objects.requireNonNull(codec, "codec"), Objects.requireNonNull(values, "values"),
                Objects.requireNonNull(keys, "keys"));
    }

    /** A projection that writes tables of its own, in the batch's transaction. */
    public <E extends Event> Projector custom(JdbcProjection<E> projection, EventCodec<E> codec) {
        return new JdbcCustomProjector<>(this, Objects.requireNonNull(projection, "projection"),
                Objects.requireNonNull(codec, "codec"));
    }

    DataSource dataSource() {
        return dataSource;
    }

    Dialect dialect() {
        return dialect;
    }

    static String checkName(String name) {
        Objects.requireNonNull(name, "projection name");
        if (name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("a projection name is 1 to 200 characters, not blank: '"
                    + name + "'");
        }
        return name;
    }
}
