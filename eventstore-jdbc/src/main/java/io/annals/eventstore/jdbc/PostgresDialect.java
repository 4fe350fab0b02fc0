package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.projection.Projector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.WeakHashMap;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.util.PSQLException;

/**
 * PostgreSQL 13+ (tested on 15) through pgjdbc.
 *
 * <h2>A gap-free global log with concurrent writers</h2>
 *
 * A position taken from a sequence at insert becomes visible at commit, so positions commit out
 * of order: a reader that sees 101 and moves its checkpoint past 100 never sees 100 when its
 * transaction commits later (Marten, Eventuous and Emmett all shipped this bug). The known fixes:
 * <ul>
 *   <li>serialise appends with a lock, so positions commit in order: simple, but one writer at a
 *       time (published figures: 50-70% less throughput with several producers);</li>
 *   <li>gap detection with a timeout (Marten, Axon): skips any transaction slower than the
 *       timeout, so never acceptable alone;</li>
 *   <li>order by transaction id: a reader returns only rows whose transaction id is below the
 *       {@code xmin} of its snapshot, since every transaction below {@code xmin} has ended.</li>
 * </ul>
 * Annals takes the third, with the position itself allocated in transaction-id order:
 * {@code position = (xid + xid_offset) * 2^20 + index in the append}. Ordering by a sequence while
 * filtering by {@code xmin} would still skip (a later transaction can take a smaller sequence
 * number); deriving the position from the transaction id makes "below xmin" a range of
 * positions, so the reader's checkpoint stays one {@code long}, {@code readAll} is one index
 * range scan, and appends from any number of connections run in parallel. The cost: a
 * transaction left open anywhere in the cluster holds readers back (they wait, never skip), and
 * positions are sparse. docs/storage.md has the measurements.
 *
 * <h2>One round trip per append</h2>
 *
 * The version check and the insert are one auto-committed statement: a CTE reads the stream's
 * version, and the {@code INSERT ... SELECT} inserts nothing when the expectation fails. Two
 * writers that pass the check at once collide on the unique {@code (stream_id, version)} index:
 * the second waits for the first to commit, then fails with 23505, which becomes a
 * {@code WrongExpectedVersionException} (or, for {@code any()}, a retry).
 */
final class PostgresDialect extends Dialect {

    /** Bits of a position that hold the event's index in its append. */
    static final int INDEX_BITS = 20;
    /** The most events one append can hold. */
    static final int MAX_EVENTS_PER_APPEND = (1 << INDEX_BITS) - 1;
    /** How long an {@code any()} append keeps retrying after losing races for a version. */
    private static final long ANY_RETRY_NANOS = 30_000_000_000L;

    /**
     * The id and the time are read as {@code uuid} and {@code timestamptz}, which pgjdbc receives
     * in binary once the statement is prepared on the server: converting them to text (and the
     * time to microseconds with {@code extract}, which computes in {@code numeric}) on the server
     * and parsing the text again cost a tenth of a page of the log.
     */
    private static final String COLUMNS = """
            stream_id, version, position, event_id, type, data::text, metadata::text, recorded_at""";

    /**
     * The offset is read by a scalar subquery rather than joined: a join with the one-row
     * {@code annals_log} (estimated at thousands of rows until analysed) made the generic plan look
     * expensive, so PostgreSQL planned every append again (0.3-0.7 ms each, a third of an append).
     */
    private static final String BASE =
            "((pg_current_xact_id()::text::bigint + (SELECT xid_offset FROM annals_log)) << 20)";

    private static final String APPEND = """
            WITH cur AS (
                SELECT COALESCE((SELECT version FROM events WHERE stream_id = ?
                                 ORDER BY version DESC LIMIT 1), 0) AS v
            )
            INSERT INTO events (position, stream_id, version, event_id, type, data, metadata, recorded_at)
            SELECT %s + e.n, ?, cur.v + e.n, e.id, e.type, e.data::jsonb, e.meta::jsonb,
                   'epoch'::timestamptz + ? * interval '1 microsecond'
            FROM cur,
                 unnest(?::uuid[], ?::text[], ?::text[], ?::text[])
                     WITH ORDINALITY AS e(id, type, data, meta, n)
            WHERE cur.v BETWEEN ? AND ?
            RETURNING position, version""".formatted(BASE);

    /** {@link #APPEND} for one event: the same statement without arrays to build and unnest. */
    private static final String APPEND_ONE = """
            WITH cur AS (
                SELECT COALESCE((SELECT version FROM events WHERE stream_id = ?
                                 ORDER BY version DESC LIMIT 1), 0) AS v
            )
            INSERT INTO events (position, stream_id, version, event_id, type, data, metadata, recorded_at)
            SELECT %s + 1, ?, cur.v + 1, ?, ?, ?::jsonb, ?::jsonb,
                   'epoch'::timestamptz + ? * interval '1 microsecond'
            FROM cur
            WHERE cur.v BETWEEN ? AND ?
            RETURNING position, version""".formatted(BASE);

    private final StoreSettings settings;
    private final Set<PGConnection> configured =
            Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    PostgresDialect(StoreSettings settings) {
        this.settings = settings;
        if (settings.limits().maxEventsPerAppend() > MAX_EVENTS_PER_APPEND) {
            throw new IllegalArgumentException("maxEventsPerAppend is at most "
                    + MAX_EVENTS_PER_APPEND + " on PostgreSQL (the index of an event in its append "
                    + "is part of its position), was " + settings.limits().maxEventsPerAppend());
        }
    }

    @Override
    String name() {
        return "PostgreSQL";
    }

    @Override
    String migrationsPath() {
        return "db/postgresql";
    }

    @Override
    String createSchemaVersionTable() {
        return """
                CREATE TABLE IF NOT EXISTS annals_schema_version (
                    version     integer     PRIMARY KEY,
                    description text        NOT NULL,
                    applied_at  text        NOT NULL
                )""";
    }

    @Override
    void lockMigrations(Connection c) throws SQLException {
        // Two processes opening a new database at once: the second waits, then sees the version.
        try (Statement st = c.createStatement()) {
            st.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.annals_migrations'))");
        }
    }

    @Override
    void startUp(DataSource dataSource) {
        try (Connection c = connect(dataSource); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int")) {
            rs.next();
            int version = rs.getInt(1);
            if (version < 130000) {
                throw new EventStoreException("PostgreSQL " + version / 10000 + " is too old: "
                        + "Annals needs 13 or later (pg_current_xact_id, pg_snapshot_xmin)");
            }
        } catch (SQLException e) {
            throw new EventStoreException("cannot set up the PostgreSQL database: "
                    + e.getMessage(), e);
        }
    }

    /**
     * After a logical restore (pg_dump) into another cluster, transaction ids start lower than
     * the ones that wrote the stored events: raise the offset so that new positions stay above
     * the stored ones and the stored ones count as final.
     */
    @Override
    void afterMigrations(DataSource dataSource) {
        try {
            inWriteTransaction(dataSource, c -> {
                try (Statement st = c.createStatement()) {
                    st.execute("LOCK TABLE annals_log IN EXCLUSIVE MODE");
                    try (ResultSet rs = st.executeQuery("""
                            SELECT (SELECT COALESCE(MAX(position), 0) >> 20 FROM events),
                                   xid_offset,
                                   pg_snapshot_xmax(pg_current_snapshot())::text::bigint
                            FROM annals_log""")) {
                        rs.next();
                        long maxBase = rs.getLong(1);
                        long offset = rs.getLong(2);
                        long nextXid = rs.getLong(3);
                        if (maxBase >= nextXid + offset) {
                            try (PreparedStatement ps = c.prepareStatement(
                                    "UPDATE annals_log SET xid_offset = ?")) {
                                ps.setLong(1, maxBase + 1 - nextXid);
                                ps.executeUpdate();
                            }
                        }
                    }
                }
                return null;
            });
        } catch (SQLException e) {
            throw new EventStoreException("cannot check the position offset: " + e.getMessage(), e);
        }
    }

    @Override
    Connection connect(DataSource dataSource) throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            if (!c.getAutoCommit()) {
                // An append is one auto-committed statement: on a connection in manual-commit
                // mode it would be acknowledged, then rolled back when the pool takes it back.
                throw new EventStoreException("the PostgreSQL DataSource hands out connections "
                        + "with auto-commit off; Annals needs auto-commit on (it begins its own "
                        + "transactions where it needs them)");
            }
            if (settings.durability() == Durability.FULL) {
                return c;
            }
            PGConnection physical = c.unwrap(PGConnection.class);
            if (!configured.contains(physical)) {
                try (Statement st = c.createStatement()) {
                    // NORMAL: commits return before the WAL is flushed; a crash of the server may
                    // lose the last ones, never corrupt the database.
                    st.execute("SET synchronous_commit TO off");
                }
                configured.add(physical);
            }
            return c;
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    @Override
    <T> T inWriteTransaction(DataSource dataSource, SqlWork<T> work) throws SQLException {
        try (Connection c = connect(dataSource)) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (Throwable e) {
                try {
                    c.rollback();
                } catch (SQLException r) {
                    e.addSuppressed(r);
                }
                throw e;
            } finally {
                restoreAutoCommit(c);
            }
        }
    }

    /** Back to auto-commit; on a broken connection, the original error is the one to report. */
    private static void restoreAutoCommit(Connection c) {
        try {
            c.setAutoCommit(true);
        } catch (SQLException e) {
            // the connection is broken; the pool discards it
        }
    }

    @Override
    boolean isUniqueViolation(SQLException e) {
        // 23505 unique_violation: events_stream_version (a concurrent writer took the version)
        // or events_event_id (the id is stored: a repeat, or an id used twice).
        return "23505".equals(e.getSQLState());
    }

    private static boolean isVersionCollision(SQLException e) {
        return e instanceof PSQLException p && p.getServerErrorMessage() != null
                && "events_stream_version".equals(p.getServerErrorMessage().getConstraint());
    }

    @Override
    AppendResult append(DataSource dataSource, AppendRequest request) throws SQLException {
        List<EventData> events = request.events();
        int n = events.size();
        UUID[] ids = new UUID[n];
        String[] types = new String[n];
        String[] data = new String[n];
        for (int i = 0; i < n; i++) {
            EventData e = events.get(i);
            ids[i] = e.eventId();
            types[i] = e.type();
            data[i] = e.json();
        }
        boolean retryCollisions = !(request.expected() instanceof ExpectedVersion.Exactly)
                && !(request.expected() instanceof ExpectedVersion.NoStream);
        long deadline = System.nanoTime() + ANY_RETRY_NANOS;
        try (Connection c = connect(dataSource)) {
            for (int attempt = 1; ; attempt++) {
                try (PreparedStatement ps = c.prepareStatement(n == 1 ? APPEND_ONE : APPEND)) {
                    ps.setString(1, request.streamId());
                    ps.setString(2, request.streamId());
                    if (n == 1) {
                        ps.setObject(3, ids[0]);
                        ps.setString(4, types[0]);
                        ps.setString(5, data[0]);
                        ps.setString(6, request.metadata()[0]);
                        ps.setLong(7, request.recordedAtMicros());
                    } else {
                        ps.setLong(3, request.recordedAtMicros());
                        ps.setArray(4, c.createArrayOf("uuid", ids));
                        ps.setArray(5, c.createArrayOf("text", types));
                        ps.setArray(6, c.createArrayOf("text", data));
                        ps.setArray(7, c.createArrayOf("text", request.metadata()));
                    }
                    ps.setLong(8, request.minCurrentVersion());
                    ps.setLong(9, request.maxCurrentVersion());
                    long position = 0;
                    long version = 0;
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            position = Math.max(position, rs.getLong(1));
                            version = Math.max(version, rs.getLong(2));
                        }
                    }
                    if (version == 0) {
                        return refused(c, request, -1); // the expectation did not hold
                    }
                    return new AppendResult(version, position);
                } catch (SQLException e) {
                    if (!isUniqueViolation(e)) {
                        throw e;
                    }
                    // The statement was rolled back with its implicit transaction.
                    if (retryCollisions && isVersionCollision(e) && System.nanoTime() < deadline) {
                        // any()/streamExists() cannot be unmet: another writer took the version,
                        // so go again on top of it (with a little jitter once it gets crowded).
                        if (attempt > 3) {
                            pause(attempt);
                        }
                        continue;
                    }
                    return refused(c, request, -1);
                }
            }
        }
    }

    @Override
    boolean leaseHoldsConnection() {
        return true;
    }

    /**
     * A session advisory lock on a connection kept for the lease: PostgreSQL releases it when the
     * session ends, so when a runner's process dies or loses its connection, another takes over.
     */
    @Override
    Optional<Projector.Lease> tryLease(DataSource dataSource, String projection) throws SQLException {
        Connection c = connect(dataSource);
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT pg_try_advisory_lock(hashtext(current_schema()), hashtext(?))")) {
            ps.setString(1, "annals.projection." + projection);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    c.close();
                    return Optional.empty();
                }
            }
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
        return Optional.of(new Projector.Lease() {
            private volatile boolean open = true;

            @Override
            public boolean isValid() {
                try {
                    return open && c.isValid(2);
                } catch (SQLException e) {
                    return false;
                }
            }

            @Override
            public void close() {
                if (!open) {
                    return;
                }
                open = false;
                try (c; PreparedStatement ps = c.prepareStatement(
                        "SELECT pg_advisory_unlock(hashtext(current_schema()), hashtext(?))")) {
                    ps.setString(1, "annals.projection." + projection);
                    ps.execute();
                } catch (SQLException e) {
                    // the connection is gone, and the lock with it
                }
            }
        });
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(1 + Math.min(attempt, 20)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedWaitException("interrupted while retrying an append", e);
        }
    }

    @Override
    void bindEventId(PreparedStatement ps, int index, UUID id) throws SQLException {
        ps.setObject(index, id);
    }

    @Override
    UUID eventId(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, UUID.class);
    }

    @Override
    Instant recordedAt(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    @Override
    String findEventIds(int count) {
        return "SELECT event_id::text, stream_id, version, position FROM events WHERE event_id IN ("
                + "?,".repeat(count - 1) + "?)";
    }

    @Override
    String readStream() {
        return "SELECT " + COLUMNS + """

                FROM events WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?""";
    }

    @Override
    String readAll() {
        // Only positions below the reader's xmin: every transaction that could still write there
        // has ended. The subquery runs once (an InitPlan), so this is one index range scan.
        return "SELECT " + COLUMNS + """

                FROM events
                WHERE position > ?
                  AND position < (SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint
                                          + xid_offset) << 20 FROM annals_log)
                ORDER BY position LIMIT ?""";
    }

    /**
     * One statement whatever the number of keys, with the keys as one {@code text[]}: its plan
     * uses the whole primary key whatever the table's statistics. An {@code IN} list of 500
     * parameters got a generic plan while a rebuild had left the table without statistics, which
     * used only {@code projection = $1} and filtered every row of the read model (130-220 ms a
     * batch, against 2 ms).
     */
    @Override
    Map<String, String> readProjectionRows(Connection c, String projection, List<String> keys)
            throws SQLException {
        Map<String, String> found = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT key, value FROM projection_rows WHERE projection = ? AND key = ANY (?)")) {
            ps.setString(1, projection);
            ps.setArray(2, c.createArrayOf("text", keys.toArray()));
            collectRows(ps, found);
        }
        return found;
    }

    /** The upserts and the deletes as one statement each, their keys and values as arrays. */
    @Override
    void writeProjectionRows(Connection c, String projection, Map<String, String> upserts,
                             List<String> deletes) throws SQLException {
        if (!upserts.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO projection_rows (projection, key, value)
                    SELECT ?, r.key, r.value FROM unnest(?::text[], ?::text[]) AS r (key, value)
                    ON CONFLICT (projection, key) DO UPDATE SET value = excluded.value""")) {
                String[] keys = new String[upserts.size()];
                String[] values = new String[upserts.size()];
                int i = 0;
                for (Map.Entry<String, String> row : upserts.entrySet()) {
                    keys[i] = row.getKey();
                    values[i++] = row.getValue();
                }
                ps.setString(1, projection);
                ps.setArray(2, c.createArrayOf("text", keys));
                ps.setArray(3, c.createArrayOf("text", values));
                ps.executeUpdate();
            }
        }
        if (!deletes.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM projection_rows WHERE projection = ? AND key = ANY (?)")) {
                ps.setString(1, projection);
                ps.setArray(2, c.createArrayOf("text", deletes.toArray()));
                ps.executeUpdate();
            }
        }
    }

    @Override
    String loadSnapshot() {
        return """
                SELECT version, last_event_id::text, schema_version, state,
                       (extract(epoch FROM taken_at) * 1000000)::bigint
                FROM snapshots WHERE stream_id = ?""";
    }

    @Override
    String saveSnapshot() {
        return """
                INSERT INTO snapshots (stream_id, version, last_event_id, schema_version, state, taken_at)
                VALUES (?, ?, ?::uuid, ?, ?, 'epoch'::timestamptz + ? * interval '1 microsecond')
                ON CONFLICT (stream_id) DO UPDATE SET
                    version = excluded.version, last_event_id = excluded.last_event_id,
                    schema_version = excluded.schema_version, state = excluded.state,
                    taken_at = excluded.taken_at
                WHERE excluded.version >= snapshots.version""";
    }
}
