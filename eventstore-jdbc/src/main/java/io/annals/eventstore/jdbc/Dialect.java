package io.annals.eventstore.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.Query;
import io.annals.eventstore.ReadHorizon;
import io.annals.eventstore.ReadOnlyStoreException;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.internal.WriteScope;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * How one database behaves. The SQL text is not here: it lives in the dialect's folder
 * ({@code db/<name>/statements.sql} and the migrations, see {@link SqlText}). A dialect answers
 * what the text cannot: how connections are set up, how a write transaction starts and how writers
 * take turns, what an error code means, how an id, a time or a list is bound and read, and which
 * kind of lease keeps a projection to one runner. The store's algorithms (appending, checkpoints,
 * read-model rows, snapshots, migrations) are written once, on top of this class.
 *
 * <p>A new database needs one subclass, one SQL folder and one entry in {@link Dialects}; see
 * docs/design-notes.md, "A new dialect".
 */
abstract class Dialect {

    private final String name;
    private final String folder;
    private final StoreSettings settings;
    private final TableNames tables;
    private final Map<String, String> placeholders;
    private final SqlText sql;
    private final ThreadLocal<@Nullable BatchTransaction> batch = new ThreadLocal<>();

    /**
     * @param name a short name for messages, such as "SQLite"
     * @param folder the class-path folder of the dialect's SQL
     * @param extraPlaceholders placeholders of this dialect's SQL beyond the table names
     */
    Dialect(
            String name,
            String folder,
            StoreSettings settings,
            TableNames tables,
            Map<String, String> extraPlaceholders) {
        this.name = name;
        this.folder = folder;
        this.settings = settings;
        this.tables = tables;
        Map<String, String> all = new HashMap<>(tables.placeholders());
        all.put("event_columns", EventColumn.selectList(EventColumn::column));
        all.put("stream_event_columns", EventColumn.streamSelectList());
        all.putAll(extraPlaceholders);
        this.placeholders = Map.copyOf(all);
        this.sql = SqlText.load(folder, placeholders);
    }

    final String name() {
        return name;
    }

    /** The class-path folder of the dialect's SQL. */
    final String folder() {
        return folder;
    }

    /** What fills in the placeholders of the dialect's SQL. */
    final Map<String, String> placeholders() {
        return placeholders;
    }

    final StoreSettings settings() {
        return settings;
    }

    final TableNames tables() {
        return tables;
    }

    /**
     * The statement named {@code statement} in the dialect's {@code statements.sql}.
     *
     * @throws IllegalStateException if there is none
     */
    final String sql(String statement) {
        return sql.get(statement);
    }

    // --- connections and transactions -------------------------------------------------------

    /**
     * Checks a JDBC URL before the store connects to it.
     *
     * @throws IllegalArgumentException if it cannot be opened in {@code mode}, saying why
     */
    void checkUrl(String jdbcUrl, OpenMode mode) {}

    /** Sets options of the pool a store opened on a URL creates, before it connects. */
    void configurePool(HikariConfig config, OpenMode mode) {}

    /**
     * Checks and sets up the database once, when the store opens (before the schema is checked).
     * In {@link OpenMode#READ_ONLY} it writes nothing.
     *
     * @throws StoreConfigurationException if the database cannot serve as a store
     */
    abstract void startUp(DataSource dataSource, OpenMode mode);

    /** Runs once the schema is known to be current; in read-only mode it writes nothing. */
    void afterMigrations(DataSource dataSource, OpenMode mode) {}

    /**
     * A connection for the store's work: inside a projection batch on this thread, the batch's
     * own (see {@link BatchTransaction}), otherwise one from the pool ({@link #open}).
     */
    final Connection connect(DataSource dataSource) throws SQLException {
        BatchTransaction joined = batch.get();
        return joined != null ? joined.connection() : open(dataSource);
    }

    /** A connection from the pool, configured as this dialect needs. */
    abstract Connection open(DataSource dataSource) throws SQLException;

    /**
     * Runs {@code work} in one write transaction, committed when it returns and rolled back when
     * it throws. Inside a projection batch on this thread, it joins the batch's transaction
     * instead, under a savepoint: it then commits with the batch, and rolls back alone when it
     * throws.
     */
    final <T> T inWriteTransaction(DataSource dataSource, SqlWork<T> work) throws SQLException {
        BatchTransaction joined = batch.get();
        if (joined == null) {
            return writeTransaction(dataSource, work);
        }
        return atomically(joined.connection(), work);
    }

    /**
     * Runs {@code work} in one write transaction of its own, committed when it returns and rolled
     * back when it throws. Implementations say why their way of serialising writers is safe.
     */
    abstract <T> T writeTransaction(DataSource dataSource, SqlWork<T> work) throws SQLException;

    /**
     * Runs {@code work}, whose statements auto-commit one by one, in the writers' turn: a database
     * with one writer at a time takes its turn first; others simply connect. Inside a projection
     * batch on this thread its statements join the batch's transaction, and each one that may
     * fail runs under {@link #atomically}.
     */
    final <T> T inWriterTurn(DataSource dataSource, SqlWork<T> work) throws SQLException {
        BatchTransaction joined = batch.get();
        if (joined == null) {
            return writerTurn(dataSource, work);
        }
        return work.run(joined.connection());
    }

    /**
     * Runs the work of an append: inside a projection batch on this thread, on the batch's
     * connection ({@link #atomically} when {@code transaction}, as {@link #inWriteTransaction}
     * would; otherwise as {@link #inWriterTurn}); outside one, through {@link #appendTurn}.
     */
    final <T> T inAppendTurn(DataSource dataSource, boolean transaction, SqlWork<T> work) throws SQLException {
        BatchTransaction joined = batch.get();
        if (joined == null) {
            return appendTurn(dataSource, transaction, work);
        }
        return transaction ? atomically(joined.connection(), work) : work.run(joined.connection());
    }

    /**
     * Runs the work of an append, outside a projection batch, in the writers' turn: as {@link
     * #writeTransaction} when {@code transaction}, otherwise as {@link #writerTurn}. A database
     * with one writer at a time may let appends waiting for the turn share one transaction and
     * one commit ({@link TurnGroups}); the work must then be safe to run again, since a group that
     * fails is rolled back and each of its appends goes again alone.
     */
    <T> T appendTurn(DataSource dataSource, boolean transaction, SqlWork<T> work) throws SQLException {
        return transaction ? writeTransaction(dataSource, work) : writerTurn(dataSource, work);
    }

    /** {@link #inWriterTurn} outside a projection batch. */
    <T> T writerTurn(DataSource dataSource, SqlWork<T> work) throws SQLException {
        try (Connection c = open(dataSource)) {
            return work.run(c);
        }
    }

    /**
     * Runs {@code work} on {@code c} so that its failure undoes only its own statements: on the
     * connection of a projection batch, under a savepoint (PostgreSQL aborts the whole
     * transaction at the first failed statement, and one failed append must not take the others
     * with it); elsewhere each statement commits or fails on its own, and it simply runs.
     */
    final <T> T atomically(Connection c, SqlWork<T> work) throws SQLException {
        BatchTransaction joined = batch.get();
        if (joined == null || !joined.isOn(c)) {
            return work.run(c);
        }
        execute(c, "SAVEPOINT annals_join");
        T result;
        try {
            result = work.run(c);
        } catch (Throwable e) {
            try {
                execute(c, "ROLLBACK TO SAVEPOINT annals_join");
                execute(c, "RELEASE SAVEPOINT annals_join");
            } catch (SQLException r) {
                e.addSuppressed(r);
            }
            throw e;
        }
        execute(c, "RELEASE SAVEPOINT annals_join");
        return result;
    }

    private void execute(Connection c, String sql) throws SQLException {
        withStatement(c, sql, PreparedStatement::execute);
    }

    /**
     * Runs a projection's batch: {@code work} in one write transaction that the store's calls
     * made on this thread while it runs join (see {@link BatchTransaction}). A projection that
     * {@code appends} has {@link #lockForAppends} taken first.
     *
     * @throws IllegalStateException if this thread is inside a batch already
     */
    final <T> T inBatch(DataSource dataSource, String projection, boolean appends, SqlWork<T> work)
            throws SQLException {
        if (batch.get() != null) {
            throw new IllegalStateException(
                    "projection " + projection + " cannot run a batch inside the apply of another projection");
        }
        BatchTransaction[] joined = new BatchTransaction[1];
        try {
            return writeTransaction(dataSource, c -> {
                if (appends) {
                    lockForAppends(c, projection);
                }
                joined[0] = new BatchTransaction(projection, appends, c);
                batch.set(joined[0]);
                boolean before = WriteScope.begin();
                try {
                    return work.run(c);
                } finally {
                    WriteScope.end(before);
                    batch.remove();
                }
            });
        } finally {
            if (joined[0] != null && joined[0].mayAppend()) {
                // The appends that joined the batch are visible now; and, on PostgreSQL, so are
                // the appends that committed while the batch held readers back, whether it
                // appended, appended nothing or rolled back: their wake-ups found them held.
                appendsCommitted.run();
            }
        }
    }

    /** Called after a batch that could append ends; see {@link #onAppendsCommitted}. */
    private volatile Runnable appendsCommitted = () -> {};

    /**
     * What to call after a projection batch that could append ends (it held the store's readers
     * back while it ran): the store's listeners.
     */
    final void onAppendsCommitted(Runnable listener) {
        this.appendsCommitted = Objects.requireNonNull(listener, "listener");
    }

    /** The projection batch running on this thread, if any. */
    final @Nullable BatchTransaction batch() {
        return batch.get();
    }

    /**
     * Called first in the transaction of a projection batch whose {@code apply} may append:
     * whatever makes its appends as safe for readers as those of an append's own transaction.
     */
    void lockForAppends(Connection c, String projection) throws SQLException {}

    /** The most events one transaction can append (a projection batch's appends together). */
    long maxEventsPerTransaction() {
        return Long.MAX_VALUE;
    }

    /**
     * The statement named {@code statement} for an append inside a projection batch, which may
     * follow other appends of the same transaction.
     */
    String appendInBatchSql(String statement) {
        return sql(statement);
    }

    /**
     * Where an append across streams (or with tags, or a condition) can be sent in one round trip
     * whose statements run as one transaction: the statements that take its locks, sent before
     * {@code append-checked}, which reads its expectations and condition in a snapshot taken after
     * them and inserts only when they hold. Null where the append runs in a write transaction of
     * its own ({@link #lockForConsistentAppend}), as it always does inside a projection batch.
     */
    @Nullable
    String checkedAppendLocks(List<StreamAppend> appends, @Nullable Query condition) {
        return null;
    }

    /**
     * {@code locks} ({@link #checkedAppendLocks}), then {@code statement}, to send in one round
     * trip.
     */
    String afterLocks(String locks, String statement) {
        return locks + ";\n" + statement;
    }

    /**
     * Binds the parameters of {@link #checkedAppendLocks}, from the first.
     *
     * @return the number of parameters bound
     */
    int bindCheckedAppendLocks(PreparedStatement ps, List<StreamAppend> appends, @Nullable Query condition)
            throws SQLException {
        throw new UnsupportedOperationException(name() + " takes an append's locks in a transaction");
    }

    /** Work on one prepared statement. */
    interface StatementWork<T> {
        T run(PreparedStatement ps) throws SQLException;
    }

    /**
     * Runs {@code work} on a statement for {@code sql} on {@code c}. The statement is prepared for
     * this call and closed after it, unless the dialect keeps it prepared on the connection.
     * {@code work} closes the result sets it opens.
     */
    <T> T withStatement(Connection c, String sql, StatementWork<T> work) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            return work.run(ps);
        }
    }

    /**
     * The position below which {@code read-all} may return events on {@code c}, read before the
     * rows: no event can still appear below it. A database whose writers commit in position order
     * has no horizon but the end of the log.
     */
    long logHorizon(Connection c) throws SQLException {
        return Long.MAX_VALUE;
    }

    /** Whether {@link #logHorizon} reads the database; where it does not, it is a constant. */
    boolean readsHorizon() {
        return false;
    }

    /** A physical connection and the server process it talks to. */
    record ServerSession(Object connection, int process) {}

    /**
     * The physical connection under {@code c} and its server process, where a horizon read on it
     * may be read below again ({@link ScanHorizons}); null where the dialect has no horizon to
     * remember, or cannot tell.
     */
    @Nullable
    ServerSession serverSession(Connection c) {
        return null;
    }

    /**
     * {@link #logHorizon}, and the position below which every event committed before this call
     * lies (at or above the horizon), read together. Where writers commit in position order, both
     * are the end of the log.
     */
    long[] logHorizonAndEnd(Connection c) throws SQLException {
        return new long[] {logHorizon(c), Long.MAX_VALUE};
    }

    /**
     * Where the horizon and the rows below it can be read in one round trip: the statements that
     * read {@link #logHorizonAndEnd}, then {@code rows}, whose bound is {@link #horizonBound}.
     * Null where a read takes them one after the other, and inside a projection batch.
     */
    @Nullable
    String horizonThen(String rows) {
        return null;
    }

    /**
     * The SQL expression of the horizon in the rows' statement of {@link #horizonThen}; null where
     * a read takes the horizon and the rows one after the other.
     */
    @Nullable
    String horizonBound() {
        return null;
    }

    /**
     * The horizon, the end and the log's last position (as {@code log-end} reads it, in the
     * horizon's snapshot) the first result of {@link #horizonThen} holds; null when the session
     * runs in a stricter level than read committed, where the rows were read in the horizon's own
     * snapshot and must be read again the other way.
     */
    long @Nullable [] horizonAndEnd(ResultSet rs) throws SQLException {
        throw new UnsupportedOperationException(name + " reads its horizon in a statement of its own");
    }

    /** {@link #logHorizon}, with what holds it there. */
    ReadHorizon readHorizon(Connection c) throws SQLException {
        return ReadHorizon.endOfLog();
    }

    // --- schema migrations ------------------------------------------------------------------

    /** Whether the table named by {@code placeholder} (see {@link TableNames}) exists. */
    abstract boolean tableExists(Connection c, String placeholder) throws SQLException;

    /**
     * Called first in each migration's transaction: keeps other processes out, and creates the
     * configured schema if the database has schemas.
     */
    void prepareMigration(Connection c) throws SQLException {}

    // --- what an error means -----------------------------------------------------------------

    /** Whether {@code e} is a unique-constraint violation. */
    abstract boolean isUniqueViolation(SQLException e);

    /**
     * Whether {@code e} says that a concurrent writer took the version this append wanted (the
     * unique {@code (stream_id, version)}), as opposed to an event id that is stored.
     */
    boolean isVersionCollision(SQLException e) {
        return false;
    }

    /**
     * Whether {@code e} is the database refusing an insert into a stream deleted meanwhile (after
     * the statement read the stream's head), so that the append reads it again and says so.
     */
    boolean isStreamDeletedRefusal(SQLException e) {
        return false;
    }

    /** Whether {@code e} failed a statement before it wrote anything, so that it can run again. */
    boolean isRetryableConflict(SQLException e) {
        return false;
    }

    /** Whether {@code e} is the database refusing to write (read-only file, standby, session). */
    abstract boolean isReadOnlyRefusal(SQLException e);

    /** The exception to throw for {@code e}, with {@code message} saying what failed. */
    final EventStoreException failure(String message, SQLException e) {
        if (isReadOnlyRefusal(e)) {
            return new ReadOnlyStoreException(
                    message + ": the " + name
                            + " database refuses writes (" + e.getMessage() + "); to read from it, open "
                            + "the store with OpenMode.READ_ONLY",
                    e);
        }
        return explain(message, e);
    }

    /** The exception for an error of this database that has no type of its own. */
    EventStoreException explain(String message, SQLException e) {
        return new EventStoreException(message + ": " + e.getMessage(), e);
    }

    // --- values -----------------------------------------------------------------------------

    /** Binds an event id as the schema stores it. */
    void bindEventId(PreparedStatement ps, int index, UUID id) throws SQLException {
        ps.setString(index, id.toString());
    }

    /** An event id read from column {@code column}. */
    UUID eventId(ResultSet rs, int column) throws SQLException {
        return UUID.fromString(rs.getString(column));
    }

    /** A time read from column {@code column} (times are written as microseconds). */
    Instant time(ResultSet rs, int column) throws SQLException {
        return fromMicros(rs.getLong(column));
    }

    /** Binds a list of strings as one parameter (a list parameter of the SQL files). */
    abstract void bindList(PreparedStatement ps, int index, List<? extends @Nullable String> values)
            throws SQLException;

    /** Binds a list of event ids as one parameter. */
    abstract void bindIds(PreparedStatement ps, int index, List<UUID> ids) throws SQLException;

    // --- appends and leases -----------------------------------------------------------------

    /**
     * Whether a batch writes the rows of a keyed read model as one JDBC batch of {@code
     * upsert-row} statements, a row each; otherwise as one {@code upsert-rows} statement with the
     * keys and values bound as two lists.
     */
    boolean upsertsRowsOneByOne() {
        return false;
    }

    /**
     * Whether an append of several events is one statement ({@code append-many}); otherwise it
     * is a write transaction of {@code insert-event}s after a version check.
     */
    boolean appendsManyInOneStatement() {
        return false;
    }

    /**
     * Whether a one-stream append with tags and no condition, outside a projection batch, can be
     * one statement ({@code append-tagged}) when its events take at most {@link
     * LockKeys#MAX_KEYS} keys; otherwise it is written as an append across streams.
     */
    boolean appendsTaggedInOneStatement() {
        return false;
    }

    /**
     * Whether {@code c}'s session runs in read committed, the level the one-statement appends
     * need ({@code append-one}); true where there are no levels to choose.
     */
    boolean readsCommitted(Connection c) throws SQLException {
        return true;
    }

    /**
     * Runs {@code work} on {@code c} in a transaction of its own set to read committed, whatever
     * the session's default: committed when it returns, rolled back when it throws.
     */
    <T> T inReadCommitted(Connection c, SqlWork<T> work) throws SQLException {
        return work.run(c);
    }

    /**
     * The statement that writes a group of one-event appends at once ({@link AppendGroups}), or
     * null where appends are not grouped.
     */
    @Nullable
    String groupAppendSql() {
        return null;
    }

    /**
     * Binds the parameters that {@code append-many}, {@code append-tagged} and {@code append-group}
     * take before their own (the shared locks of the events' types, and of their tags, on
     * PostgreSQL).
     *
     * @return how many it bound
     */
    int bindAppendLocks(PreparedStatement ps, List<EventData> events) throws SQLException {
        return 0;
    }

    /**
     * Binds the parameters that {@code append-one} takes before its own (the shared lock of the
     * event's type, on PostgreSQL).
     *
     * @return how many it bound
     */
    int bindAppendLock(PreparedStatement ps, EventData event) throws SQLException {
        return 0;
    }

    /**
     * Whether a one-stream append is too wide for {@code append-one}, {@code append-many} and
     * {@code append-tagged} (on PostgreSQL, events of more types and tags than it locks in one
     * statement), and goes the way of appends across streams.
     */
    boolean wideAppend(List<EventData> events) {
        return false;
    }

    /**
     * Called first in the write transaction of an append across streams, with tags or with a
     * condition ({@code condition} null when it has none): whatever makes its condition see every
     * concurrent append it could conflict with. A database with one writer at a time needs
     * nothing.
     */
    void lockForConsistentAppend(Connection c, List<StreamAppend> appends, @Nullable Query condition)
            throws SQLException {}

    /**
     * The index after which an append across streams numbers its events in this transaction:
     * past those a projection batch appended already. Only for {@link #appendsManyInOneStatement}.
     */
    long indexBase(Connection c) throws SQLException {
        return 0;
    }

    /** The kind of lease that keeps a projection to one runner on this database. */
    abstract Leases leases(DataSource dataSource, @Nullable HikariDataSource ownedPool);

    /**
     * Grows (or shrinks back) a pool the store made by {@code delta} connections, for a
     * connection a thread of the store keeps for itself; an application's DataSource is left
     * as it is.
     */
    static void resizeOwnedPool(@Nullable HikariDataSource ownedPool, int delta) {
        if (ownedPool != null) {
            synchronized (ownedPool) {
                ownedPool.setMaximumPoolSize(ownedPool.getMaximumPoolSize() + delta);
            }
        }
    }

    static long toMicros(Instant t) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, t);
    }

    static Instant fromMicros(long micros) {
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }
}
