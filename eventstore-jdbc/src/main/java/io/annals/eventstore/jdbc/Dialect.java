package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.projection.Projector;
import io.annals.eventstore.internal.Idempotency;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Everything that differs between databases: the SQL text, how a write transaction starts, how
 * connections are configured, and what an error code means. One subclass per database; the store
 * itself holds no database-specific SQL.
 */
abstract class Dialect {

    /** The dialect for a JDBC URL, or an error naming the URLs supported. */
    static Dialect forUrl(String jdbcUrl, StoreSettings settings) {
        String url = jdbcUrl.toLowerCase(Locale.ROOT);
        if (url.startsWith("jdbc:sqlite:")) {
            return new SqliteDialect(settings);
        }
        if (url.startsWith("jdbc:postgresql:")) {
            return new PostgresDialect(settings);
        }
        throw new IllegalArgumentException("unsupported JDBC URL '" + jdbcUrl
                + "': Annals supports jdbc:sqlite:FILE and jdbc:postgresql://HOST/DATABASE");
    }

    /** The dialect for the database behind a DataSource. */
    static Dialect forDataSource(DataSource dataSource, StoreSettings settings) {
        String product;
        try (Connection c = dataSource.getConnection()) {
            DatabaseMetaData meta = c.getMetaData();
            product = meta.getDatabaseProductName();
        } catch (SQLException e) {
            throw new EventStoreException("cannot connect to the database to find its kind: "
                    + e.getMessage(), e);
        }
        if ("SQLite".equalsIgnoreCase(product)) {
            return new SqliteDialect(settings);
        }
        if ("PostgreSQL".equalsIgnoreCase(product)) {
            return new PostgresDialect(settings);
        }
        throw new IllegalArgumentException("unsupported database '" + product
                + "': Annals supports SQLite and PostgreSQL");
    }

    /** A short name for messages: "SQLite". */
    abstract String name();

    /** The classpath folder of the migrations, holding an index file {@code migrations}. */
    abstract String migrationsPath();

    /** DDL of the table that records applied migrations, idempotent. */
    abstract String createSchemaVersionTable();

    /** Checks and sets up the database once, when the store opens (before migrations). */
    abstract void startUp(DataSource dataSource);

    /** Called at the start of each migration's transaction, to keep other processes out. */
    void lockMigrations(Connection c) throws SQLException {
    }

    /** Checks run once the schema is up to date. */
    void afterMigrations(DataSource dataSource) {
    }

    /** A connection from the pool, configured as this dialect needs. */
    abstract Connection connect(DataSource dataSource) throws SQLException;

    /**
     * Runs {@code work} in one write transaction, committed when it returns and rolled back when
     * it throws. Implementations say why their way of serialising writers is safe.
     */
    abstract <T> T inWriteTransaction(DataSource dataSource, SqlWork<T> work) throws SQLException;

    /** Whether {@code e} is a unique-constraint violation. */
    abstract boolean isUniqueViolation(SQLException e);

    /**
     * Writes one append: checks the expectation and inserts the events in one transaction.
     *
     * @return the result, or the original result of a repeated append
     * @throws WrongExpectedVersionException if the expectation does not hold; nothing written
     */
    abstract AppendResult append(DataSource dataSource, AppendRequest request) throws SQLException;

    /** Work on one prepared statement. */
    interface StatementWork<T> {
        T run(PreparedStatement ps) throws SQLException;
    }

    /**
     * Runs {@code work} on a statement for {@code sql} on {@code c}. The statement is prepared for
     * this call and closed after it, unless the dialect keeps it prepared on the connection
     * (SQLite). {@code work} closes the result sets it opens.
     */
    <T> T withStatement(Connection c, String sql, StatementWork<T> work) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            return work.run(ps);
        }
    }

    /** The event id in column {@code column} of {@link #readStream()} and {@link #readAll()}. */
    UUID eventId(ResultSet rs, int column) throws SQLException {
        return UUID.fromString(rs.getString(column));
    }

    /** The time in column {@code column} of {@link #readStream()} and {@link #readAll()}. */
    Instant recordedAt(ResultSet rs, int column) throws SQLException {
        return JdbcEventStore.fromMicros(rs.getLong(column));
    }

    // --- what every dialect's append shares ------------------------------------------------

    /** Ids looked up per statement when an append repeats ids (bounded bind variables). */
    private static final int ID_CHUNK = 500;

    long currentVersion(Connection c, String streamId) throws SQLException {
        return withStatement(c, currentVersion(), ps -> {
            ps.setString(1, streamId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    /** Where the ids of {@code events} that are stored already are. */
    Map<UUID, Idempotency.StoredId> findIds(Connection c, List<EventData> events)
            throws SQLException {
        Map<UUID, Idempotency.StoredId> found = new HashMap<>();
        for (int from = 0; from < events.size(); from += ID_CHUNK) {
            List<EventData> chunk = events.subList(from, Math.min(events.size(), from + ID_CHUNK));
            try (PreparedStatement ps = c.prepareStatement(findEventIds(chunk.size()))) {
                for (int i = 0; i < chunk.size(); i++) {
                    bindEventId(ps, i + 1, chunk.get(i).eventId());
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        UUID id = UUID.fromString(rs.getString(1));
                        found.put(id, new Idempotency.StoredId(id, rs.getString(2), rs.getLong(3),
                                rs.getLong(4)));
                    }
                }
            }
        }
        return found;
    }

    /** Binds an event id as the schema stores it. */
    void bindEventId(PreparedStatement ps, int index, UUID id) throws SQLException {
        ps.setString(index, id.toString());
    }

    /**
     * After an append was refused (its expectation failed, or a unique constraint caught it and
     * it was rolled back): the original result if it repeats an earlier append, otherwise the
     * exception that explains the refusal.
     *
     * @param current the stream's version, or -1 to read it
     * @throws WrongExpectedVersionException when no id of the append is stored
     * @throws EventStoreException when some ids are stored but the append is not a repeat
     */
    AppendResult refused(Connection c, AppendRequest request, long current) throws SQLException {
        Optional<AppendResult> repeat = Idempotency.classify(request.streamId(),
                request.expected(), request.events(), findIds(c, request.events()));
        if (repeat.isPresent()) {
            return repeat.get();
        }
        long actual = current >= 0 ? current : currentVersion(c, request.streamId());
        throw new WrongExpectedVersionException(request.streamId(), request.expected(), actual);
    }

    /**
     * Tries to take the lease of a projection.
     *
     * @return the lease; empty when another runner holds it
     */
    abstract Optional<Projector.Lease> tryLease(DataSource dataSource, String projection)
            throws SQLException;

    /** Whether a lease keeps a connection of the pool for as long as it is held. */
    boolean leaseHoldsConnection() {
        return false;
    }

    // --- rows of keyed read models ---------------------------------------------------------

    /** Keys read per statement where each key is a bind variable. */
    private static final int KEY_CHUNK = 500;

    /**
     * The stored values of those of {@code keys} that have a row, by key: one statement per 500
     * keys.
     */
    Map<String, String> readProjectionRows(Connection c, String projection, List<String> keys)
            throws SQLException {
        Map<String, String> found = new HashMap<>();
        for (int from = 0; from < keys.size(); from += KEY_CHUNK) {
            List<String> chunk = keys.subList(from, Math.min(keys.size(), from + KEY_CHUNK));
            try (PreparedStatement ps = c.prepareStatement("SELECT key, value FROM projection_rows "
                    + "WHERE projection = ? AND key IN (" + "?,".repeat(chunk.size() - 1) + "?)")) {
                ps.setString(1, projection);
                for (int i = 0; i < chunk.size(); i++) {
                    ps.setString(i + 2, chunk.get(i));
                }
                collectRows(ps, found);
            }
        }
        return found;
    }

    static void collectRows(PreparedStatement ps, Map<String, String> into) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                into.put(rs.getString(1), rs.getString(2));
            }
        }
    }

    /** Writes the rows of {@code upserts} and deletes those of {@code deletes}, in {@code c}'s transaction. */
    void writeProjectionRows(Connection c, String projection, Map<String, String> upserts,
                             List<String> deletes) throws SQLException {
        if (!upserts.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO projection_rows (projection, key, value) VALUES (?, ?, ?)
                    ON CONFLICT (projection, key) DO UPDATE SET value = excluded.value""")) {
                for (Map.Entry<String, String> row : upserts.entrySet()) {
                    ps.setString(1, projection);
                    ps.setString(2, row.getKey());
                    ps.setString(3, row.getValue());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        if (!deletes.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM projection_rows WHERE projection = ? AND key = ?")) {
                for (String key : deletes) {
                    ps.setString(1, projection);
                    ps.setString(2, key);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
    }

    // --- SQL shared by the dialects unless one overrides it --------------------------------

    /**
     * The stream's version: the last entry of the {@code (stream_id, version)} index. Written as
     * ORDER BY ... LIMIT 1 rather than MAX(): SQLite's min/max optimisation does not apply once
     * the aggregate is wrapped (COALESCE), and it then read every index entry of the stream.
     */
    String currentVersion() {
        return "SELECT version FROM events WHERE stream_id = ? ORDER BY version DESC LIMIT 1";
    }

    String findEventIds(int count) {
        return "SELECT event_id, stream_id, version, position FROM events WHERE event_id IN ("
                + "?,".repeat(count - 1) + "?)";
    }

    String readStream() {
        return """
                SELECT stream_id, version, position, event_id, type, data, metadata, recorded_at
                FROM events WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?""";
    }

    String readAll() {
        return """
                SELECT stream_id, version, position, event_id, type, data, metadata, recorded_at
                FROM events WHERE position > ? ORDER BY position LIMIT ?""";
    }

    String loadSnapshot() {
        return """
                SELECT version, last_event_id, schema_version, state, taken_at
                FROM snapshots WHERE stream_id = ?""";
    }

    /** Inserts or replaces a snapshot unless a newer one is stored. */
    String saveSnapshot() {
        return """
                INSERT INTO snapshots (stream_id, version, last_event_id, schema_version, state, taken_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (stream_id) DO UPDATE SET
                    version = excluded.version, last_event_id = excluded.last_event_id,
                    schema_version = excluded.schema_version, state = excluded.state,
                    taken_at = excluded.taken_at
                WHERE excluded.version >= snapshots.version""";
    }
}
