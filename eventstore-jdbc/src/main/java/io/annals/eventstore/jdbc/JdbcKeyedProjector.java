package io.annals.eventstore.jdbc;

import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StateCodec;
import io.annals.eventstore.internal.Interest;
import io.annals.eventstore.internal.KeyedFold;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** A keyed projection whose rows live in the store's read-model rows table. */
final class JdbcKeyedProjector<E extends Event, K, V> extends JdbcProjector<JdbcKeyedProjector.RowChanges>
        implements KeyedProjector<K, V> {

    /** Rows per projector kept by {@link RowCache}. */
    static final int CACHED_ROWS = 10_000;

    /** What a batch wrote: rows by key as stored, and the keys whose rows it deleted. */
    record RowChanges(Map<String, String> upserts, List<String> deletes) {}

    private final Projection<E, K, V> projection;
    private final EventCodec<E> codec;
    private final StateCodec<V> values;
    private final Function<String, K> keys;
    private final RowCache cache = new RowCache(CACHED_ROWS);

    JdbcKeyedProjector(
            JdbcProjectors projectors,
            Projection<E, K, V> projection,
            EventCodec<E> codec,
            StateCodec<V> values,
            Function<String, K> keys) {
        super(projectors, projection.name());
        this.projection = projection;
        this.codec = codec;
        this.values = values;
        this.keys = keys;
    }

    @Override
    RowChanges applyBatch(Connection c, long from, List<RecordedEvent> events) throws SQLException {
        cache.startBatch(from);
        Map<K, Optional<V>> changed;
        try {
            changed = KeyedFold.fold(projection, codec, events, touched -> {
                try {
                    return load(c, touched);
                } catch (SQLException e) {
                    throw new SqlFailure(e);
                }
            });
        } catch (SqlFailure e) {
            throw e.sql;
        }
        Map<String, String> upserts = new HashMap<>();
        List<String> deletes = new ArrayList<>();
        changed.forEach((key, value) -> {
            if (value.isPresent()) {
                upserts.put(String.valueOf(key), values.serialize(value.get()));
            } else {
                deletes.add(String.valueOf(key));
            }
        });
        projectors.rows().write(c, name(), upserts, deletes);
        return new RowChanges(upserts, deletes);
    }

    /** Carries a database error out of the fold's row loader, which cannot throw it. */
    private static final class SqlFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient SQLException sql;

        SqlFailure(SQLException sql) {
            super(sql.getMessage(), sql, false, false);
            this.sql = sql;
        }
    }

    @Override
    void committed(long to, RowChanges changes) {
        cache.committed(to, changes.upserts(), changes.deletes());
    }

    @Override
    void abandoned() {
        cache.clear();
    }

    @Override
    void wasReset() {
        cache.wasReset();
    }

    /** The rows of {@code touched} that exist: from the cache where it knows, else from the table. */
    private Map<K, V> load(Connection c, Set<K> touched) throws SQLException {
        Map<String, K> byText = new HashMap<>();
        List<String> unknown = new ArrayList<>();
        Map<String, String> stored = new HashMap<>();
        for (K key : touched) {
            String text = String.valueOf(key);
            byText.put(text, key);
            RowCache.Lookup cached = cache.get(text);
            if (cached instanceof RowCache.Lookup.Stored row) {
                stored.put(text, row.json());
            } else if (cached instanceof RowCache.Lookup.Unknown) {
                unknown.add(text);
            }
        }
        if (!unknown.isEmpty()) {
            stored.putAll(projectors.rows().read(c, name(), unknown));
        }
        Map<K, V> found = new HashMap<>();
        stored.forEach((text, json) -> found.put(byText.get(text), row(text, json)));
        return found;
    }

    /** A stored row, or an error that names the read model, the row and the way out. */
    private V row(String key, String json) {
        try {
            return values.deserialize(json);
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "cannot read row '" + key + "' of read model " + name() + ": " + e.getMessage()
                            + "; to rebuild it from the events: runner.rebuild(\"" + name() + "\", listener)",
                    e);
        }
    }

    @Override
    void deleteReadModel(Connection c) throws SQLException {
        projectors.rows().deleteAll(c, name());
    }

    @Override
    public Optional<V> get(K key) {
        Objects.requireNonNull(key, "key");
        try {
            return projectors
                    .rows()
                    .get(projectors.dataSource(), name(), String.valueOf(key))
                    .map(json -> row(String.valueOf(key), json));
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot read row " + key + " of " + name(), e);
        }
    }

    @Override
    public List<Row<K, V>> list(int offset, int limit) {
        if (offset < 0 || limit < 1) {
            throw new IllegalArgumentException("offset must be >= 0 and limit >= 1, were " + offset + " and " + limit);
        }
        try {
            List<Row<K, V>> out = new ArrayList<>();
            for (ReadModelRows.Row row : projectors.rows().list(projectors.dataSource(), name(), offset, limit)) {
                out.add(new Row<>(keys.apply(row.key()), row(row.key(), row.value())));
            }
            return out;
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot list the rows of " + name(), e);
        }
    }

    /** The events its codec decodes, and the tombstones of deleted streams. */
    @Override
    public Optional<Query> interest() {
        return Interest.of(codec);
    }
}
