package io.annals.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * The raw-JDBC baseline: what a careful hand-written program does on the same tables, on one
 * connection of its own with its statements prepared once. It checks nothing the database does not
 * check for it (the unique indexes still refuse a duplicate version or id) and is not gap-safe on
 * PostgreSQL (positions come from a sequence): it is the floor Annals is measured against.
 */
final class Raw implements AutoCloseable {

    static final String COLUMNS = "stream_id, version, position, event_id, type, data, metadata, recorded_at";

    private static final String INSERT_SQLITE = """
            INSERT INTO annals_events (stream_id, version, event_id, type, data, metadata, recorded_at)
            VALUES (?, ?, ?, ?, ?, NULL, ?)""";
    private static final String ROW_PG = "(nextval('bench_raw_position'), ?, ?, ?, ?, ?::jsonb, NULL, ?)";
    private static final String INSERT_PG =
            "INSERT INTO annals_events (position, stream_id, version, event_id, type, data, metadata, recorded_at) VALUES "
                    + ROW_PG;

    /** W3 on PostgreSQL: appends serialised by a lock held to commit, positions from a sequence. */
    private static final String SERIAL_PG = """
            WITH lock AS (SELECT pg_advisory_xact_lock(4242)),
                 cur AS (SELECT COALESCE(MAX(version), 0) AS v FROM annals_events, lock WHERE stream_id = ?)
            INSERT INTO annals_events (position, stream_id, version, event_id, type, data, metadata, recorded_at)
            SELECT nextval('bench_serial_position'), ?, cur.v + 1, ?, ?, ?::jsonb, NULL, now()
            FROM cur WHERE cur.v = ?""";

    final Target target;
    final Connection c;
    private final boolean pg;
    private PreparedStatement insert;
    private PreparedStatement insertMany;
    private int insertManyRows;
    private PreparedStatement serial;
    private PreparedStatement maxVersion;
    private PreparedStatement readStream;
    private PreparedStatement readAll;
    private Statement plain;

    Raw(Target target) throws SQLException {
        this.target = target;
        this.c = target.raw();
        this.pg = !target.sqlite();
    }

    /** One event in one auto-committed INSERT; the caller supplies the version. */
    void insert(String stream, long version, String json) throws SQLException {
        if (insert == null) {
            insert = c.prepareStatement(pg ? INSERT_PG : INSERT_SQLITE);
        }
        bindRow(insert, 0, stream, version, json);
        insert.executeUpdate();
    }

    /**
     * {@code n} events in one transaction: on PostgreSQL one multi-row INSERT (one round trip), on
     * SQLite BEGIN, a batch of INSERTs, COMMIT.
     */
    void insertMany(String stream, long fromVersion, int n) throws SQLException {
        if (pg) {
            if (insertMany == null || insertManyRows != n) {
                StringBuilder sql = new StringBuilder(INSERT_PG);
                for (int i = 1; i < n; i++) {
                    sql.append(", ").append(ROW_PG);
                }
                insertMany = c.prepareStatement(sql.toString());
                insertManyRows = n;
            }
            for (int i = 0; i < n; i++) {
                bindRow(insertMany, i * 6, stream, fromVersion + i, Domain.json(stream, fromVersion + i));
            }
            insertMany.executeUpdate();
            return;
        }
        if (insert == null) {
            insert = c.prepareStatement(INSERT_SQLITE);
        }
        if (plain == null) {
            plain = c.createStatement();
        }
        plain.execute("BEGIN");
        try {
            for (int i = 0; i < n; i++) {
                bindRow(insert, 0, stream, fromVersion + i, Domain.json(stream, fromVersion + i));
                insert.addBatch();
            }
            insert.executeBatch();
            plain.execute("COMMIT");
        } catch (SQLException e) {
            plain.execute("ROLLBACK");
            throw e;
        }
    }

    private void bindRow(PreparedStatement ps, int offset, String stream, long version, String json)
            throws SQLException {
        ps.setString(offset + 1, stream);
        ps.setLong(offset + 2, version);
        if (pg) {
            ps.setObject(offset + 3, UUID.randomUUID());
            ps.setString(offset + 4, Domain.TYPE);
            ps.setString(offset + 5, json);
            ps.setObject(offset + 6, OffsetDateTime.now(ZoneOffset.UTC));
        } else {
            ps.setString(offset + 3, UUID.randomUUID().toString());
            ps.setString(offset + 4, Domain.TYPE);
            ps.setString(offset + 5, json);
            ps.setLong(offset + 6, System.currentTimeMillis() * 1000);
        }
    }

    /** W3 (PostgreSQL): a serialised append with its version check; false if the check failed. */
    boolean serialAppend(String stream, long expected, String json) throws SQLException {
        if (serial == null) {
            serial = c.prepareStatement(SERIAL_PG);
        }
        serial.setString(1, stream);
        serial.setString(2, stream);
        serial.setObject(3, UUID.randomUUID());
        serial.setString(4, Domain.TYPE);
        serial.setString(5, json);
        serial.setLong(6, expected);
        return serial.executeUpdate() == 1;
    }

    long maxVersion(String stream) throws SQLException {
        if (maxVersion == null) {
            maxVersion = c.prepareStatement("SELECT COALESCE(MAX(version), 0) FROM annals_events WHERE stream_id = ?");
        }
        maxVersion.setString(1, stream);
        try (ResultSet rs = maxVersion.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    boolean isUniqueViolation(SQLException e) {
        return pg
                ? "23505".equals(e.getSQLState())
                : e.getMessage() != null && e.getMessage().contains("UNIQUE constraint failed");
    }

    /** Reads a stream's rows, every column, as the store's readStream does; returns a checksum. */
    long readStream(String stream, int max) throws SQLException {
        if (readStream == null) {
            readStream = c.prepareStatement("SELECT " + COLUMNS
                    + " FROM annals_events WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?");
        }
        readStream.setString(1, stream);
        readStream.setLong(2, 1);
        readStream.setInt(3, max);
        long sum = 0;
        try (ResultSet rs = readStream.executeQuery()) {
            while (rs.next()) {
                sum += consume(rs);
            }
        }
        return sum;
    }

    /**
     * One page of the log after {@code after}, every column; counts the rows at or below
     * {@code countUpTo}; returns the last position (or -1 when the page is empty).
     */
    long readAllPage(long after, int max, long[] count, long countUpTo) throws SQLException {
        if (readAll == null) {
            readAll = c.prepareStatement(
                    "SELECT " + COLUMNS + " FROM annals_events WHERE position > ? ORDER BY position LIMIT ?");
        }
        readAll.setLong(1, after);
        readAll.setInt(2, max);
        readAll.setFetchSize(max);
        long last = -1;
        try (ResultSet rs = readAll.executeQuery()) {
            while (rs.next()) {
                consume(rs);
                last = rs.getLong(3);
                if (last <= countUpTo) {
                    count[0]++;
                }
            }
        }
        return last;
    }

    /** Reads every column of the current row as JDBC gives it, without building anything. */
    long consume(ResultSet rs) throws SQLException {
        long sum = rs.getString(1).length() + rs.getLong(2) + rs.getLong(3);
        sum += pg ? rs.getObject(4).hashCode() : rs.getString(4).length();
        sum += rs.getString(5).length() + rs.getString(6).length();
        String meta = rs.getString(7);
        sum += meta == null ? 0 : meta.length();
        sum += pg ? rs.getTimestamp(8).getNanos() : rs.getLong(8);
        return sum;
    }

    @Override
    public void close() throws SQLException {
        c.close();
    }
}
