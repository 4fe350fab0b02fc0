package io.annals.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.UUID;

/**
 * Bulk loading with raw JDBC batches: the history the read workloads run on. Setup, not a
 * measurement. Rows look like the store's own: random event ids, the domain's JSON. On PostgreSQL
 * the loaded rows take positions 1, 2, 3...: far below any position the store hands out
 * ((transaction id) * 2^20), so the store's readers see them as final.
 */
final class Loader implements AutoCloseable {

    /** Rows per batch and per transaction. */
    static final int BATCH = 5_000;
    /** The history's streams: this many per chunk of {@link #CHUNK} events, 10 events each. */
    static final int STREAMS_PER_CHUNK = 1_000;

    static final int CHUNK = 10_000;

    private final Target target;
    private final Connection c;
    private final PreparedStatement insert;
    private int pending;
    private long nextPosition;
    private long loaded;

    /** A loader whose PostgreSQL rows take positions from the target's next load position on. */
    Loader(Target target) throws SQLException {
        this.target = target;
        this.nextPosition = target.loadPosition;
        this.c = target.loader();
        c.setAutoCommit(false);
        this.insert = c.prepareStatement(
                target.sqlite()
                        ? "INSERT INTO annals_events (stream_id, version, event_id, type, data, metadata, recorded_at) "
                                + "VALUES (?, ?, ?, ?, ?, NULL, ?)"
                        : "INSERT INTO annals_events (position, stream_id, version, event_id, type, data, metadata, recorded_at) "
                                + "VALUES (?, ?, ?, ?::uuid, ?, ?::jsonb, NULL, ?)");
    }

    /** Adds one event; returns its id. */
    UUID add(String stream, long version) throws SQLException {
        UUID id = UUID.randomUUID();
        int i = 1;
        if (!target.sqlite()) {
            insert.setLong(i++, nextPosition++);
        }
        insert.setString(i++, stream);
        insert.setLong(i++, version);
        insert.setString(i++, id.toString());
        insert.setString(i++, Domain.TYPE);
        insert.setString(i++, Domain.json(stream, version));
        if (target.sqlite()) {
            insert.setLong(i, System.currentTimeMillis() * 1000);
        } else {
            insert.setTimestamp(i, new Timestamp(System.currentTimeMillis()));
        }
        insert.addBatch();
        loaded++;
        if (++pending == BATCH) {
            flush();
        }
        return id;
    }

    /** A stream of {@code n} events; returns the id of the last one. */
    UUID stream(String stream, long n) throws SQLException {
        UUID last = null;
        for (long v = 1; v <= n; v++) {
            last = add(stream, v);
        }
        flush();
        return last;
    }

    /**
     * Grows the history from {@code from} to {@code to} events (multiples of {@link #CHUNK}):
     * each chunk holds {@link #STREAMS_PER_CHUNK} streams of 10 events, interleaved as streams
     * that live side by side are (a page of the log touches hundreds of streams).
     */
    void history(long from, long to) throws SQLException {
        for (long chunk = from / CHUNK; chunk < to / CHUNK; chunk++) {
            for (int j = 0; j < CHUNK; j++) {
                add(historyStream(chunk * STREAMS_PER_CHUNK + j % STREAMS_PER_CHUNK), j / STREAMS_PER_CHUNK + 1);
            }
        }
        flush();
    }

    static String historyStream(long n) {
        return String.format("price-hist-%08d", n);
    }

    void flush() throws SQLException {
        if (pending > 0) {
            insert.executeBatch();
            c.commit();
            pending = 0;
        }
    }

    long loaded() {
        return loaded;
    }

    /** The position the next PostgreSQL row takes. */
    long nextPosition() {
        return nextPosition;
    }

    @Override
    public void close() throws SQLException {
        flush();
        target.loadPosition = nextPosition;
        c.close();
    }
}
