package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.projection.Projector;
import java.io.File;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * SQLite through sqlite-jdbc.
 *
 * <h2>How writers are serialised</h2>
 *
 * SQLite allows one writer at a time per database file. Three things make sure that concurrent
 * appenders wait their turn instead of failing with "database is locked":
 * <ol>
 *   <li>A <b>fair lock in the JVM</b>, one per database file, taken before a write transaction
 *       borrows its connection. SQLite's own busy wait is unfair: with 8 writer threads some
 *       transactions waited 1.8 s while others went through; the fair lock keeps the wait in
 *       arrival order and keeps waiting writers from holding pool connections that readers need.</li>
 *   <li><b>{@code BEGIN IMMEDIATE}</b>, issued by hand on a connection left in auto-commit mode.
 *       A deferred transaction that reads (the version check) and then writes can fail with
 *       SQLITE_BUSY whatever the busy timeout; an immediate one takes the write lock up front.
 *       Auto-commit stays on because sqlite-jdbc's {@code commit()} immediately begins the next
 *       transaction, which would keep a pooled connection holding the database between appends.</li>
 *   <li>A <b>busy timeout</b> (5 s by default) for writers the JVM lock cannot see: other
 *       processes, or other stores opened on the same file through another path.</li>
 * </ol>
 * Since one write transaction runs at a time, positions are allocated and committed in the same
 * order, so a reader of the global log can never see position p before p-1 commits: there are no
 * gaps to guard against.
 *
 * <h2>PRAGMAs</h2>
 *
 * {@code journal_mode=WAL} is set once (it is stored in the file) so that readers never block the
 * writer. {@code synchronous} and {@code busy_timeout} belong to each connection: they are set on
 * each physical connection the first time the store sees it, then read back, and the store fails
 * with a clear error if they did not take (sqlite-jdbc runs only the first statement of a
 * multi-statement string, so each PRAGMA is a statement of its own). This works the same for the
 * store's own pool and for a DataSource the application passes in.
 */
final class SqliteDialect extends Dialect {

    /** Projection leases per database file and projection, in this JVM. */
    private static final Set<String> LEASES = ConcurrentHashMap.newKeySet();

    /** One lock per database file in this JVM, shared by every store opened on it. */
    private static final Map<String, ReentrantLock> WRITE_LOCKS = new ConcurrentHashMap<>();

    private final StoreSettings settings;
    /**
     * Physical connections already configured, with their prepared statements. sqlite-jdbc has
     * no statement cache and preparing costs about as much as running these small statements, so
     * the write path keeps its statements prepared on the physical connection (out of the pool
     * proxy's reach, which would close them at each return). Entries of closed connections are
     * swept when a new connection is configured.
     */
    private final Map<SQLiteConnection, Map<String, PreparedStatement>> configured = new HashMap<>();
    private volatile ReentrantLock writeLock = new ReentrantLock(true);
    private volatile String databaseFile = "";

    SqliteDialect(StoreSettings settings) {
        this.settings = settings;
    }

    @Override
    String name() {
        return "SQLite";
    }

    @Override
    String migrationsPath() {
        return "db/sqlite";
    }

    @Override
    String createSchemaVersionTable() {
        return """
                CREATE TABLE IF NOT EXISTS annals_schema_version (
                    version     INTEGER PRIMARY KEY,
                    description TEXT    NOT NULL,
                    applied_at  TEXT    NOT NULL
                )""";
    }

    @Override
    void startUp(DataSource dataSource) {
        try (Connection c = connect(dataSource); Statement st = c.createStatement()) {
            String file = null;
            try (ResultSet rs = st.executeQuery("PRAGMA database_list")) {
                while (rs.next()) {
                    if ("main".equals(rs.getString("name"))) {
                        file = rs.getString("file");
                    }
                }
            }
            if (file == null || file.isEmpty()) {
                throw new IllegalArgumentException("the SQLite database is in memory or temporary: "
                        + "each pooled connection would see a database of its own; use a file "
                        + "(or InMemoryEventStore for tests)");
            }
            databaseFile = canonical(file);
            writeLock = WRITE_LOCKS.computeIfAbsent(databaseFile, k -> new ReentrantLock(true));
            String mode = queryString(st, "PRAGMA journal_mode");
            if (!"wal".equalsIgnoreCase(mode)) {
                mode = queryString(st, "PRAGMA journal_mode = WAL");
                if (!"wal".equalsIgnoreCase(mode)) {
                    throw new EventStoreException("SQLite did not switch " + file
                            + " to journal_mode=WAL (it reads back '" + mode + "')");
                }
            }
        } catch (SQLException e) {
            throw new EventStoreException("cannot set up the SQLite database: " + e.getMessage(), e);
        }
    }

    private static String canonical(String file) {
        try {
            return new File(file).getCanonicalPath();
        } catch (IOException e) {
            return new File(file).getAbsolutePath();
        }
    }

    @Override
    Connection connect(DataSource dataSource) throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            SQLiteConnection physical = c.unwrap(SQLiteConnection.class);
            boolean known;
            synchronized (configured) {
                known = configured.containsKey(physical);
            }
            if (!known) {
                configure(c);
                synchronized (configured) {
                    configured.keySet().removeIf(SqliteDialect::isClosed);
                    configured.put(physical, new HashMap<>());
                }
            }
            return c;
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static boolean isClosed(SQLiteConnection c) {
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    /**
     * A statement prepared once per physical connection. Only for the thread holding {@code c};
     * never close it.
     */
    private PreparedStatement cached(Connection c, String sql) throws SQLException {
        SQLiteConnection physical = c.unwrap(SQLiteConnection.class);
        Map<String, PreparedStatement> statements;
        synchronized (configured) {
            statements = configured.get(physical);
        }
        if (statements == null) {
            return c.prepareStatement(sql); // not through connect(): not worth caching
        }
        synchronized (statements) {
            PreparedStatement ps = statements.get(sql);
            if (ps == null || ps.isClosed()) {
                ps = physical.prepareStatement(sql);
                statements.put(sql, ps);
            }
            return ps;
        }
    }

    /**
     * Reads too run on statements kept prepared: compiling one cost a fifth of a stream read. A
     * read takes its statement out of the connection's cache while it runs, so that two threads
     * handed the same connection at once (a single-connection DataSource) never share one
     * statement; the second prepares its own.
     */
    @Override
    <T> T withStatement(Connection c, String sql, StatementWork<T> work) throws SQLException {
        SQLiteConnection physical = c.unwrap(SQLiteConnection.class);
        Map<String, PreparedStatement> statements;
        synchronized (configured) {
            statements = configured.get(physical);
        }
        if (statements == null) {
            return super.withStatement(c, sql, work);
        }
        PreparedStatement ps;
        synchronized (statements) {
            ps = statements.remove(sql);
        }
        if (ps == null || ps.isClosed()) {
            ps = physical.prepareStatement(sql);
        }
        boolean reusable = false;
        try {
            T result = work.run(ps);
            ps.clearParameters();
            reusable = true;
            return result;
        } finally {
            boolean kept = false;
            if (reusable) {
                synchronized (statements) {
                    kept = statements.putIfAbsent(sql, ps) == null;
                }
            }
            if (!kept) {
                ps.close();
            }
        }
    }

    private void configure(Connection c) throws SQLException {
        int synchronous = settings.durability() == Durability.FULL ? 2 : 1;
        long busyMillis = settings.busyTimeout().toMillis();
        if (!c.getAutoCommit()) {
            // Write transactions are begun by hand (see the class comment); a connection handed out
            // in manual-commit mode would hold the write lock between transactions.
            throw new EventStoreException("the SQLite DataSource hands out connections with "
                    + "auto-commit off; Annals needs auto-commit on (it issues BEGIN IMMEDIATE itself)");
        }
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA synchronous = " + synchronous);
            st.execute("PRAGMA busy_timeout = " + busyMillis);
            long readSynchronous = queryLong(st, "PRAGMA synchronous");
            long readBusy = queryLong(st, "PRAGMA busy_timeout");
            if (readSynchronous != synchronous || readBusy != busyMillis) {
                throw new EventStoreException("SQLite did not take the store's PRAGMAs: asked for "
                        + "synchronous=" + synchronous + " and busy_timeout=" + busyMillis
                        + ", it reads back synchronous=" + readSynchronous + " and busy_timeout="
                        + readBusy);
            }
        }
    }

    private static long queryLong(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    private static String queryString(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    @Override
    <T> T inWriteTransaction(DataSource dataSource, SqlWork<T> work) throws SQLException {
        ReentrantLock lock = writeLock;
        lock.lock();
        try (Connection c = connect(dataSource)) {
            cached(c, "BEGIN IMMEDIATE").execute();
            try {
                T result = work.run(c);
                cached(c, "COMMIT").execute();
                return result;
            } catch (Throwable e) {
                rollbackQuietly(c, e);
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    private void rollbackQuietly(Connection c, Throwable cause) {
        try {
            cached(c, "ROLLBACK").execute();
        } catch (SQLException e) {
            // "cannot rollback - no transaction is active" when SQLite already rolled back itself
            cause.addSuppressed(e);
        }
    }

    @Override
    boolean isUniqueViolation(SQLException e) {
        // SQLITE_CONSTRAINT_UNIQUE (2067): a UNIQUE index, here (stream_id, version) or event_id.
        // SQLITE_CONSTRAINT_PRIMARYKEY (1555): the position, which only a bug could repeat.
        return e instanceof SQLiteException s
                && (s.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE
                    || s.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY);
    }

    /**
     * A lease held in this JVM. Runners in other processes on the same file are not excluded by
     * it; the checkpoint's compare-and-set still keeps them from applying a batch twice.
     */
    @Override
    Optional<Projector.Lease> tryLease(DataSource dataSource, String projection) {
        String key = databaseFile + "\u0000" + projection;
        if (!LEASES.add(key)) {
            return Optional.empty();
        }
        return Optional.of(Projector.Lease.untilClosed(() -> LEASES.remove(key)));
    }

    private static final String INSERT_EVENT = """
            INSERT INTO events (stream_id, version, event_id, type, data, metadata, recorded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)""";

    /** Thrown inside a write transaction to roll it back after a unique violation. */
    private static final class DuplicateKey extends SQLException {
        private static final long serialVersionUID = 1L;

        DuplicateKey(SQLException cause) {
            super(cause.getMessage(), cause.getSQLState(), cause.getErrorCode(), cause);
        }
    }

    /** The result of the write transaction, or null when the expectation failed at {@code current}. */
    private record Written(AppendResult result, long current) {
    }

    @Override
    AppendResult append(DataSource dataSource, AppendRequest request) throws SQLException {
        if (request.events().size() == 1) {
            return appendOne(dataSource, request);
        }
        Written written;
        try {
            written = inWriteTransaction(dataSource, c -> write(c, request));
        } catch (DuplicateKey duplicate) {
            // Rolled back. An id collided (a repeat, or an id used elsewhere): find out which.
            try (Connection c = connect(dataSource)) {
                return refused(c, request, -1);
            }
        }
        if (written.result() != null) {
            return written.result();
        }
        try (Connection c = connect(dataSource)) {
            return refused(c, request, written.current());
        }
    }

    /**
     * One event: the version check and the insert are one auto-committed statement, a fifth of
     * the statements of a transaction (BEGIN, check, insert, position, COMMIT). The JVM's write
     * lock still serialises it with the other writers; a writer in another process that commits
     * between the statement's read and its write makes it fail with SQLITE_BUSY_SNAPSHOT before
     * anything is written, and it simply runs again.
     */
    private AppendResult appendOne(DataSource dataSource, AppendRequest request) throws SQLException {
        EventData e = request.events().get(0);
        long current = -1;
        ReentrantLock lock = writeLock;
        lock.lock();
        try (Connection c = connect(dataSource)) {
            for (int attempt = 1; ; attempt++) {
                PreparedStatement ps = cached(c, INSERT_ONE);
                ps.setString(1, request.streamId());
                ps.setString(2, e.eventId().toString());
                ps.setString(3, e.type());
                ps.setString(4, e.json());
                ps.setString(5, request.metadata()[0]);
                ps.setLong(6, request.recordedAtMicros());
                ps.setString(7, request.streamId());
                ps.setLong(8, request.minCurrentVersion());
                ps.setLong(9, request.maxCurrentVersion());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        AppendResult result = new AppendResult(rs.getLong(2), rs.getLong(1));
                        // Step to SQLITE_DONE: SQLite runs its WAL hook (the automatic checkpoint)
                        // only then; a statement reset before it commits without ever
                        // checkpointing, and the WAL grows by every append.
                        rs.next();
                        return result;
                    }
                    break; // the expectation did not hold: nothing was written
                } catch (SQLException failure) {
                    if (failure instanceof SQLiteException se
                            && se.getResultCode() == SQLiteErrorCode.SQLITE_BUSY_SNAPSHOT
                            && attempt < 10) {
                        continue;
                    }
                    if (!isUniqueViolation(failure)) {
                        throw failure;
                    }
                    break; // an id collided: a repeat, or an id used elsewhere
                }
            }
        } finally {
            lock.unlock();
        }
        try (Connection c = connect(dataSource)) {
            return refused(c, request, current);
        }
    }

    private static final String INSERT_ONE = """
            INSERT INTO events (stream_id, version, event_id, type, data, metadata, recorded_at)
            SELECT ?, cur.v + 1, ?, ?, ?, ?, ?
            FROM (SELECT COALESCE((SELECT version FROM events WHERE stream_id = ?
                                   ORDER BY version DESC LIMIT 1), 0) AS v) AS cur
            WHERE cur.v BETWEEN ? AND ?
            RETURNING position, version""";

    private Written write(Connection c, AppendRequest request) throws SQLException {
        long current = currentVersion(c, request.streamId());
        if (!request.expected().isMetBy(current)) {
            return new Written(null, current);
        }
        List<EventData> events = request.events();
        PreparedStatement ps = cached(c, INSERT_EVENT);
        try {
            for (int i = 0; i < events.size(); i++) {
                EventData e = events.get(i);
                ps.setString(1, request.streamId());
                ps.setLong(2, current + i + 1);
                ps.setString(3, e.eventId().toString());
                ps.setString(4, e.type());
                ps.setString(5, e.json());
                ps.setString(6, request.metadata()[i]);
                ps.setLong(7, request.recordedAtMicros());
                if (events.size() == 1) {
                    ps.executeUpdate();
                } else {
                    ps.addBatch();
                }
            }
            if (events.size() > 1) {
                ps.executeBatch();
            }
        } catch (SQLException e) {
            ps.clearBatch();
            if (isUniqueViolation(e)) {
                throw new DuplicateKey(e);
            }
            throw e;
        }
        long position;
        try (ResultSet rs = cached(c, "SELECT last_insert_rowid()").executeQuery()) {
            rs.next();
            position = rs.getLong(1);
        }
        return new Written(new AppendResult(current + events.size(), position), current);
    }
}
