package io.annals.eventstore.jdbc;

import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StateCodec;
import io.annals.eventstore.internal.KeyedFold;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** A keyed projection whose rows live in {@code projection_rows}. */
final class JdbcKeyedProjector<E extends Event, K, V> extends JdbcProjectorBase
        implements KeyedProjector<K, V> {

    private final Projection<E, K, V> projection;
    private final EventCodec<E> codec;
    private final StateCodec<V> values;
    private final Function<String, K> keys;

    JdbcKeyedProjector(JdbcProjections projections, Projection<E, K, V> projection,
                       EventCodec<E> codec, StateCodec<V> values, Function<String, K> keys) {
        super(projections, projection.name());
        this.projection = projection;
        this.codec = codec;
        this.values = values;
        this.keys = keys;
    }

    /** Rows per projector kept by {@link RowCache}. */
    static final int CACHED_ROWS = 10_000;

    private final RowCache cache = new RowCache(CACHED_ROWS);
    /** The changes of the batch being applied, for the cache once it commits. */
    private Map<String, String> pendingUpserts = Map.of();
    private List<String> pendingDeletes = List.of();

    @Override
    void applyBatch(Connection c, long from, List<RecordedEvent> events) throws SQLException {
        cache.startBatch(from);
        pendingUpserts = Map.of();
        pendingDeletes = List.of();
        Map<K, Optional<V>> changed = KeyedFold.fold(projection, codec, events, keys -> {
            try {
                return load(c, keys);
            } catch (SQLException e) {
                throw new EventStoreException("cannot read the rows of " + name() + ": "
                        + e.getMessage(), e);
            }
        });
        Map<String, String> upserts = new HashMap<>();
        List<String> deletes = new ArrayList<>();
        for (Map.Entry<K, Optional<V>> e : changed.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (e.getValue().isPresent()) {
                upserts.put(key, values.serialize(e.getValue().get()));
            } else {
                deletes.add(key);
            }
        }
        dialect.writeProjectionRows(c, name(), upserts, deletes);
        pendingUpserts = upserts;
        pendingDeletes = deletes;
    }

    @Override
    void committed(long to) {
        cache.committed(to, pendingUpserts, pendingDeletes);
        pendingUpserts = Map.of();
        pendingDeletes = List.of();
    }

    @Override
    void abandoned() {
        cache.clear();
        pendingUpserts = Map.of();
        pendingDeletes = List.of();
    }

    @Override
    void wasReset() {
        cache.wasReset();
    }

    /** The rows of {@code keys} that exist: from the cache where it knows, else from the table. */
    private Map<K, V> load(Connection c, Set<K> keys) throws SQLException {
        Map<String, K> byText = new HashMap<>();
        List<String> unknown = new ArrayList<>();
        Map<String, String> stored = new HashMap<>();
        for (K key : keys) {
            String text = String.valueOf(key);
            byText.put(text, key);
            String cached = cache.get(text);
            if (cached == null) {
                unknown.add(text);
            } else if (cached != RowCache.ABSENT) {
                stored.put(text, cached);
            }
        }
        if (!unknown.isEmpty()) {
            stored.putAll(dialect.readProjectionRows(c, name(), unknown));
        }
        Map<K, V> found = new HashMap<>();
        for (Map.Entry<String, String> row : stored.entrySet()) {
            found.put(byText.get(row.getKey()), values.deserialize(row.getValue()));
        }
        return found;
    }

    @Override
    void deleteReadModel(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "DELETE FROM projection_rows WHERE projection = ?")) {
            ps.setString(1, name());
            ps.executeUpdate();
        }
    }

    @Override
    public Optional<V> get(K key) {
        Objects.requireNonNull(key, "key");
        try (Connection c = dialect.connect(dataSource);
             PreparedStatement ps = c.prepareStatement(
                     "SELECT value FROM projection_rows WHERE projection = ? AND key = ?")) {
            ps.setString(1, name());
            ps.setString(2, String.valueOf(key));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(values.deserialize(rs.getString(1))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new EventStoreException("cannot read row " + key + " of " + name() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public List<Row<K, V>> list(int offset, int limit) {
        if (offset < 0 || limit < 1) {
            throw new IllegalArgumentException("offset must be >= 0 and limit >= 1, were "
                    + offset + " and " + limit);
        }
        try (Connection c = dialect.connect(dataSource);
             PreparedStatement ps = c.prepareStatement("SELECT key, value FROM projection_rows "
                     + "WHERE projection = ? ORDER BY key LIMIT ? OFFSET ?")) {
            ps.setString(1, name());
            ps.setInt(2, limit);
            ps.setInt(3, offset);
            List<Row<K, V>> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Row<>(keys.apply(rs.getString(1)), values.deserialize(rs.getString(2))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new EventStoreException("cannot list the rows of " + name() + ": " + e.getMessage(), e);
        }
    }
}
