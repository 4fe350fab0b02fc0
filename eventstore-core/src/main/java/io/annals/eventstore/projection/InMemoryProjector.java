package io.annals.eventstore.projection;

import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.Interest;
import io.annals.eventstore.internal.KeyedFold;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A keyed {@link Projection} kept in memory, with its checkpoint: for tests, and for read models
 * small enough to rebuild at every start.
 *
 * @param <E> the events
 * @param <K> the key
 * @param <V> a row
 */
public final class InMemoryProjector<E extends Event, K, V> implements KeyedProjector<K, V> {

    private final Projection<E, K, V> projection;
    private final EventCodec<E> codec;
    private final TreeMap<String, Row<K, V>> rows = new TreeMap<>();
    private final AtomicBoolean leased = new AtomicBoolean();
    private long checkpoint;

    /**
     * @param projection the fold
     * @param codec how its events are decoded; events of types it does not know are skipped
     */
    public InMemoryProjector(Projection<E, K, V> projection, EventCodec<E> codec) {
        this.projection = Objects.requireNonNull(projection, "projection");
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    @Override
    public String name() {
        return projection.name();
    }

    @Override
    public synchronized long checkpoint() {
        return checkpoint;
    }

    @Override
    public synchronized void apply(long from, long to, List<RecordedEvent> events) {
        if (checkpoint != from) {
            throw new CheckpointConflictException(name(), from);
        }
        Map<K, Optional<V>> changed = KeyedFold.fold(projection, codec, events, keys -> {
            Map<K, V> found = new HashMap<>();
            for (K key : keys) {
                Row<K, V> row = rows.get(String.valueOf(key));
                if (row != null) {
                    found.put(key, row.value());
                }
            }
            return found;
        });
        changed.forEach((key, value) -> {
            if (value.isPresent()) {
                rows.put(String.valueOf(key), new Row<>(key, value.get()));
            } else {
                rows.remove(String.valueOf(key));
            }
        });
        checkpoint = to;
    }

    @Override
    public synchronized void reset() {
        rows.clear();
        checkpoint = 0;
    }

    @Override
    public Optional<Lease> tryAcquire() {
        if (!leased.compareAndSet(false, true)) {
            return Optional.empty();
        }
        return Optional.of(Lease.untilClosed(() -> leased.set(false)));
    }

    @Override
    public synchronized Optional<V> get(K key) {
        Row<K, V> row = rows.get(String.valueOf(Objects.requireNonNull(key, "key")));
        return row == null ? Optional.empty() : Optional.of(row.value());
    }

    @Override
    public synchronized List<Row<K, V>> list(int offset, int limit) {
        if (offset < 0 || limit < 1) {
            throw new IllegalArgumentException("offset must be >= 0 and limit >= 1, were " + offset + " and " + limit);
        }
        return new ArrayList<>(rows.values())
                .subList(Math.min(offset, rows.size()), (int) Math.min(rows.size(), (long) offset + limit));
    }

    /** The events its codec decodes, and the tombstones of deleted streams. */
    @Override
    public Optional<Query> interest() {
        return Interest.of(codec);
    }

    /** The projection's categories. */
    @Override
    public Set<String> categories() {
        return projection.categories();
    }
}
