package io.annals.eventstore.jdbc;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The rows a keyed projector wrote last, as stored (JSON text), so that the next batch does not
 * read them back: a projection's batches touch the same keys again and again (a product changes
 * price many times), and reading the rows was a quarter of a batch's time.
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
 * docs/projections.md says so). Anything that is not a commit of this projector (a failed batch,
 * a conflict, a reset that failed) empties the cache. Values are kept as text and decoded again
 * for each batch, so a projection that mutates its row objects cannot change what the cache
 * holds.
 *
 * <p>After this projector's own reset the read model is empty, so the cache is <em>complete</em>:
 * a key it does not hold has no row, and a rebuild reads no row at all until the cache first
 * overflows.
 */
final class RowCache {

    /** What the cache knows of a key. */
    sealed interface Lookup {
        /** The key's row, as stored. */
        record Stored(String json) implements Lookup {}

        /** The key has no row. */
        record Missing() implements Lookup {}

        /** The cache does not know: ask the database. */
        record Unknown() implements Lookup {}
    }

    private static final Lookup MISSING = new Lookup.Missing();
    private static final Lookup UNKNOWN = new Lookup.Unknown();

    private final int capacity;
    /** By key: the row's JSON, or null when the key is known to have no row. */
    private final LinkedHashMap<String, @Nullable String> rows;

    private long validAt = -1;
    private boolean complete;

    RowCache(int capacity) {
        this.capacity = capacity;
        this.rows = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, @Nullable String> eldest) {
                if (size() > RowCache.this.capacity) {
                    complete = false;
                    return true;
                }
                return false;
            }
        };
    }

    /** Called as a batch starting at {@code from} begins: empties the cache unless valid there. */
    synchronized void startBatch(long from) {
        if (validAt != from) {
            clear();
        }
    }

    /** What the cache knows of {@code key}. */
    synchronized Lookup get(String key) {
        if (rows.containsKey(key)) {
            String json = rows.get(key);
            return json == null ? MISSING : new Lookup.Stored(json);
        }
        return complete ? MISSING : UNKNOWN;
    }

    /** A batch ending at {@code to} committed these changes. */
    synchronized void committed(long to, Map<String, String> upserts, List<String> deletes) {
        rows.putAll(upserts);
        for (String key : deletes) {
            rows.put(key, null);
        }
        validAt = to;
    }

    /** This projector reset the read model (committed): it is empty at position 0. */
    synchronized void wasReset() {
        rows.clear();
        complete = true;
        validAt = 0;
    }

    /** Something other than a commit of this projector happened: forget everything. */
    synchronized void clear() {
        rows.clear();
        complete = false;
        validAt = -1;
    }
}
