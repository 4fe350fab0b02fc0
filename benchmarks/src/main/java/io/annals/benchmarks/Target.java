package io.annals.benchmarks;

import io.annals.eventstore.jdbc.JdbcEventStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * One place a workload runs in: a SQLite file of its own, or a PostgreSQL schema of its own
 * (created here, dropped by {@link #close()}). Annals and the raw-JDBC baseline use the same
 * tables in it: the store creates them when it opens.
 */
final class Target implements AutoCloseable {

    /** The two databases. */
    enum Kind {
        SQLITE("SQLite"),
        POSTGRES("PostgreSQL");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /** Where the baseline's raw INSERTs on PostgreSQL take positions: far above any Annals position. */
    static final long RAW_POSITION_START = 1L << 62;
    /**
     * The position below which the rows are the store's log: on PostgreSQL, below the raw
     * baselines' positions, which the store never reads; on SQLite, every row (the baselines'
     * rows take the table's next positions, and the store reads them as its own).
     */
    long storeLogEnd() {
        return sqlite() ? Long.MAX_VALUE : RAW_POSITION_START;
    }

    /** Where the serialised appends of W3 take positions. */
    static final long SERIAL_POSITION_START = (1L << 62) + (1L << 60);

    final Kind kind;
    final String url;
    /** The position the next bulk-loaded PostgreSQL row takes (see {@link Loader}). */
    long loadPosition = 1;

    final String name;
    private final Path file;
    private final String schema;
    private final String adminUrl;

    private Target(Kind kind, String url, String name, Path file, String schema, String adminUrl) {
        this.kind = kind;
        this.url = url;
        this.name = name;
        this.file = file;
        this.schema = schema;
        this.adminUrl = adminUrl;
    }

    /** A new SQLite file {@code dir/name.db}. */
    static Target sqlite(Path dir, String name) {
        Path f = dir.resolve(name + ".db");
        return new Target(Kind.SQLITE, "jdbc:sqlite:" + f, name, f, null, null);
    }

    /** A new schema {@code annals_bench_NAME_RANDOM} on the server at {@code baseUrl}. */
    static Target postgres(String baseUrl, String name) throws SQLException {
        String schema = Cleanup.SCHEMA_PREFIX + name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "_") + "_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        Cleanup.schemaCreated(baseUrl, schema);
        try (Connection c = DriverManager.getConnection(baseUrl);
                Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        String url = baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        return new Target(Kind.POSTGRES, url, name, null, schema, baseUrl);
    }

    /** The PostgreSQL schema of this target (null on SQLite). */
    String schema() {
        return schema;
    }

    boolean sqlite() {
        return kind == Kind.SQLITE;
    }

    /** The SQLite file of this target (null on PostgreSQL). */
    Path file() {
        return file;
    }

    /** Opens a store on this target (creating its tables on first use) with a pool of {@code poolSize}. */
    JdbcEventStore openStore(int poolSize) {
        return JdbcEventStore.builder(url).maxPoolSize(poolSize).open();
    }

    /** A store on the same database that reports to {@code instrumentation}. */
    JdbcEventStore openStore(int poolSize, io.annals.eventstore.Instrumentation instrumentation) {
        return JdbcEventStore.builder(url)
                .maxPoolSize(poolSize)
                .instrumentation(instrumentation)
                .open();
    }

    /**
     * A connection of the baseline's own, configured as the store configures its connections
     * (SQLite: {@code synchronous=FULL}, the store's default durability, and a busy timeout;
     * PostgreSQL: the server's {@code synchronous_commit}, which the store's default leaves alone).
     * Auto-commit on.
     */
    Connection raw() throws SQLException {
        Connection c = DriverManager.getConnection(url);
        if (sqlite()) {
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA synchronous = FULL");
                st.execute("PRAGMA busy_timeout = 5000");
            }
        }
        return c;
    }

    /** A connection for bulk loading (setup, not measured): no fsync on SQLite, batched rewrites on PostgreSQL. */
    Connection loader() throws SQLException {
        if (sqlite()) {
            Connection c = DriverManager.getConnection(url);
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA synchronous = OFF");
                st.execute("PRAGMA cache_size = -1000000");
                st.execute("PRAGMA busy_timeout = 5000");
            }
            return c;
        }
        return DriverManager.getConnection(url + "&reWriteBatchedInserts=true");
    }

    /** The sequences the PostgreSQL baselines take positions from (no-op on SQLite). */
    void createBaselineSequences() throws SQLException {
        if (sqlite()) {
            return;
        }
        try (Connection c = raw();
                Statement st = c.createStatement()) {
            st.execute("CREATE SEQUENCE IF NOT EXISTS bench_raw_position START " + RAW_POSITION_START);
            st.execute("CREATE SEQUENCE IF NOT EXISTS bench_serial_position START " + SERIAL_POSITION_START);
        }
    }

    /** Planner statistics after a bulk load, as autovacuum would gather them (PostgreSQL only). */
    void analyze() throws SQLException {
        if (sqlite()) {
            return;
        }
        try (Connection c = raw();
                Statement st = c.createStatement()) {
            st.execute("VACUUM (ANALYZE) annals_events");
        }
    }

    /** Bytes on disk of this target. */
    long sizeBytes() {
        try {
            if (sqlite()) {
                long n = 0;
                for (String suffix : new String[] {"", "-wal", "-shm"}) {
                    Path p = Path.of(file + suffix);
                    if (Files.exists(p)) {
                        n += Files.size(p);
                    }
                }
                return n;
            }
            try (Connection c = DriverManager.getConnection(adminUrl);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) "
                            + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                            + "WHERE n.nspname = '" + schema + "' AND c.relkind = 'r'")) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (IOException | SQLException e) {
            return -1;
        }
    }

    /** Drops the schema or deletes the file (and its WAL). */
    @Override
    public void close() {
        if (sqlite()) {
            for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
                try {
                    Files.deleteIfExists(Path.of(file + suffix));
                } catch (IOException e) {
                    System.err.println("could not delete " + file + suffix + ": " + e.getMessage());
                }
            }
        } else {
            Cleanup.dropSchema(adminUrl, schema);
        }
    }

    @Override
    public String toString() {
        return kind.label + " " + (sqlite() ? file.toString() : "schema " + schema);
    }
}
