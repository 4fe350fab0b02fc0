package io.annals.eventstore.projection;

import java.util.List;
import java.util.Optional;

/**
 * The queryable side of a keyed projection: rows by key, and a listing in key order.
 *
 * @param <K> the key
 * @param <V> a row
 */
public interface ReadModel<K, V> {

    /** The row at {@code key}, if any. */
    Optional<V> get(K key);

    /**
     * Rows in the order of their keys' text form.
     *
     * @param offset rows to skip, at least 0
     * @param limit at most this many rows, at least 1
     */
    List<Row<K, V>> list(int offset, int limit);

    /**
     * One row of a read model.
     *
     * @param key its key
     * @param value its value
     * @param <K> the key
     * @param <V> the value
     */
    record Row<K, V>(K key, V value) {}
}
