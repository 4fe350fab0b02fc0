package io.annals.eventstore.jdbc;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows a keyed projector wrote last, as its projection returned them, so that the next batch
 * neither reads them back nor decodes them: a projection's batches touch the same keys again and
 * again (a product changes price many times), and reading the rows was a quarter of a batch's
 * time, decoding them again a sixth.
 *
 * <h2>Why it cannot serve a stale row</h2>
 *
 * The cache is valid at one checkpoint position: the one this projector itself committed last
 * (or 0 after its own reset). A batch uses it only if it starts at that position, and the
 * batch's transaction first moves the checkpoint from there by compare-and-set, so the batch
 * commits only if nobody moved the checkpoint since: no other runner, in this process or
 * another, applied a batch or reset the read model in between (either would have moved the
 * checkpoint; a rebuild that came back to the same position wrote the same rows, provided it ran
 * the same projection: running two versions of a projection at once is unsupported, and
 * docs/projections.md says so).
 *
 * <p>The one change of the rows that leaves the checkpoint where it is, a parked event applied
 * again ({@code applyParked}), counts itself in the checkpoint's repairs, first in its
 * transaction, and the compare-and-set returns the repairs: the cache is valid at a position
 * <em>and</em> a count of repairs, so a batch after such a change, made by any process (on SQLite a runner's lease
 * does not reach other processes, so the example's {@code dead-letters retry} may run beside a
 * server), starts empty and reads the rows as stored. After this projector's own reset any
 * count is taken: the reset removed the projection's dead letters in its transaction, so
 * nothing can be applied outside the batches until one of them parks an event, and parking
 * empties the cache.
 *
 * <h2>Why it holds the rows' objects, not their text</h2>
 *
 * A batch's fold hands a projection, for the second event of a key, the object it returned for
 * the first; the cache hands it, for the first event of a key in a batch, the object it returned
 * in the batch before. So a row the cache serves is what one larger batch would have handed over,
 * never something else: where a projection's rows do not survive their codec unchanged (a field
 * the codec leaves out), the read model already depends on where batches end, and with the cache
 * it depends also on which rows stayed in memory (the capacity, a restart), which is the same
 * dependence. A batch may change the objects it is handed (a projection that
 * breaks the rule that {@code apply} is pure), so the cache counts as valid nowhere from the
 * moment a batch starts until it commits: a batch that fails, whatever the way, leaves the next
 * one an empty cache, which reads the rows as stored.
 *
 * <p>After this projector's own reset the read model is empty, so the cache is <em>complete</em>:
 * a key it does not hold has no row, and a rebuild reads no row at all until the cache first
 * overflows.
 *
 * @param <V> a row
 */
final class RowCache<V> {

    /** What the cache knows of a key. */
    sealed interface Lookup<V> {
        /** The key's row, as the projection returned it. */
        record Stored<V>(V row) implements Lookup<V> {}

        /** The key has no row. */
        record Missing<V>() implements Lookup<V> {}

        /** The cache does not know: ask the database. */
        record Unknown<V>() implements Lookup<V> {}
    }

    /** The value of a key known to have no row. */
    private static final Object NO_ROW = new Object();

    private final Lookup<V> missing = new Lookup.Missing<>();
    private final Lookup<V> unknown = new Lookup.Unknown<>();
    private final int capacity;
    /** By key: the row, or {@link #NO_ROW}. */
    private final LinkedHashMap<String, Object> rows;

    /** Any count of repairs: what {@link #repairs} holds after this projector's own reset. */
    private static final long ANY = -2;

    /** The checkpoint position the rows are valid at; -1 for none (cleared, or a batch in flight). */
    private long validAt = -1;

    /** The checkpoint's count of repairs the rows are valid at, or {@link #ANY}. */
    private long repairs = ANY;

    private boolean complete;

    RowCache(int capacity) {
        this.capacity = capacity;
        this.rows = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Object> eldest) {
                if (size() > RowCache.this.capacity) {
                    complete = false;
                    return true;
                }
                return false;
            }
        };
    }

    /**
     * Called as a batch starting at {@code from} begins, once its compare-and-set read the
     * checkpoint's {@code repairs}: empties the cache unless valid there, and counts it valid
     * nowhere until the batch commits ({@link #committed}). Both -1 for a parked event applied on
     * its own.
     */
    synchronized void startBatch(long from, long repairs) {
        if (from < 0 || validAt != from || (this.repairs != ANY && this.repairs != repairs)) {
            clear();
        }
        validAt = -1;
        this.repairs = repairs;
    }

    /** What the cache knows of {@code key}. */
    @SuppressWarnings("unchecked")
    synchronized Lookup<V> get(String key) {
        Object row = rows.get(key);
        if (row == null) {
            return complete ? missing : unknown;
        }
        return row == NO_ROW ? missing : new Lookup.Stored<>((V) row);
    }

    /** A batch ending at {@code to} committed these changes. */
    synchronized void committed(long to, Map<String, V> upserts, List<String> deletes) {
        rows.putAll(upserts);
        for (String key : deletes) {
            rows.put(key, NO_ROW);
        }
        validAt = to;
    }

    /** This projector reset the read model (committed): it is empty at position 0. */
    synchronized void wasReset() {
        rows.clear();
        complete = true;
        validAt = 0;
        repairs = ANY;
    }

    /** Something other than a commit of this projector happened: forget everything. */
    synchronized void clear() {
        rows.clear();
        complete = false;
        validAt = -1;
    }
}
