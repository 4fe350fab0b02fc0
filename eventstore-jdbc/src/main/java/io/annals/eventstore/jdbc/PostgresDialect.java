package io.annals.eventstore.jdbc;

import static java.time.temporal.ChronoUnit.MICROS;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.Query;
import io.annals.eventstore.ReadHorizon;
import io.annals.eventstore.StreamAppend;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
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
 * {@code position = (xid + xid_offset) * 2^INDEX_BITS + index in the append}. Ordering by a
 * sequence while filtering by {@code xmin} would still skip (a later transaction can take a
 * smaller sequence number); deriving the position from the transaction id makes "below xmin" a
 * range of positions, so the reader's checkpoint stays one {@code long}, {@code readAll} is one
 * index range scan, and appends from any number of connections run in parallel. The horizon
 * counts only the transactions that hold the events table's write lock ({@code read-horizon} in
 * the statements says why that cannot skip), so a foreign transaction does not hold readers back;
 * an append in flight does, while it runs. Positions are sparse. docs/storage.md has the
 * measurements.
 *
 * <h2>Appends in a projection batch</h2>
 *
 * A projection whose {@code apply} appends joins the batch's transaction (see
 * {@link BatchTransaction}). That transaction moves its checkpoint, and so has a transaction id,
 * before it appends: it takes the events table's lock first ({@link #lockForAppends}), so that a
 * reader counts it from the moment it has an id. Its appends number their events after the ones
 * it appended already ({@code index-in-transaction}), and each one runs under a savepoint.
 *
 * <h2>One round trip per append</h2>
 *
 * The version check and the insert are one auto-committed statement ({@code append-one} and
 * {@code append-many} in {@code db/postgresql/statements.sql}). Two writers that pass the check at
 * once collide on the unique {@code (stream_id, version)} index: the second waits for the first to
 * commit, then fails with 23505, which becomes a {@code WrongExpectedVersionException} (or, for
 * {@code any()}, a retry). So is an append to one stream with tags and no condition ({@code
 * append-tagged}): it takes its tags' keys shared in the statement, as its types'. An append
 * across streams, or with a condition, is one round trip too: its locks and {@code
 * append-checked}, sent together, run as one transaction whose statements each take their own
 * snapshot ({@code generic-plan} says why that is enough).
 */
final class PostgresDialect extends Dialect {

    private static final System.Logger LOG = System.getLogger(PostgresDialect.class.getName());

    /**
     * What {@code append-checked} holds in place of a condition's first-match query when it has
     * none: a query that matches nothing.
     */
    static final String NO_CONDITION = "SELECT NULL::bigint AS position WHERE false";

    /** Bits of a position that hold the event's index in its append. */
    static final int INDEX_BITS = 20;
    /** The most events one append can hold. */
    static final int MAX_EVENTS_PER_APPEND = (1 << INDEX_BITS) - 1;

    private final Set<PGConnection> configured =
            Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    /** The schema of the store's tables; resolved when the store opens if none is configured. */
    private volatile String schemaName;
    /** The holders a warning was logged for (a few: one per long append). */
    private final Set<Long> warned = new HashSet<>();
    /** The statements with the appends' {@code index_base} of a projection batch. */
    private final SqlText inBatch;
    /**
     * What {@link #checkedAppendLocks} returns: one string for the store's life, so that the
     * driver finds the round trip's statement in its cache by a hash it computed once.
     */
    private final String checkedLocks;
    /**
     * What {@link #horizonThen} made of each statement of rows, and {@link #afterLocks} of each
     * statement after the locks: the same string for the same statement (a few: one per shape of
     * query), so that the driver finds it in its cache by a hash computed once, rather than
     * hashing a new string of kilobytes at every read or append.
     */
    private final Map<String, String> withHorizon = new ConcurrentHashMap<>();

    private final Map<String, String> withLocks = new ConcurrentHashMap<>();
    /** How many texts each of those keeps; past it, the texts are built at every call. */
    private static final int MAX_KEPT_TEXTS = 128;

    PostgresDialect(StoreSettings settings, TableNames tables) {
        super(
                "PostgreSQL",
                Dialects.POSTGRESQL.folder(),
                settings,
                tables,
                Map.of(
                        "index_bits",
                        String.valueOf(INDEX_BITS),
                        "index_scale",
                        String.valueOf(1L << INDEX_BITS),
                        "index_base",
                        "0",
                        "condition_match",
                        NO_CONDITION));
        if (settings.limits().maxEventsPerAppend() > MAX_EVENTS_PER_APPEND) {
            throw new IllegalArgumentException("maxEventsPerAppend is at most "
                    + MAX_EVENTS_PER_APPEND + " on PostgreSQL (the index of an event in its append "
                    + "is part of its position), was " + settings.limits().maxEventsPerAppend());
        }
        this.schemaName = tables.schema() == null ? "" : tables.schema();
        Map<String, String> inBatch = new HashMap<>(placeholders());
        inBatch.put("index_base", sql("index-in-transaction"));
        this.inBatch = SqlText.load(folder(), inBatch);
        this.checkedLocks =
                sql("checked-append-table-lock") + "\nSELECT " + sql("generic-plan") + ", (" + sql("lock-keys") + ")";
    }

    @Override
    void lockForAppends(Connection c, String projection) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql("lock-events-for-append"));
        }
        // The batch now holds readers back while it runs: name it where the horizon names it.
        try (PreparedStatement ps = c.prepareStatement(sql("name-batch"))) {
            ps.setString(1, "annals projection " + projection);
            ps.execute();
        }
    }

    /** The space of this store's advisory lock keys (see {@link LockKeys}); set at start-up. */
    private volatile int lockSpace;

    @Override
    int bindAppendLocks(PreparedStatement ps, List<EventData> events) throws SQLException {
        ps.setInt(1, lockSpace);
        ps.setArray(2, ps.getConnection().createArrayOf("int4", boxed(LockKeys.sharedOf(events))));
        return 2;
    }

    @Override
    int bindAppendLock(PreparedStatement ps, EventData event) throws SQLException {
        ps.setInt(1, lockSpace);
        ps.setInt(2, LockKeys.type(event.type()));
        return 2;
    }

    @Override
    boolean appendsTaggedInOneStatement() {
        return true;
    }

    @Override
    @Nullable
    String groupAppendSql() {
        return settings().groupCommit() ? sql("append-group") : null;
    }

    @Override
    boolean wideAppend(List<EventData> events) {
        return events.size() > LockKeys.MAX_KEYS && LockKeys.sharedOf(events).length > LockKeys.MAX_KEYS;
    }

    /** The keys as the statements take them: they lock in the array's order, so it must ascend. */
    private static Integer[] boxed(int[] keys) {
        assert LockKeys.ascending(keys) : "lock keys out of order";
        Integer[] out = new Integer[keys.length];
        for (int i = 0; i < keys.length; i++) {
            out[i] = keys[i];
        }
        return out;
    }

    /**
     * Read committed whatever the session's default (each statement sees what committed before
     * it, the condition's check included), the events table's lock before the transaction has an
     * id (as {@link #lockForAppends} says why), then the keys of {@link LockKeys}. A condition
     * that matches every event locks the table against every other append instead.
     */
    @Override
    void lockForConsistentAppend(Connection c, List<StreamAppend> appends, @Nullable Query condition)
            throws SQLException {
        LockKeys.Plan plan = LockKeys.of(appends, condition);
        boolean everything = plan.lockTable();
        BatchTransaction joined = batch();
        String lock = joined != null
                ? (everything ? "lock-events-for-condition" : null)
                : (everything ? "begin-for-condition" : "lock-events-for-append");
        Map<Integer, Boolean> keys = plan.keys();
        Integer[] key = keys.keySet().toArray(Integer[]::new);
        Boolean[] exclusive = keys.values().toArray(Boolean[]::new);
        // the table's lock and the keys' in one round trip: pgjdbc sends the statements together
        String statements = lock == null ? sql("lock-keys") : sql(lock) + ";\n" + sql("lock-keys");
        withStatement(c, statements, ps -> {
            ps.setInt(1, lockSpace);
            ps.setInt(2, lockSpace);
            ps.setArray(3, c.createArrayOf("int4", key));
            ps.setArray(4, c.createArrayOf("bool", exclusive));
            return ps.execute();
        });
    }

    /**
     * Outside a projection batch, unless the condition locks the whole table (whose lock needs a
     * transaction block): {@code lock-keys} after {@code checked-append-table-lock} and with
     * {@code generic-plan}, then {@code append-checked}, sent together.
     */
    @Override
    @Nullable
    String checkedAppendLocks(List<StreamAppend> appends, @Nullable Query condition) {
        if (batch() != null || LockKeys.of(appends, condition).lockTable()) {
            return null;
        }
        return checkedLocks;
    }

    @Override
    int bindCheckedAppendLocks(PreparedStatement ps, List<StreamAppend> appends, @Nullable Query condition)
            throws SQLException {
        Map<Integer, Boolean> keys = LockKeys.of(appends, condition).keys();
        ps.setInt(1, lockSpace);
        ps.setInt(2, lockSpace);
        ps.setArray(3, ps.getConnection().createArrayOf("int4", keys.keySet().toArray(Integer[]::new)));
        ps.setArray(4, ps.getConnection().createArrayOf("bool", keys.values().toArray(Boolean[]::new)));
        return 4;
    }

    @Override
    long indexBase(Connection c) throws SQLException {
        if (batch() == null) {
            return 0;
        }
        return withStatement(c, inBatch.get("current-index-base"), ps -> {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @Override
    long maxEventsPerTransaction() {
        return MAX_EVENTS_PER_APPEND;
    }

    @Override
    String appendInBatchSql(String statement) {
        return inBatch.get(statement);
    }

    @Override
    void configurePool(HikariConfig config, OpenMode mode) {
        // What the store's statements rely on, whatever the server's default: a stricter level
        // turns ordinary append races into serialization failures.
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        // How the store's sessions show in pg_stat_activity, and in the read horizon's holder
        // (an ApplicationName in the URL wins).
        config.addDataSourceProperty("ApplicationName", "annals");
        // A bound on every wait for a lock (an append behind another transaction's append to the
        // same stream, a batch behind a competing runner's checkpoint): without one, an append
        // that a projection's batch waits for, and that waits for the batch, hangs for ever.
        config.setConnectionInitSql("SET lock_timeout = " + lockTimeoutMillis());
        if (tables().schema() != null) {
            // The store's own SQL names its schema; the search_path also sends the application's
            // tables created on the store's DataSource there.
            config.setSchema(tables().schema());
        }
    }

    @Override
    void startUp(DataSource dataSource, OpenMode mode) {
        try (Connection c = open(dataSource);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int, current_schema()")) {
            rs.next();
            int version = rs.getInt(1);
            if (version < 130000) {
                throw new StoreConfigurationException("PostgreSQL " + version / 10000 + " is too "
                        + "old: Annals needs 13 or later (pg_current_xact_id, pg_snapshot_xmin)");
            }
            if (tables().schema() == null) {
                String current = rs.getString(2);
                if (current == null) {
                    throw new StoreConfigurationException("the connection has no current schema: "
                            + "its search_path (currentSchema in the URL) names no schema that "
                            + "exists; create that schema, or give the store schema(...), which "
                            + "creates it");
                }
                schemaName = current;
            }
            lockSpace = LockKeys.space(schemaName, tables().prefix());
        } catch (SQLException e) {
            throw failure("cannot set up the PostgreSQL database", e);
        }
    }

    @Override
    void prepareMigration(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            // A migration of a large table may take long: the others wait for it, unbounded.
            st.execute("SET LOCAL lock_timeout = 0");
        }
        try (PreparedStatement ps = c.prepareStatement(sql("lock-migrations"))) {
            ps.setString(1, "annals.migrations." + schemaName);
            ps.execute();
        }
        if (tables().schema() != null && !schemaExists(c, tables().schema())) {
            // Only when missing: a role that may not create schemas opens a store in the one it
            // was given (CREATE SCHEMA IF NOT EXISTS checks the privilege first).
            try (Statement st = c.createStatement()) {
                st.execute(sql("create-schema"));
            }
        }
    }

    private boolean schemaExists(Connection c, String schema) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql("schema-exists"))) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) > 0;
            }
        }
    }

    /**
     * After a logical restore (pg_dump) into another cluster, transaction ids start lower than
     * the ones that wrote the stored events: raise the offset so that new positions stay above
     * the stored ones and the stored ones count as final. A read-only store cannot: it says so,
     * and its readers wait (they never skip) until a writable store has raised the offset.
     */
    @Override
    void afterMigrations(DataSource dataSource, OpenMode mode) {
        try {
            if (mode == OpenMode.READ_ONLY) {
                try (Connection c = open(dataSource)) {
                    long[] offsets = readOffsets(c);
                    if (offsets[0] >= offsets[2] + offsets[1]) {
                        LOG.log(
                                Level.WARNING,
                                () -> "the events were written by another cluster "
                                        + "(restored from a dump) and the position offset is not raised yet: "
                                        + "readers see nothing new until a store opens this database writable");
                    }
                }
                return;
            }
            inWriteTransaction(dataSource, c -> {
                try (Statement st = c.createStatement()) {
                    st.execute(sql("lock-log"));
                }
                long[] offsets = readOffsets(c);
                if (offsets[0] >= offsets[2] + offsets[1]) {
                    try (PreparedStatement ps = c.prepareStatement(sql("set-log-offset"))) {
                        ps.setLong(1, offsets[0] + 1 - offsets[2]);
                        ps.executeUpdate();
                    }
                }
                return null;
            });
        } catch (SQLException e) {
            throw failure("cannot check the position offset", e);
        }
    }

    /** The highest stored transaction-id part, the offset, and the next transaction id. */
    private long[] readOffsets(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql("read-log-offset"))) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
        }
    }

    @Override
    Connection open(DataSource dataSource) throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            if (!c.getAutoCommit()) {
                // An append is one auto-committed statement: on a connection in manual-commit
                // mode it would be acknowledged, then rolled back when the pool takes it back.
                throw new StoreConfigurationException("the PostgreSQL DataSource hands out "
                        + "connections with auto-commit off; Annals needs auto-commit on (it begins "
                        + "its own transactions where it needs them)");
            }
            if (c.unwrap(BaseConnection.class).getTransactionState() != TransactionState.IDLE) {
                // Other code ran BEGIN on this pooled connection and never ended it: an append
                // would be acknowledged, then committed or rolled back with that transaction.
                throw new StoreConfigurationException("the DataSource handed out a connection "
                        + "inside a transaction that other code began and never ended; Annals "
                        + "refuses it (an acknowledged append would commit or roll back with that "
                        + "transaction): end transactions before returning connections to the pool");
            }
            if (settings().durability() == Durability.FULL) {
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
    <T> T writeTransaction(DataSource dataSource, SqlWork<T> work) throws SQLException {
        try (Connection c = open(dataSource)) {
            return transaction(c, work);
        }
    }

    /** {@code work} in a transaction on {@code c}: committed when it returns, rolled back when it throws. */
    private static <T> T transaction(Connection c, SqlWork<T> work) throws SQLException {
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

    @Override
    boolean readsCommitted(Connection c) throws SQLException {
        return withStatement(c, sql("reads-committed"), ps -> {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        });
    }

    @Override
    <T> T inReadCommitted(Connection c, SqlWork<T> work) throws SQLException {
        return transaction(c, t -> {
            try (Statement st = t.createStatement()) {
                st.execute(sql("read-committed"));
            }
            return work.run(t);
        });
    }

    /** Back to auto-commit; on a broken connection, the original error is the one to report. */
    private static void restoreAutoCommit(Connection c) {
        try {
            c.setAutoCommit(true);
        } catch (SQLException e) {
            // the connection is broken; the pool discards it
        }
    }

    /**
     * See {@code read-horizon} in {@code db/postgresql/statements.sql} for why it cannot skip.
     * Logs a warning, once per transaction, when an append holds it longer than the store's
     * {@code warnWhenReadersHeldFor}.
     */
    @Override
    long logHorizon(Connection c) throws SQLException {
        return warnedHorizon(c).horizon().position();
    }

    @Override
    boolean readsHorizon() {
        return true;
    }

    @Override
    @Nullable
    ServerSession serverSession(Connection c) {
        try {
            PGConnection physical = c.unwrap(PGConnection.class);
            return new ServerSession(physical, physical.getBackendPID());
        } catch (SQLException e) {
            return null; // a DataSource whose connections do not unwrap: horizons are read every time
        }
    }

    /** The horizon, with a warning logged when an append has held it back too long. */
    private Horizon warnedHorizon(Connection c) throws SQLException {
        return warned(horizon(c));
    }

    /** {@code row}, with a warning logged when an append has held it back too long. */
    private Horizon warned(Horizon row) {
        ReadHorizon horizon = row.horizon();
        Duration age = horizon.age();
        if (age.compareTo(settings().heldWarning()) > 0 && firstWarning(row.xid())) {
            String holder =
                    horizon.heldBy().map(ReadHorizon.Holder::description).orElse("?");
            LOG.log(
                    Level.WARNING,
                    () -> "readers of the log have been held back for " + age.toSeconds() + " s by an append "
                            + "still running: " + holder + "; they wait for it (they never skip it): end that "
                            + "transaction, or find why it stays open");
        }
        return row;
    }

    /** Whether no warning was logged yet for the transaction {@code xid}. */
    private boolean firstWarning(long xid) {
        synchronized (warned) {
            if (warned.size() > 100) {
                warned.clear(); // long appends are rare; at worst one is named twice
            }
            return warned.add(xid);
        }
    }

    @Override
    long[] logHorizonAndEnd(Connection c) throws SQLException {
        Horizon row = warnedHorizon(c);
        return new long[] {row.horizon().position(), row.end()};
    }

    @Override
    ReadHorizon readHorizon(Connection c) throws SQLException {
        return horizon(c).horizon();
    }

    /**
     * The horizon, the transaction id of the append that holds it (0: none, or unknown), and the
     * end of what committed before it was read.
     */
    private record Horizon(ReadHorizon horizon, long xid, long end) {}

    private static final ReadHorizon.Holder UNSEEN = new ReadHorizon.Holder(
            OptionalLong.empty(),
            Optional.empty(),
            "the oldest transaction of the cluster: the store cannot see which transactions append "
                    + "(a hot standby, or sessions of other roles hidden from this one: grant it "
                    + "pg_read_all_stats)");

    @Override
    @Nullable
    String horizonThen(String rows) {
        if (batch() != null) {
            return null;
        }
        return kept(
                withHorizon,
                rows,
                () -> "SELECT h.*, " + sql("horizon-for-rows") + " FROM (" + sql("read-horizon") + ") AS h;\n" + rows);
    }

    /** The same as the dialect's, kept for its statement when the locks are the store's own. */
    @Override
    String afterLocks(String locks, String statement) {
        if (!locks.equals(checkedLocks)) {
            return super.afterLocks(locks, statement);
        }
        return kept(withLocks, statement, () -> super.afterLocks(locks, statement));
    }

    /** The text {@code texts} keeps for {@code key}, built and kept the first time while there is room. */
    private static String kept(Map<String, String> texts, String key, Supplier<String> build) {
        String text = texts.get(key);
        if (text == null) {
            text = build.get();
            if (texts.size() < MAX_KEPT_TEXTS) {
                String raced = texts.putIfAbsent(key, text);
                text = raced == null ? text : raced;
            }
        }
        return text;
    }

    @Override
    String horizonBound() {
        return sql("horizon-bound");
    }

    @Override
    long @Nullable [] horizonAndEnd(ResultSet rs) throws SQLException {
        if (!rs.next()) {
            throw new SQLException("the read horizon's statement returned no row");
        }
        if (!rs.getBoolean(9)) { // after the horizon's 7 columns and the setting's
            return null;
        }
        Horizon row = warned(horizon(rs));
        return new long[] {row.horizon().position(), row.end(), rs.getLong(10)};
    }

    private Horizon horizon(Connection c) throws SQLException {
        return withStatement(c, sql("read-horizon"), ps -> {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return horizon(rs);
            }
        });
    }

    /** The horizon in the row {@code rs} is on, a row of {@code read-horizon}. */
    private static Horizon horizon(ResultSet rs) throws SQLException {
        long position = rs.getLong(1);
        long end = Math.max(position, rs.getLong(7));
        if (rs.getBoolean(2)) {
            return new Horizon(new ReadHorizon(position, Optional.of(UNSEEN)), 0, end);
        }
        long xid = rs.getLong(3);
        if (rs.wasNull()) {
            return new Horizon(new ReadHorizon(position, Optional.empty()), 0, end);
        }
        int pid = rs.getInt(4);
        OptionalLong session = rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(pid);
        long micros = rs.getLong(5);
        Optional<Duration> age = rs.wasNull() ? Optional.empty() : Optional.of(Duration.of(micros, MICROS));
        ReadHorizon.Holder holder = new ReadHorizon.Holder(session, age, rs.getString(6));
        return new Horizon(new ReadHorizon(position, Optional.of(holder)), xid, end);
    }

    @Override
    boolean tableExists(Connection c, String placeholder) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql("table-exists"))) {
            ps.setString(1, tables().schema());
            ps.setString(2, tables().unqualified(placeholder));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) > 0;
            }
        }
    }

    @Override
    boolean isUniqueViolation(SQLException e) {
        // 23505 unique_violation: (stream_id, version) (a concurrent writer took the version) or
        // event_id (the id is stored: a repeat, or an id used twice).
        return "23505".equals(e.getSQLState());
    }

    /** AN001: raised by the events' row trigger (V5__stream_deletion.sql, its function since V12). */
    @Override
    boolean isStreamDeletedRefusal(SQLException e) {
        return "AN001".equals(e.getSQLState());
    }

    @Override
    boolean isVersionCollision(SQLException e) {
        return e instanceof PSQLException p
                && p.getServerErrorMessage() != null
                && (tables().prefix() + "events_stream_version")
                        .equals(p.getServerErrorMessage().getConstraint());
    }

    /**
     * 40001 serialization_failure, 40P01 deadlock_detected: a connection whose default isolation
     * is stricter than read committed (a DataSource of the application) turns append races into
     * these; the statement wrote nothing and runs again, and then meets the version check.
     */
    @Override
    boolean isRetryableConflict(SQLException e) {
        return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
    }

    @Override
    EventStoreException explain(String message, SQLException e) {
        if ("22003".equals(e.getSQLState())) {
            // numeric_value_out_of_range: only the position of append-one/-many can overflow
            return new EventStoreException(
                    message + ": the position of the event would overflow: the "
                            + "server has handed out more than 2^43 transaction ids (with the store's position "
                            + "offset); nothing was written. See docs/storage.md, \"Positions\"",
                    e);
        }
        if ("55P03".equals(e.getSQLState())) {
            // lock_not_available: the pool's lock_timeout
            return new EventStoreException(
                    message + ": waited " + lockTimeoutMillis() + " ms (the busy timeout) for a lock that "
                            + "another transaction holds (an append to the same stream or a projection batch, "
                            + "still running: store.readHorizon() names the oldest append; if a projection's "
                            + "apply waits for this write, it must append on its own thread, where the append "
                            + "joins the batch); nothing was written",
                    e);
        }
        return super.explain(message, e);
    }

    /** The store's pool's {@code lock_timeout}: the busy timeout, and never 0 (no bound). */
    private long lockTimeoutMillis() {
        return Math.max(1, settings().busyTimeout().toMillis());
    }

    @Override
    boolean isReadOnlyRefusal(SQLException e) {
        // 25006 read_only_sql_transaction: a hot standby, or default_transaction_read_only.
        return "25006".equals(e.getSQLState());
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
    Instant time(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    @Override
    void bindList(PreparedStatement ps, int index, List<? extends @Nullable String> values) throws SQLException {
        ps.setArray(index, ps.getConnection().createArrayOf("text", values.toArray()));
    }

    @Override
    void bindIds(PreparedStatement ps, int index, List<UUID> ids) throws SQLException {
        ps.setArray(index, ps.getConnection().createArrayOf("uuid", ids.toArray()));
    }

    @Override
    boolean appendsManyInOneStatement() {
        return true;
    }

    /**
     * A session advisory lock on a connection kept for the lease: PostgreSQL releases it when the
     * session ends, so when a runner's process dies or loses its connection, another takes over.
     */
    @Override
    Leases leases(DataSource dataSource, @Nullable HikariDataSource ownedPool) {
        return new AdvisoryLockLeases(dataSource, this, ownedPool);
    }
}
