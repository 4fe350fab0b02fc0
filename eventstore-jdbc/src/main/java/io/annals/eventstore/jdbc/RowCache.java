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
 * The cache is valid at one checkpoint position and one count of repairs: those of the batch this
 * projector itself committed last. The checkpoint's repairs count the changes of the rows that
 * no batch makes: a reset (which also sets the position to 0, so that a replay may come back to
 * the same position having written other rows) and a parked event applied again ({@code
 * applyParked}, which leaves the position where it is; on SQLite a runner's lease does not reach
 * other processes, so the example's {@code dead-letters retry} may run beside a server). Each
 * counts itself first in its transaction. A batch uses the cache only if its compare-and-set,
 * first in its transaction, moves the checkpoint from that position and returns that count; so
 * the batch commits with kept rows only if nobody, in this process or another, applied a batch,
 * parked an event, reset the read model or applied a parked event since.
 *
 * <p>After this projector's own reset the cache is valid at 0 and any count: the rows are empty,
 * and another runner can change them only by moving the checkpoint off 0 (a batch, or a park,
 * which a parked event applied again needs first: the reset removed the dead letters), which
 * fails this projector's compare-and-set from 0, or by resetting them again, which leaves them
 * empty.
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
