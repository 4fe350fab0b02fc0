package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStoreException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;
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
        throw new IllegalArgumentException("unsupported JDBC URL '" + jdbcUrl
                + "': Annals supports jdbc:sqlite:FILE");
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
        throw new IllegalArgumentException("unsupported database '" + product
                + "': Annals supports SQLite");
    }

    /** A short name for messages: "SQLite". */
    abstract String name();

    /** The classpath folder of the migrations, holding an index file {@code migrations}. */
    abstract String migrationsPath();

    /** DDL of the table that records applied migrations, idempotent. */
    abstract String createSchemaVersionTable();

    /** Checks and sets up the database once, when the store opens (before migrations). */
    abstract void startUp(DataSource dataSource);

    /** A connection from the pool, configured as this dialect needs. */
    abstract Connection connect(DataSource dataSource) throws SQLException;

    /**
     * Runs {@code work} in one write transaction, committed when it returns and rolled back when
     * it throws. Implementations say why their way of serialising writers is safe.
     */
    abstract <T> T inWriteTransaction(DataSource dataSource, SqlWork<T> work) throws SQLException;

    /** Whether {@code e} is a unique-constraint violation. */
    abstract boolean isUniqueViolation(SQLException e);

    // --- SQL shared by the dialects unless one overrides it --------------------------------

    String currentVersion() {
        return "SELECT MAX(version) FROM events WHERE stream_id = ?";
    }

    String insertEvent() {
        return """
                INSERT INTO events (stream_id, version, event_id, type, data, metadata, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)""";
    }

    /** The positions of the last {@code n} events inserted by this connection. */
    abstract String lastPosition();

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
