package io.annals.eventstore.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.InterruptedWaitException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
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

    /** sqlite-jdbc's open flags (sqlite3_open_v2): read-only; read-write without create. */
    private static final String OPEN_READ_ONLY = "1";

    private static final String OPEN_READ_WRITE = "2";

    /** The message of the trigger that refuses the id of a removed event (V4__stream_deletion.sql). */
    private static final String REMOVED_ID = "annals: the id of a removed event";

    /** One lock per database file in this JVM, shared by every store opened on it. */
    private static final Map<String, WriteTurn> WRITE_LOCKS = new ConcurrentHashMap<>();

    /**
     * Physical connections already configured, with their prepared statements. sqlite-jdbc has
     * no statement cache and preparing costs about as much as running these small statements, so
     * statements are kept prepared on the physical connection (out of the pool proxy's reach,
     * which would close them at each return). Entries of closed connections are swept when a new
     * connection is configured.
     */
    private final Map<SQLiteConnection, Map<String, PreparedStatement>> configured = new HashMap<>();

    private volatile WriteTurn writeLock = new WriteTurn();
    private volatile String databaseFile = "";
    /** Appends waiting for the turn, with group commit on; set at start-up. */
    private volatile @Nullable TurnGroups groups;

    SqliteDialect(StoreSettings settings, TableNames tables) {
        super("SQLite", Dialects.SQLITE.folder(), settings, tables, Map.of());
        if (tables.schema() != null) {
            throw new IllegalArgumentException("schema(...) is a PostgreSQL option; a SQLite "
                    + "database is one file (use tablePrefix(...) to keep stores apart)");
        }
    }

    /**
     * The file of a {@code jdbc:sqlite:} URL, checked before anything connects: SQLite would
     * create a missing file, and a typo in a path would silently start an empty store.
     *
     * @throws IllegalArgumentException for an in-memory database, a directory that does not
     *     exist, or (unless migrating) a file that does not exist
     */
    @Override
    void checkUrl(String jdbcUrl, OpenMode mode) {
        String path = jdbcUrl.substring(Dialects.SQLITE.urlPrefix().length());
        if (path.startsWith("file:")) {
            path = path.substring("file:".length());
        }
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        if (path.isEmpty()
                || path.toLowerCase(Locale.ROOT).contains(":memory:")
                || jdbcUrl.toLowerCase(Locale.ROOT).contains("mode=memory")) {
            throw new IllegalArgumentException("'" + Redact.url(jdbcUrl) + "' is an in-memory SQLite "
                    + "database: each pooled connection would see a database of its own; use a "
                    + "file, or InMemoryEventStore for tests");
        }
        Path file = Path.of(path).toAbsolutePath();
        Path directory = file.getParent();
        if (directory != null && !Files.isDirectory(directory)) {
            throw new IllegalArgumentException(
                    "the directory " + directory + " of the SQLite " + "database " + path + " does not exist");
        }
        if (mode != OpenMode.MIGRATE && !Files.isRegularFile(file)) {
            throw new IllegalArgumentException(
                    "there is no SQLite database at " + file + " (in " + mode + " mode the store never creates one)");
        }
    }

    @Override
    void configurePool(HikariConfig config, OpenMode mode) {
        // Without SQLITE_OPEN_CREATE, a file that vanished between the check and the first
        // connection is an error rather than a new empty database.
        if (mode == OpenMode.READ_ONLY) {
            config.addDataSourceProperty("open_mode", OPEN_READ_ONLY);
            config.setReadOnly(true); // the pool sets the flag on each connection; it must agree
        } else if (mode == OpenMode.VALIDATE) {
            config.addDataSourceProperty("open_mode", OPEN_READ_WRITE);
        }
    }

    @Override
    void startUp(DataSource dataSource, OpenMode mode) {
        try (Connection c = open(dataSource);
                Statement st = c.createStatement()) {
            String file = null;
            try (ResultSet rs = st.executeQuery("PRAGMA database_list")) {
                while (rs.next()) {
                    if ("main".equals(rs.getString("name"))) {
                        file = rs.getString("file");
                    }
                }
            }
            if (file == null || file.isEmpty()) {
                throw new StoreConfigurationException("the SQLite database is in memory or "
                        + "temporary: each pooled connection would see a database of its own; use "
                        + "a file (or InMemoryEventStore for tests)");
            }
            databaseFile = canonical(file);
            writeLock = WRITE_LOCKS.computeIfAbsent(databaseFile, k -> new WriteTurn());
            if (settings().groupCommit()) {
                groups = new TurnGroups(
                        new TurnGroups.Limits(settings().busyTimeout().toNanos(), databaseFile));
            }
            String journal = queryString(st, "PRAGMA journal_mode");
            if (!"wal".equalsIgnoreCase(journal) && mode != OpenMode.READ_ONLY) {
                journal = queryString(st, "PRAGMA journal_mode = WAL");
                if (!"wal".equalsIgnoreCase(journal)) {
                    throw new StoreConfigurationException(
                            "SQLite did not switch " + file + " to journal_mode=WAL (it reads back '" + journal + "')");
                }
            }
        } catch (SQLException e) {
            throw failure("cannot set up the SQLite database", e);
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
    Connection open(DataSource dataSource) throws SQLException {
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

    private @Nullable Map<String, PreparedStatement> statements(SQLiteConnection physical) {
        synchronized (configured) {
            return configured.get(physical);
        }
    }

    /**
     * Statements run on statements kept prepared: compiling one cost a fifth of a stream read. A
     * statement is taken out of the connection's cache while it runs, so that two threads handed
     * the same connection at once (a single-connection DataSource) never share one; the second
     * prepares its own.
     */
    @Override
    <T> T withStatement(Connection c, String sql, StatementWork<T> work) throws SQLException {
        SQLiteConnection physical = c.unwrap(SQLiteConnection.class);
        Map<String, PreparedStatement> statements = statements(physical);
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
            // No clearParameters(): every use binds every parameter, and clearing them made the
            // next run of the statement a third slower (a single-event append: 42 against 60 us).
            T result = work.run(ps);
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

    private void execute(Connection c, String sql) throws SQLException {
        withStatement(c, sql, PreparedStatement::execute);
    }

    private void configure(Connection c) throws SQLException {
        int synchronous = settings().durability() == Durability.FULL ? 2 : 1;
        long busyMillis = settings().busyTimeout().toMillis();
        if (!c.getAutoCommit()) {
            // Write transactions are begun by hand (see the class comment); a connection handed out
            // in manual-commit mode would hold the write lock between transactions.
            throw new StoreConfigurationException("the SQLite DataSource hands out connections "
                    + "with auto-commit off; Annals needs auto-commit on (it issues BEGIN "
                    + "IMMEDIATE itself)");
        }
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA synchronous = " + synchronous);
            st.execute("PRAGMA busy_timeout = " + busyMillis);
            // what a deletion removes is overwritten in the file, not left in free pages
            st.execute("PRAGMA secure_delete = ON");
            long readSynchronous = queryLong(st, "PRAGMA synchronous");
            long readBusy = queryLong(st, "PRAGMA busy_timeout");
            if (queryLong(st, "PRAGMA secure_delete") != 1) {
                throw new StoreConfigurationException("SQLite did not take secure_delete=ON: deleted "
                        + "streams would linger in the file's free pages");
            }
            if (readSynchronous != synchronous || readBusy != busyMillis) {
                throw new StoreConfigurationException("SQLite did not take the store's PRAGMAs: "
                        + "asked for synchronous=" + synchronous + " and busy_timeout=" + busyMillis
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

    private static @Nullable String queryString(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /**
     * This process's turn to write, within the busy timeout: together with SQLite's own wait for
     * writers of other processes (the same timeout), an append waits at most twice the busy
     * timeout however many appenders queue ahead of it, each of which may meet that wait too.
     *
     * @throws EventStoreException when the turn does not come in time
     * @throws InterruptedWaitException when the thread is interrupted while it waits
     */
    private ReentrantLock takeWriteLock() {
        return takeWriteLock(System.nanoTime() + settings().busyTimeout().toNanos());
    }

    /** {@link #takeWriteLock()}, waiting until {@code deadline} ({@link System#nanoTime()}) at most. */
    private ReentrantLock takeWriteLock(long deadline) {
        WriteTurn lock = writeLock;
        if (lock.isHeldByCurrentThread()) {
            // A second transaction of this thread would wait for its own first one.
            throw new IllegalStateException("this thread is writing to " + databaseFile
                    + " already (in a projection batch of another store opened on the same file?): "
                    + "a projection's apply appends through the store whose projectors run it, "
                    + "where its writes join the batch's transaction");
        }
        if (lock.tryLock()) { // free: taken even with the interrupt flag set
            return lock.taken();
        }
        long millis = settings().busyTimeout().toMillis();
        try {
            if (lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return lock.taken();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedWaitException("interrupted while waiting to write to " + databaseFile, e);
        }
        throw new EventStoreException("waited " + millis + " ms (the busy timeout) for this process's turn to "
                + "write to " + databaseFile + ": " + lock.holder() + "; nothing was written");
    }

    /**
     * The fair lock that gives this process's writers their turn, and who holds it, for the
     * message of a writer that waited too long.
     */
    private static final class WriteTurn extends ReentrantLock {
        private static final long serialVersionUID = 1L;

        private volatile long since;

        WriteTurn() {
            super(true);
        }

        /** Called by the thread that just took the lock. */
        WriteTurn taken() {
            since = System.nanoTime();
            return this;
        }

        /** Who holds the turn now, and what that may mean. */
        String holder() {
            Thread owner = getOwner();
            if (owner == null) {
                return "the writers ahead took longer (another process may hold the database)";
            }
            long heldMillis = (System.nanoTime() - since) / 1_000_000;
            String name = owner.getName();
            String prefix = "annals-projection-";
            if (name.startsWith(prefix)) {
                return "a batch of projection " + name.substring(prefix.length()) + " has held the turn for "
                        + heldMillis + " ms (a batch writes in one transaction: keep batches short, or "
                        + "raise the busy timeout; if its apply waits for this write, append on the thread "
                        + "that calls apply, where the append joins the batch)";
            }
            return "thread '" + name + "' has held the turn for " + heldMillis + " ms (another process may "
                    + "hold the database too)";
        }
    }

    @Override
    <T> T writeTransaction(DataSource dataSource, SqlWork<T> work) throws SQLException {
        ReentrantLock lock = takeWriteLock();
        try (Connection c = open(dataSource)) {
            execute(c, "BEGIN IMMEDIATE");
            try {
                T result = work.run(c);
                execute(c, "COMMIT");
                return result;
            } catch (Throwable e) {
                rollbackQuietly(c, e);
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * With group commit on, appends line up behind the one that waits for or holds the turn, and
     * the first in line writes those behind it in its transaction ({@link TurnGroups}); the turn's
     * wait shares the deadline of the wait in line. A thread that holds the turn already (a
     * projection batch of another store on the same file) goes the ordinary way, which refuses it
     * at once.
     */
    @Override
    <T> T appendTurn(DataSource dataSource, boolean transaction, SqlWork<T> work) throws SQLException {
        TurnGroups line = groups;
        if (line == null || writeLock.isHeldByCurrentThread()) {
            return super.appendTurn(dataSource, transaction, work);
        }
        return line.write(
                new TurnGroups.Turn() {
                    @Override
                    public <R> R run(long deadline, SqlWork<R> w) throws SQLException {
                        ReentrantLock lock = takeWriteLock(deadline);
                        try (Connection c = open(dataSource)) {
                            return w.run(c);
                        } finally {
                            lock.unlock();
                        }
                    }

                    @Override
                    public void execute(Connection c, String sql) throws SQLException {
                        SqliteDialect.this.execute(c, sql);
                    }

                    @Override
                    public String holder() {
                        return writeLock.holder();
                    }
                },
                transaction,
                work,
                () -> super.appendTurn(dataSource, transaction, work));
    }

    /**
     * A single-statement write still takes the JVM's write lock: it keeps the wait fair. A writer
     * of another process that commits between the statement's read and its write makes it fail
     * with SQLITE_BUSY_SNAPSHOT before anything is written ({@link #isRetryableConflict}).
     */
    @Override
    <T> T writerTurn(DataSource dataSource, SqlWork<T> work) throws SQLException {
        ReentrantLock lock = takeWriteLock();
        try (Connection c = open(dataSource)) {
            return work.run(c);
        } finally {
            lock.unlock();
        }
    }

    private void rollbackQuietly(Connection c, Throwable cause) {
        try {
            execute(c, "ROLLBACK");
        } catch (SQLException e) {
            // "cannot rollback - no transaction is active" when SQLite already rolled back itself
            cause.addSuppressed(e);
        }
    }

    @Override
    boolean tableExists(Connection c, String placeholder) throws SQLException {
        return withStatement(c, sql("table-exists"), ps -> {
            ps.setString(1, tables().unqualified(placeholder));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) > 0;
            }
        });
    }

    @Override
    boolean isUniqueViolation(SQLException e) {
        // SQLITE_CONSTRAINT_UNIQUE (2067): a UNIQUE index, here (stream_id, version) or event_id.
        // SQLITE_CONSTRAINT_PRIMARYKEY (1555): the position, which only a bug could repeat.
        // SQLITE_CONSTRAINT_TRIGGER (1811): the id of a removed event (V4__stream_deletion.sql).
        return e instanceof SQLiteException s
                && (s.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE
                        || s.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY
                        || (s.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_TRIGGER
                                && String.valueOf(s.getMessage()).contains(REMOVED_ID)));
    }

    @Override
    boolean isRetryableConflict(SQLException e) {
        // SQLITE_BUSY_SNAPSHOT (517): another process committed after this statement's read began.
        return e instanceof SQLiteException s && s.getResultCode() == SQLiteErrorCode.SQLITE_BUSY_SNAPSHOT;
    }

    @Override
    boolean isReadOnlyRefusal(SQLException e) {
        // SQLITE_READONLY (8) and its extended codes: a read-only connection or file.
        return e instanceof SQLiteException s && (s.getResultCode().code & 0xFF) == 8;
    }

    /**
     * A row at a time, in a JDBC batch: a statement runs in the process, so a row costs no round
     * trip, while two lists bound as JSON cost writing each value into a JSON array and SQLite
     * parsing it back (a keyed catch-up spent about an eighth of its time in writing the arrays
     * alone).
     */
    @Override
    boolean upsertsRowsOneByOne() {
        return true;
    }

    @Override
    void bindList(PreparedStatement ps, int index, List<? extends @Nullable String> values) throws SQLException {
        ps.setString(index, Json.array(values));
    }

    @Override
    void bindIds(PreparedStatement ps, int index, List<UUID> ids) throws SQLException {
        ps.setString(index, Json.array(ids));
    }

    /**
     * A lease held in this JVM. Runners in other processes on the same file are not excluded by
     * it; the checkpoint's compare-and-set still keeps them from applying a batch twice.
     */
    @Override
    Leases leases(DataSource dataSource, @Nullable HikariDataSource ownedPool) {
        return new InProcessLeases(databaseFile + "\u0000" + tables().prefix());
    }
}
