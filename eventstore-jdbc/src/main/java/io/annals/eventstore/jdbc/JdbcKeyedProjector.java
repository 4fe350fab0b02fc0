package io.annals.eventstore.jdbc;

import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StateCodec;
import io.annals.eventstore.internal.Interest;
import io.annals.eventstore.internal.KeyedFold;
import io.annals.eventstore.projection.BlueGreenProjector;
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
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A keyed projection whose rows live in the store's read-model rows table, under the key of the
 * version it writes; its reads follow the version in service.
 */
final class JdbcKeyedProjector<E extends Event, K, V> extends JdbcProjector<JdbcKeyedProjector.RowChanges<V>>
        implements KeyedProjector<K, V>, BlueGreenProjector {

    /** Rows per projector kept by {@link RowCache}. */
    static final int CACHED_ROWS = 10_000;

    /** What a batch wrote: rows by key, as the projection returned them, and the keys whose rows it deleted. */
    record RowChanges<V>(Map<String, V> upserts, List<String> deletes) {}

    private final Projection<E, K, V> projection;
    private final EventCodec<E> codec;
    private final StateCodec<V> values;
    private final Function<String, K> keys;
    private final RowCache<V> cache = new RowCache<>(CACHED_ROWS);
    /** The rows under the key of the version this projector writes, or, when split, the projection's. */
    private String rowsKey() {
        return segments == null ? key() : splitRowsKey();
    }

    /**
     * The key of the projection's version in service, which a split projection's segments all
     * write: the projection's name, or the key a blue-green rebuild of it switched to, which its
     * readers read. Read once: a split projection cannot be rebuilt blue-green.
     */
    private String splitRowsKey() {
        String k = liveKey;
        if (k == null) {
            try {
                k = projectors.versions().live(projectors.dataSource(), rows).key();
            } catch (SQLException e) {
                throw projectors.dialect().failure("cannot read which version of " + rows + " is in service", e);
            }
            liveKey = k;
        }
        return k;
    }

    /** {@link #splitRowsKey}, once read. */
    private volatile @Nullable String liveKey;

    /** The name the rows are stored under: the projection's, shared by all its segments. */
    private final String rows;
    /** How the projection is split, or null when it is not. */
    private final @Nullable Segments segments;
    /** The segment this projector applies, when split. */
    private final int segment;
    /** When this instance last found a segment it does not own free ({@link System#nanoTime}). */
    private @Nullable Long freeSince;

    JdbcKeyedProjector(
            JdbcProjectors projectors,
            Projection<E, K, V> projection,
            EventCodec<E> codec,
            StateCodec<V> values,
            Function<String, K> keys) {
        this(projectors, projection, codec, values, keys, null, 0);
    }

    /** Segment {@code segment} of {@code segments}, or the whole projection when null. */
    JdbcKeyedProjector(
            JdbcProjectors projectors,
            Projection<E, K, V> projection,
            EventCodec<E> codec,
            StateCodec<V> values,
            Function<String, K> keys,
            @Nullable Segments segments,
            int segment) {
        super(projectors, segments == null ? projection.name() : segments.name(projection.name(), segment));
        this.projection = projection;
        this.codec = codec;
        this.values = values;
        this.keys = keys;
        this.rows = projection.name();
        this.segments = segments;
        this.segment = segment;
    }

    /** The same projection writing version {@code version}. */
    private JdbcKeyedProjector(JdbcKeyedProjector<E, K, V> code, ReadModelVersions.Version version) {
        super(code.projectors, code.name(), version);
        this.projection = code.projection;
        this.codec = code.codec;
        this.values = code.values;
        this.keys = code.keys;
        this.rows = code.rows;
        this.segments = null;
        this.segment = 0;
    }

    /**
     * A version built beside this one.
     *
     * @throws IllegalArgumentException for a segment of a split projection: its segments share one
     *     read model, which only a rebuild in place (of all of them) replaces
     */
    @Override
    public StagedVersion stage() {
        if (segments != null) {
            throw new IllegalArgumentException("projection " + name() + " is a segment of " + rows
                    + ", split in " + segments.count() + ": the segments share one read model, which a blue-green"
                    + " rebuild cannot build beside itself; rebuild it in place (runner.rebuild)");
        }
        return JdbcStagedVersion.stage(projectors, name(), version -> new JdbcKeyedProjector<>(this, version));
    }

    @Override
    RowChanges<V> applyBatch(Connection c, long from, long repairs, List<RecordedEvent> all) throws SQLException {
        if (from == 0) {
            checkSplit(c);
        }
        List<RecordedEvent> events = all;
        if (segments != null) {
            events = new ArrayList<>(all.size());
            for (RecordedEvent e : all) {
                if (segments.segmentOf(e.streamId()) == segment) {
                    events.add(e);
                }
            }
        }
        cache.startBatch(from, repairs);
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
        Map<String, String> stored = new HashMap<>();
        Map<String, V> upserts = new HashMap<>();
        List<String> deletes = new ArrayList<>();
        changed.forEach((key, value) -> {
            String text = String.valueOf(key);
            if (value.isPresent()) {
                stored.put(text, values.serialize(value.get()));
                upserts.put(text, value.get());
            } else {
                deletes.add(text);
            }
        });
        projectors.rows().write(c, rowsKey(), stored, deletes);
        return new RowChanges<>(upserts, deletes);
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
    void committed(long to, RowChanges<V> changes) {
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
        Map<K, V> found = new HashMap<>();
        Map<String, K> unknown = new HashMap<>();
        for (K key : touched) {
            String text = String.valueOf(key);
            RowCache.Lookup<V> cached = cache.get(text);
            if (cached instanceof RowCache.Lookup.Stored<V> row) {
                found.put(key, row.row());
            } else if (cached instanceof RowCache.Lookup.Unknown) {
                unknown.put(text, key);
            }
        }
        if (!unknown.isEmpty()) {
            projectors
                    .rows()
                    .read(c, rowsKey(), new ArrayList<>(unknown.keySet()))
                    .forEach((text, json) -> found.put(unknown.get(text), row(text, json)));
        }
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

    /**
     * Refuses to start from 0 when the projection's checkpoints say it has been run split another
     * way (or split, when it is not now, or whole, when it is split now): its rows would then be
     * applied again on top of themselves.
     */
    private void checkSplit(Connection c) throws SQLException {
        Map<String, Long> found = new TreeMap<>(projectors.checkpoints().under(c, rows));
        if (segments != null && !splitRowsKey().equals(rows)) {
            // the projection whole, switched by a blue-green rebuild: its checkpoint is its version's
            projectors.checkpoints().under(c, splitRowsKey()).forEach((n, at) -> {
                if (n.equals(splitRowsKey())) {
                    found.put(rows, at);
                }
            });
        }
        for (Map.Entry<String, Long> other : found.entrySet()) {
            String n = other.getKey();
            boolean sameSplit = segments != null && isSegmentName(n, segments.count());
            boolean otherSplit = n.equals(rows) || isSegmentName(n, -1);
            if (otherSplit && !sameSplit && !n.equals(name())) {
                throw new IllegalStateException("read model " + rows + " was built by " + n + " (checkpoint at "
                        + other.getValue() + "), which "
                        + (n.equals(rows) ? "is the projection whole" : "splits it another way")
                        + ": running it as " + name() + " would apply those events again; reset it first"
                        + " (runner.rebuild), or run it as it was");
            }
        }
    }

    /** Whether {@code n} names a segment of this projection, split in {@code count} (any if -1). */
    private boolean isSegmentName(String n, int count) {
        if (!n.startsWith(rows + "[") || !n.endsWith("]")) {
            return false;
        }
        String inner = n.substring(rows.length() + 1, n.length() - 1);
        int slash = inner.indexOf('/');
        if (slash <= 0 || !inner.chars().allMatch(ch -> ch == '/' || (ch >= '0' && ch <= '9'))) {
            return false;
        }
        return count == -1 || inner.substring(slash + 1).equals(Integer.toString(count));
    }

    /**
     * For a segment, every segment's checkpoint, in segment order, before the rows are deleted:
     * a batch of another segment committing meanwhile then fails its compare-and-set, or commits
     * before the delete, which sees its rows (a delete first would miss a row it inserts, whose
     * events the replay would apply again), and two resets at once lock in the same order.
     */
    @Override
    void resetCheckpoints(Connection c) throws SQLException {
        // Every checkpoint the rows depend on: this one, the other segments', and those of any
        // other split or of the projection whole, which built rows this reset deletes. In name
        // order, so that two resets at once lock them in the same order.
        Set<String> names = new TreeSet<>();
        names.add(key());
        if (segments != null) {
            for (int s = 0; s < segments.count(); s++) {
                names.add(segments.name(rows, s));
            }
            names.add(splitRowsKey());
        }
        for (String n : projectors.checkpoints().under(c, rows).keySet()) {
            // the whole projection's checkpoint only from a segment: a version built beside the
            // one in service (blue-green) resets its own key alone, never the one in service
            if (isSegmentName(n, -1) || (segments != null && n.equals(rows))) {
                names.add(n);
            }
        }
        for (String n : names) {
            projectors.checkpoints().reset(c, n);
        }
        for (String n : names) {
            if (!n.equals(name())) {
                projectors.deadLetters().removeAll(c, n); // this one's, the reset removes itself
            }
        }
    }

    @Override
    void deleteReadModel(Connection c) throws SQLException {
        projectors.rows().deleteAll(c, rowsKey());
    }

    /**
     * The lease; for a segment this instance does not own, only once the segment has been free
     * for {@link Segments#takeoverAfter()}: until then, each try takes the lease and lets go of it
     * at once, to see whether the segment's owner runs it.
     */
    @Override
    public Optional<Lease> tryAcquire() {
        Optional<Lease> lease = super.tryAcquire();
        if (segments == null || segments.owns(segment) || lease.isEmpty()) {
            freeSince = null;
            return lease;
        }
        long now = System.nanoTime();
        synchronized (this) {
            if (freeSince == null) {
                freeSince = now;
            }
            if (now - freeSince >= segments.takeoverAfter().toNanos()) {
                freeSince = null;
                return lease;
            }
        }
        lease.get().close();
        return Optional.empty();
    }

    @Override
    public Optional<V> get(K key) {
        Objects.requireNonNull(key, "key");
        if (!KeyedFold.couldBeKey(key)) {
            return Optional.empty(); // no row has it; the driver would read the row of another
        }
        try {
            return projectors
                    .rows()
                    .get(projectors.dataSource(), rows, String.valueOf(key))
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
            for (ReadModelRows.Row row : projectors.rows().list(projectors.dataSource(), rows, offset, limit)) {
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

    /** A segment applies about one event in {@code count} of those it reads: it reads as many more. */
    @Override
    public int readsPerBatch() {
        return segments == null ? 1 : segments.count();
    }

    /** The projection's categories. */
    @Override
    public Set<String> categories() {
        return projection.categories();
    }
}
