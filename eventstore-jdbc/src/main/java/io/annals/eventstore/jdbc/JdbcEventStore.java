package io.annals.eventstore.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.CategoryQuery;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Instrumentation;
import io.annals.eventstore.Query;
import io.annals.eventstore.ReadHorizon;
import io.annals.eventstore.ReadOnlyStoreException;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.StreamDeletedException;
import io.annals.eventstore.internal.AppendChecks;
import io.annals.eventstore.internal.AppendListeners;
import io.annals.eventstore.internal.Instrumented;
import io.annals.eventstore.internal.SettledReads;
import io.annals.eventstore.internal.TruncationChecks;
import io.annals.eventstore.privacy.SubjectKeys;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.snapshot.SnapshotStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The {@link EventStore} on a relational database through plain JDBC: SQLite (one file, no
 * server) or PostgreSQL 13+ (many processes, many machines).
 *
 * <pre>{@code
 * try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:events.db")) {
 *     store.append("order-1", ExpectedVersion.noStream(), List.of(EventData.of("Placed", "{}")));
 * }
 * }</pre>
 *
 * <p>Opening a store creates or migrates its schema unless told otherwise ({@link OpenMode}):
 * tables {@code annals_events}, {@code annals_event_tags}, {@code annals_snapshots},
 * {@code annals_pinned_snapshots},
 * {@code annals_projection_checkpoints},
 * {@code annals_projection_rows} and {@code annals_schema_version} (and {@code annals_log} on
 * PostgreSQL), with another prefix if configured. See {@code docs/storage.md} for the schema and
 * the concurrency guarantees, and {@link Builder} for the options.
 *
 * <p>Thread-safe. Errors are unchecked: {@link EventStoreException} with the
 * {@code SQLException} as its cause.
 */
public final class JdbcEventStore implements EventStore {

    private final DataSource dataSource;
    private final @Nullable HikariDataSource ownedPool;
    private final Dialect dialect;
    private final AppendListeners listeners = new AppendListeners();
    private final @Nullable PgNotifications notifications;
    private final @Nullable SqliteChangeWatch changes;
    private final StoreSettings settings;
    private final boolean readOnly;
    private final Appender appender;
    private final Truncator truncator;
    private final JdbcSnapshotStore snapshots;
    private final JdbcSubjectKeys subjectKeys;
    private final JdbcProjectors projectors;
    private final QuerySql queries;
    private final CategorySql categoryQueries;
    private final String readStream;
    private final String readAll;
    private final String countEvents;
    private final String databaseIdentity;
    private final String logEnd;
    /** Offered to the projections' runner, which holds only the store ({@link SettledReads#offer}). */
    private final SettledReads settledReads = this::readSettled;
    /** Where reading the horizon is a statement (PostgreSQL): the horizons of recent full pages. */
    private final @Nullable ScanHorizons scanHorizons;

    private final String readAllRemembered;

    private final String description;
    private final Instrumentation instrumentation;
    /** The store's kind for {@link #instrumentation}: {@code sqlite} or {@code postgresql}. */
    private final String kind;

    private JdbcEventStore(
            DataSource dataSource,
            @Nullable HikariDataSource ownedPool,
            Dialect dialect,
            OpenMode mode,
            String where,
            Instrumentation instrumentation) {
        this.dataSource = dataSource;
        this.instrumentation = instrumentation;
        this.kind = dialect.name().toLowerCase(Locale.ROOT);
        this.ownedPool = ownedPool;
        this.dialect = dialect;
        this.notifications =
                dialect instanceof PostgresDialect && dialect.settings().notifyAppends()
                        ? new PgNotifications(dataSource, ownedPool, this::identity, listeners::fire)
                        : null;
        this.changes = dialect instanceof SqliteDialect
                        && !dialect.settings().changeCheck().isZero()
                ? new SqliteChangeWatch(
                        dataSource, ownedPool, dialect.settings().changeCheck(), listeners::fire)
                : null;
        dialect.onAppendsCommitted(this::committed);
        this.settings = dialect.settings();
        this.readOnly = mode == OpenMode.READ_ONLY;
        this.queries = new QuerySql(dialect);
        this.categoryQueries = new CategorySql(dialect);
        this.appender = new Appender(dialect, queries);
        this.truncator = new Truncator(dialect, appender);
        this.snapshots = new JdbcSnapshotStore(dataSource, dialect, readOnly);
        this.subjectKeys = new JdbcSubjectKeys(dataSource, dialect, readOnly, settings.clock());
        this.projectors = new JdbcProjectors(dataSource, dialect, dialect.leases(dataSource, ownedPool), readOnly);
        this.readStream = dialect.sql("read-stream");
        this.readAll = dialect.sql("read-all");
        this.scanHorizons = dialect.readsHorizon() ? new ScanHorizons() : null;
        this.readAllRemembered = dialect.readsHorizon() ? dialect.sql("read-all-remembered") : "";
        this.countEvents = dialect.sql("count-events");
        this.databaseIdentity = dialect.sql("database-identity");
        this.logEnd = dialect.sql("log-end");
        SettledReads.offer(this, settledReads);
        this.description = dialect.name() + " event store on " + where + ", tables "
                + dialect.tables().table("events").replace("events", "*")
                + (readOnly ? ", read-only" : "");
    }

    /**
     * The database, the tables and the mode, for logs and messages; a password in the URL is
     * shown as {@code ***}.
     */
    @Override
    public String toString() {
        return description;
    }

    /**
     * Opens a store on a JDBC URL with the default options, creating or migrating the schema.
     * The store owns its connection pool and closes it on {@link #close()}.
     *
     * @param jdbcUrl {@code jdbc:sqlite:FILE} or {@code jdbc:postgresql://HOST:PORT/DATABASE}
     * @throws IllegalArgumentException if the URL is of an unsupported database, or names a
     *     SQLite file in a directory that does not exist
     * @throws EventStoreException if the database cannot be opened or set up
     */
    public static JdbcEventStore open(String jdbcUrl) {
        return builder(jdbcUrl).open();
    }

    /**
     * Opens a store on the application's DataSource with the default options, creating or
     * migrating the schema. {@link #close()} leaves the DataSource open.
     *
     * @throws IllegalArgumentException if the database is of an unsupported kind
     * @throws EventStoreException if the database cannot be reached or set up
     */
    public static JdbcEventStore open(DataSource dataSource) {
        return builder(dataSource).open();
    }

    /** A builder for a store on a JDBC URL, to set options before opening it. */
    public static Builder builder(String jdbcUrl) {
        return new Builder(Objects.requireNonNull(jdbcUrl, "jdbcUrl"), null);
    }

    /** A builder for a store on the application's DataSource. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(null, Objects.requireNonNull(dataSource, "dataSource"));
    }

    /**
     * The snapshot store in the same database, for
     * {@link io.annals.eventstore.snapshot.SnapshotSettings}.
     */
    public SnapshotStore snapshots() {
        return snapshots;
    }

    /**
     * The data keys of personal data sealed per data subject, in the same database, for a
     * {@link io.annals.eventstore.privacy.Vault}: {@code Vault.builder(store.subjectKeys(), wrapper)}.
     */
    public SubjectKeys subjectKeys() {
        return subjectKeys;
    }

    /**
     * The DataSource the store uses, for the application's own read-model tables (create them,
     * query them). On SQLite, write through a {@link SqlProjection} rather than on connections of
     * your own: the store serialises its writers, and a writer it does not know about can meet
     * "database is locked".
     */
    public DataSource dataSource() {
        return dataSource;
    }

    /** Makes projectors whose read models and checkpoints live in this store's database. */
    public JdbcProjectors projectors() {
        return projectors;
    }

    /** What appends are reported to, and what handlers and runners built on the store report to. */
    @Override
    public Instrumentation instrumentation() {
        return instrumentation;
    }

    /** {@inheritDoc} One indexed query. */
    @Override
    public OptionalLong lastPosition() {
        try (Connection c = dialect.connect(dataSource)) {
            return OptionalLong.of(logEnd(c));
        } catch (SQLException e) {
            throw dialect.failure("cannot read the last position of the log", e);
        }
    }

    @Override
    public long countEvents() {
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, countEvents, ps -> {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
        } catch (SQLException e) {
            throw dialect.failure("cannot count the events", e);
        }
    }

    /** The limits checked before each append. */
    AppendLimits limits() {
        return settings.limits();
    }

    /**
     * Where this store's events live, whatever the URL or DataSource that reached them: the
     * database (the SQLite file; the PostgreSQL server as this session reached it, and the
     * database), the schema and the table prefix. Two stores with equal identities are one store.
     *
     * @throws EventStoreException if the database cannot be reached
     */
    String identity() {
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, databaseIdentity, ps -> {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    String database = rs.getString(1);
                    if (database == null || database.isEmpty()) {
                        // a SQLite database in memory or a temporary file: only its own pool reaches it
                        database = "in memory of " + dataSource.getClass().getName() + "@"
                                + Integer.toHexString(System.identityHashCode(dataSource));
                    }
                    String configured = dialect.tables().schema();
                    String schema = configured != null ? configured : rs.getString(2);
                    return dialect.name() + " database " + database
                            + (schema == null || schema.isEmpty() ? "" : ", schema " + schema)
                            + ", tables " + dialect.tables().prefix() + "*";
                }
            });
        } catch (SQLException e) {
            throw dialect.failure("cannot tell which database the store is on", e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws ReadOnlyStoreException if the store was opened read-only or the database refuses
     *     writes; nothing is written
     */
    @Override
    public AppendResult append(String streamId, ExpectedVersion expected, List<EventData> events) {
        return Instrumented.append(
                instrumentation, kind, events == null ? 0 : events.size(), () -> appendOne(streamId, expected, events));
    }

    private AppendResult appendOne(String streamId, ExpectedVersion expected, List<EventData> events) {
        AppendChecks.checkAppend(settings.limits(), streamId, expected, events);
        if (readOnly) {
            throw new ReadOnlyStoreException(
                    "cannot append to stream " + streamId + ": the store was opened read-only");
        }
        boolean tagged = events.stream().anyMatch(e -> !e.tags().isEmpty());
        if ((tagged && !taggedInOneStatement(events)) || dialect.wideAppend(events)) {
            return appendAll(List.of(new StreamAppend(streamId, expected, events)), null)
                    .get(0);
        }
        String[] metadata = metadata(events);
        AppendRequest request = new AppendRequest(
                streamId,
                expected,
                events,
                metadata,
                Dialect.toMicros(settings.clock().instant()));
        AppendResult result;
        try {
            result = appender.append(dataSource, request);
        } catch (SQLException e) {
            throw dialect.failure("append to stream " + streamId + " failed", e);
        }
        if (dialect.batch() == null) {
            committed(); // an append that joined a batch is told of when the batch commits
        }
        return result;
    }

    /**
     * Whether a one-stream append with tags is one statement here: where the dialect can, outside
     * a projection batch, and with few enough keys to lock.
     */
    private boolean taggedInOneStatement(List<EventData> events) {
        return dialect.appendsTaggedInOneStatement()
                && dialect.batch() == null
                && LockKeys.sharedOf(events).length <= LockKeys.MAX_KEYS;
    }

    private static String[] metadata(List<EventData> events) {
        String[] metadata = new String[events.size()];
        for (int i = 0; i < metadata.length; i++) {
            metadata[i] = Json.metadata(events.get(i).metadata());
        }
        return metadata;
    }

    /**
     * {@inheritDoc}
     *
     * @throws ReadOnlyStoreException if the store was opened read-only or the database refuses
     *     writes; nothing is written
     */
    @Override
    public List<AppendResult> append(List<StreamAppend> appends) {
        return Instrumented.append(instrumentation, kind, Instrumented.events(appends), () -> {
            AppendChecks.checkAppends(settings.limits(), appends);
            return appendAll(appends, null);
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>On SQLite, appends are serialised and the condition is checked in the append's write
     * transaction. On PostgreSQL, appends lock the hashed keys of their events' types and tags,
     * shared, and an append with a condition locks the keys of its query exclusively first, so
     * that it waits for the appends in flight that could match it and holds back those that
     * start meanwhile; see {@code docs/consistency.md}.
     *
     * @throws ReadOnlyStoreException if the store was opened read-only or the database refuses
     *     writes; nothing is written
     */
    @Override
    public List<AppendResult> append(List<StreamAppend> appends, AppendCondition condition) {
        return Instrumented.append(instrumentation, kind, Instrumented.events(appends), () -> {
            AppendChecks.checkAppends(settings.limits(), appends);
            Objects.requireNonNull(condition, "condition");
            return appendAll(appends, condition);
        });
    }

    private List<AppendResult> appendAll(List<StreamAppend> appends, @Nullable AppendCondition condition) {
        String what = appends.size() == 1
                ? "stream " + appends.get(0).streamId()
                : appends.size() + " streams (" + appends.get(0).streamId() + ", ...)";
        if (readOnly) {
            throw new ReadOnlyStoreException("cannot append to " + what + ": the store was opened read-only");
        }
        List<String[]> metadata =
                appends.stream().map(p -> metadata(p.events())).toList();
        List<AppendResult> results;
        try {
            results = appender.appendAll(
                    dataSource,
                    appends,
                    metadata,
                    Dialect.toMicros(settings.clock().instant()),
                    condition);
        } catch (SQLException e) {
            throw dialect.failure("append to " + what + " failed", e);
        }
        if (dialect.batch() == null) {
            committed();
        }
        return results;
    }

    @Override
    public List<RecordedEvent> read(Query query, long afterPosition, int maxCount) {
        return readPage(query, afterPosition, maxCount, false).events();
    }

    /**
     * {@link SettledReads#readSettled}: on PostgreSQL in the same round trip as the rows, the
     * log's last position read with the horizon, before them.
     */
    SettledReads.SettledPage readSettled(Query query, long afterPosition, int maxCount) {
        return readPage(query, afterPosition, maxCount, true);
    }

    /**
     * A read by query; with {@code settle}, the settled position is read too where it costs a
     * statement of its own (where the horizon is read apart from the rows).
     */
    private SettledReads.SettledPage readPage(Query query, long afterPosition, int maxCount, boolean settle) {
        AppendChecks.checkRead(query, afterPosition, maxCount);
        if (query.matchesAll()) {
            return new SettledReads.SettledPage(readAll(afterPosition, maxCount), afterPosition);
        }
        try (Connection c = dialect.connect(dataSource)) {
            long[] bounds = null;
            List<RecordedEvent> read = null;
            String bound = dialect.horizonBound();
            String oneTrip = bound == null ? null : dialect.horizonThen(queries.readBelow(query, bound));
            if (oneTrip != null) {
                HorizonAndRows both = dialect.withStatement(c, oneTrip, ps -> {
                    queries.bindAbove(ps, query, afterPosition, maxCount);
                    ps.execute();
                    long[] horizonEndLast;
                    try (ResultSet rs = ps.getResultSet()) {
                        horizonEndLast = dialect.horizonAndEnd(rs);
                    }
                    if (!ps.getMoreResults()) {
                        throw new SQLException("a read by query returned no rows' result after its horizon");
                    }
                    try (ResultSet rs = ps.getResultSet()) {
                        return new HorizonAndRows(horizonEndLast, EventColumn.readAll(rs, dialect));
                    }
                });
                if (both.bounds() != null) { // else the session is above read committed: read as below
                    bounds = both.bounds();
                    read = both.rows();
                }
            }
            if (bounds == null) {
                // the last position first: every event up to it that lies below the horizon
                // read next has committed, and is visible to the rows' statement after both
                long last = settle ? logEnd(c) : Long.MAX_VALUE;
                long[] horizonAndEnd = dialect.logHorizonAndEnd(c); // a statement of its own, before the rows'
                bounds = new long[] {horizonAndEnd[0], horizonAndEnd[1], last};
            }
            long horizon = bounds[0];
            long end = bounds[1];
            long last = bounds[2];
            if (read == null) {
                read = readBelow(c, query, afterPosition, horizon, maxCount);
            }
            if (read.size() == maxCount || end <= horizon || dialect.batch() != null) {
                // a full page is final; with no append in flight nothing is above the horizon; in
                // a projection batch that appended, the horizon cannot pass the batch's own
                // transaction before it ends: waiting would not help
                return new SettledReads.SettledPage(read, settled(afterPosition, last, horizon));
            }
            long later = awaitCommittedMatches(c, query, afterPosition, horizon, end);
            return later == horizon
                    ? new SettledReads.SettledPage(read, settled(afterPosition, last, horizon))
                    : new SettledReads.SettledPage(
                            readBelow(c, query, afterPosition, later, maxCount), settled(afterPosition, last, later));
        } catch (SQLException e) {
            throw dialect.failure(
                    "cannot read the events of a query of " + query.items().size() + " items after position "
                            + afterPosition,
                    e);
        }
    }

    /** Where a read below {@code horizon} that began after {@code last} was the log's end is complete. */
    private static long settled(long afterPosition, long last, long horizon) {
        return Math.max(afterPosition, Math.min(last, horizon - 1));
    }

    /** The log's last position ({@code log-end}), on {@code c}. */
    private long logEnd(Connection c) throws SQLException {
        return dialect.withStatement(c, logEnd, ps -> {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /**
     * The events of the categories' streams, through the index on the category and the position:
     * one scan per category, each stopping at {@code maxCount}, below the horizon as {@link
     * #readAll} reads.
     */
    @Override
    public List<RecordedEvent> readCategories(CategoryQuery query, long afterPosition, int maxCount) {
        Objects.requireNonNull(query, "query");
        AppendChecks.checkReadAll(afterPosition, maxCount);
        try (Connection c = dialect.connect(dataSource)) {
            long horizon = dialect.logHorizon(c); // a statement of its own, before the rows'
            return dialect.withStatement(c, categoryQueries.read(query), ps -> {
                categoryQueries.bind(ps, query, afterPosition, horizon, maxCount);
                return EventColumn.readAll(ps, maxCount, dialect);
            });
        } catch (SQLException e) {
            throw dialect.failure(
                    "cannot read the events of categories " + query.categories() + " after position " + afterPosition,
                    e);
        }
    }

    /**
     * What a read by query's one round trip returned: its horizon, end and the log's last position
     * (null: read again), and rows.
     */
    private record HorizonAndRows(long @Nullable [] bounds, List<RecordedEvent> rows) {}

    /** The statement {@link #readCategories} runs for {@code query}, and how it binds it. */
    CategorySql categoryStatements() {
        return categoryQueries;
    }

    private List<RecordedEvent> readBelow(Connection c, Query query, long afterPosition, long before, int maxCount)
            throws SQLException {
        return dialect.withStatement(c, queries.read(query), ps -> {
            queries.bind(ps, query, afterPosition, before, maxCount);
            return EventColumn.readAll(ps, maxCount, dialect);
        });
    }

    /**
     * On PostgreSQL, where appends commit out of position order: when an event matching
     * {@code query} committed before this read but lies above the horizon (an older append is
     * still running), waits, up to the busy timeout, for the appends in flight to end, so that a
     * decision reads what committed before it, its own last append included, and does not fail
     * its condition on an event it could not see. Appends of other streams and tags make the read
     * wait, never skip: the horizon it returns is still one no event can appear below.
     *
     * @return the horizon to read below
     */
    private long awaitCommittedMatches(Connection c, Query query, long afterPosition, long horizon, long end)
            throws SQLException {
        boolean held = dialect.withStatement(c, queries.firstMatch(query), ps -> {
            queries.bind(ps, query, Math.max(afterPosition, horizon - 1), end, 1);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        });
        if (!held) {
            return horizon;
        }
        long began = System.nanoTime();
        long deadline = began + settings.busyTimeout().toNanos();
        long now = horizon;
        for (int round = 1; now < end && System.nanoTime() < deadline; round++) {
            try {
                Thread.sleep(Math.min(round, 10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new io.annals.eventstore.InterruptedWaitException(
                        "interrupted while waiting for appends in flight", e);
            }
            now = dialect.logHorizon(c);
        }
        Instrumented.guarded(instrumentation).horizonWaited(kind, Duration.ofNanos(System.nanoTime() - began));
        return now;
    }

    /**
     * Adds tags to stored events, in one write transaction ({@link TagBackfill}).
     *
     * @param added for each event, the tags it lacks
     */
    void addTags(List<RecordedEvent> events, List<Set<String>> added) {
        if (readOnly) {
            throw new ReadOnlyStoreException("cannot tag stored events: the store was opened read-only");
        }
        String setTags = dialect.sql("set-tags");
        String addTags = dialect.sql("add-tags");
        try {
            dialect.inWriteTransaction(dataSource, c -> {
                for (int i = 0; i < events.size(); i++) {
                    RecordedEvent event = events.get(i);
                    Set<String> all = new java.util.TreeSet<>(event.tags());
                    all.addAll(added.get(i));
                    dialect.withStatement(c, setTags, ps -> {
                        ps.setString(1, Json.tags(all));
                        ps.setLong(2, event.position());
                        return ps.executeUpdate();
                    });
                    List<String> tags = List.copyOf(added.get(i));
                    dialect.withStatement(c, addTags, ps -> {
                        ps.setLong(1, event.position());
                        dialect.bindList(ps, 2, tags);
                        return ps.executeUpdate();
                    });
                }
                return null;
            });
        } catch (SQLException e) {
            throw dialect.failure("cannot tag " + events.size() + " stored events", e);
        }
    }

    /** How many streams were truncated and hold a pinned snapshot (a store copy refuses them). */
    long countTruncatedStreams() {
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, dialect.sql("count-pinned-snapshots"), ps -> {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
        } catch (SQLException e) {
            throw dialect.failure("cannot count the truncated streams", e);
        }
    }

    /** The ids, by version, of the events a deletion of {@code streamId} removed (a store copy). */
    Map<Long, UUID> removedIds(String streamId) {
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, dialect.sql("removed-ids-of-stream"), ps -> {
                ps.setString(1, streamId);
                Map<Long, UUID> ids = new java.util.LinkedHashMap<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.put(rs.getLong(2), dialect.eventId(rs, 1));
                    }
                }
                return ids;
            });
        } catch (SQLException e) {
            throw dialect.failure("cannot read the removed ids of stream " + streamId, e);
        }
    }

    /**
     * Keeps ids reserved as if a deletion of {@code streamId} had removed their events (a store
     * copy, for the ids its source removed).
     */
    void reserveIds(String streamId, Map<Long, UUID> ids, long tombstonePosition) {
        try {
            dialect.inWriteTransaction(
                    dataSource,
                    c -> dialect.withStatement(c, dialect.sql("reserve-id"), ps -> {
                        for (Map.Entry<Long, UUID> id : ids.entrySet()) {
                            dialect.bindEventId(ps, 1, id.getValue());
                            ps.setString(2, streamId);
                            ps.setLong(3, id.getKey());
                            ps.setLong(4, tombstonePosition);
                            ps.addBatch();
                        }
                        return ps.executeBatch();
                    }));
        } catch (SQLException e) {
            throw dialect.failure("cannot keep the removed ids of stream " + streamId + " reserved", e);
        }
    }

    /** Whether this store hears the appends of other processes now (PostgreSQL, once listened to). */
    boolean hearsOtherProcesses() {
        return notifications != null && notifications.listening();
    }

    /** Appends committed: the listeners in this process, and on PostgreSQL the other processes. */
    private void committed() {
        listeners.fire();
        if (notifications != null) {
            notifications.appended();
        }
    }

    /**
     * {@inheritDoc} On SQLite also the writes of other connections to the database, found by a
     * check every {@link Builder#changeCheck} interval from the first listener on. On PostgreSQL also the
     * appends of other store objects and other processes on the same tables, which announce them
     * after commit ({@link Builder#notifyAppends}): from the first listener on, the store keeps
     * one connection of its pool listening.
     */
    @Override
    public Listening onAppend(Runnable listener) {
        Listening listening = listeners.add(listener);
        if (notifications != null) {
            notifications.listen();
        }
        if (changes != null) {
            changes.watch();
        }
        return listening;
    }

    /**
     * {@inheritDoc}
     *
     * @throws ReadOnlyStoreException if the store was opened read-only or the database refuses
     *     writes; nothing is written
     */
    @Override
    public AppendResult deleteStream(String streamId, ExpectedVersion expected) {
        return Instrumented.append(instrumentation, kind, 0, () -> delete(streamId, expected));
    }

    private AppendResult delete(String streamId, ExpectedVersion expected) {
        AppendChecks.checkStreamId(streamId);
        Objects.requireNonNull(expected, "expected");
        if (readOnly) {
            throw new ReadOnlyStoreException("cannot delete stream " + streamId + ": the store was opened read-only");
        }
        AppendResult result;
        try {
            result = appender.deleteStream(
                    dataSource,
                    streamId,
                    expected,
                    Dialect.toMicros(settings.clock().instant()));
        } catch (SQLException e) {
            throw dialect.failure("cannot delete stream " + streamId, e);
        }
        if (dialect.batch() == null) {
            committed();
        }
        return result;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One write transaction that takes the stream's lock exclusively (on PostgreSQL appends to
     * the stream wait for it), removes the events and their tags, keeps their ids reserved, saves
     * the pinned snapshot in the table {@code annals_pinned_snapshots}, and drops the stream's
     * cache snapshot if it ends before the cut (it could never be used again). On SQLite the
     * removed rows are overwritten ({@code secure_delete}), as for a deletion.
     *
     * @throws ReadOnlyStoreException if the store was opened read-only or the database refuses
     *     writes; nothing is written
     */
    @Override
    public long truncateStream(String streamId, long beforeVersion, Snapshot pinned) {
        TruncationChecks.checkArguments(streamId, beforeVersion, pinned);
        if (readOnly) {
            throw new ReadOnlyStoreException("cannot truncate stream " + streamId + ": the store was opened read-only");
        }
        try {
            return truncator.truncate(dataSource, streamId, beforeVersion, pinned);
        } catch (SQLException e) {
            throw dialect.failure("cannot truncate stream " + streamId + " before version " + beforeVersion, e);
        }
    }

    @Override
    public Optional<Snapshot> pinnedSnapshot(String streamId) {
        Objects.requireNonNull(streamId, "streamId");
        if (!AppendChecks.couldBeStreamId(streamId)) {
            return Optional.empty(); // no stream of that id was ever written
        }
        try (Connection c = dialect.connect(dataSource)) {
            return truncator.load(c, streamId);
        } catch (SQLException e) {
            throw dialect.failure("cannot load the pinned snapshot of " + streamId, e);
        }
    }

    @Override
    public List<RecordedEvent> readStream(String streamId, long fromVersion, int maxCount) {
        AppendChecks.checkReadStream(streamId, fromVersion, maxCount);
        if (!AppendChecks.couldBeStreamId(streamId)) {
            return List.of(); // no stream of that id was ever written
        }
        try (Connection c = dialect.connect(dataSource)) {
            List<RecordedEvent> events = dialect.withStatement(c, readStream, ps -> {
                ps.setString(1, streamId);
                ps.setLong(2, fromVersion);
                ps.setInt(3, maxCount);
                return EventColumn.readStream(ps, streamId, maxCount, dialect);
            });
            // a deleted stream holds its tombstone only; past it, its head says so
            boolean deleted;
            if (events.isEmpty()) {
                Appender.Head head = appender.head(c, streamId);
                deleted = head != null && head.deleted();
            } else {
                deleted = STREAM_DELETED.equals(events.get(events.size() - 1).type());
            }
            if (deleted) {
                throw new StreamDeletedException(streamId);
            }
            return events;
        } catch (SQLException e) {
            throw dialect.failure("cannot read stream " + streamId, e);
        }
    }

    @Override
    public List<RecordedEvent> readAll(long afterPosition, int maxCount) {
        AppendChecks.checkReadAll(afterPosition, maxCount);
        try (Connection c = dialect.connect(dataSource)) {
            // Inside a projection batch that appended, the horizon takes in the batch's own
            // events, which no other reader may see yet: such a horizon is never remembered.
            ScanHorizons remembered = dialect.batch() == null ? scanHorizons : null;
            Dialect.ServerSession session = remembered == null ? null : dialect.serverSession(c);
            ScanHorizons.Known known = session == null ? null : remembered.after(session, afterPosition);
            long horizon;
            List<RecordedEvent> page;
            if (known == null) {
                horizon = dialect.logHorizon(c); // a statement of its own, before the rows'
                page = readAllBelow(c, afterPosition, horizon, maxCount);
            } else {
                horizon = known.horizon();
                page = readAllRemembered(c, afterPosition, known, maxCount);
                if (page.size() < maxCount) {
                    // the end of what the remembered horizon covers (or of the server that read
                    // it): events may have settled above it, read on below a fresh one
                    remembered.forget(session, afterPosition);
                    horizon = dialect.logHorizon(c);
                    long from = page.isEmpty()
                            ? afterPosition
                            : page.get(page.size() - 1).position();
                    List<RecordedEvent> more = readAllBelow(c, from, horizon, maxCount - page.size());
                    if (!more.isEmpty()) {
                        List<RecordedEvent> both = new ArrayList<>(page.size() + more.size());
                        both.addAll(page);
                        both.addAll(more);
                        page = both;
                    }
                }
            }
            if (session != null && page.size() == maxCount) {
                remembered.fullPage(session, page.get(page.size() - 1).position(), horizon);
            }
            return page;
        } catch (SQLException e) {
            throw dialect.failure("cannot read the log after position " + afterPosition, e);
        }
    }

    /** {@code read-all-remembered}: below a horizon this connection's server read before. */
    private List<RecordedEvent> readAllRemembered(
            Connection c, long afterPosition, ScanHorizons.Known known, int maxCount) throws SQLException {
        return dialect.withStatement(c, readAllRemembered, ps -> {
            ps.setLong(1, afterPosition);
            ps.setLong(2, known.horizon());
            ps.setInt(3, known.process());
            ps.setInt(4, maxCount);
            return EventColumn.readAll(ps, maxCount, dialect);
        });
    }

    private List<RecordedEvent> readAllBelow(Connection c, long afterPosition, long horizon, int maxCount)
            throws SQLException {
        return dialect.withStatement(c, readAll, ps -> {
            ps.setLong(1, afterPosition);
            ps.setLong(2, horizon);
            ps.setInt(3, maxCount);
            return EventColumn.readAll(ps, maxCount, dialect);
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>On PostgreSQL: the oldest append of this store's events table still running, with its
     * session ({@code pid}), application, state and age. Where the store cannot see the appends
     * (a hot standby, or another role's sessions hidden from this one), the oldest transaction of
     * the cluster holds readers back, and the holder says so without a session.
     */
    @Override
    public ReadHorizon readHorizon() {
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.readHorizon(c);
        } catch (SQLException e) {
            throw dialect.failure("cannot read the horizon of the log", e);
        }
    }

    @Override
    public long currentVersion(String streamId) {
        Objects.requireNonNull(streamId, "streamId");
        if (!AppendChecks.couldBeStreamId(streamId)) {
            return 0; // no stream of that id was ever written
        }
        try (Connection c = dialect.connect(dataSource)) {
            return appender.currentVersion(c, streamId);
        } catch (SQLException e) {
            throw dialect.failure("cannot read the version of stream " + streamId, e);
        }
    }

    /** Closes the connection pool if the store created it; a DataSource passed in stays open. */
    @Override
    public void close() {
        if (changes != null) {
            changes.close();
        }
        if (notifications != null) {
            notifications.close();
        }
        if (ownedPool != null) {
            ownedPool.close();
        }
    }

    /**
     * Options of a {@link JdbcEventStore}, with their defaults:
     *
     * <table>
     *   <caption>Options</caption>
     *   <tr><th>option</th><th>default</th></tr>
     *   <tr><td>{@link #openMode}</td><td>{@link OpenMode#MIGRATE}</td></tr>
     *   <tr><td>{@link #tablePrefix}</td><td>{@code annals_}</td></tr>
     *   <tr><td>{@link #schema} (PostgreSQL)</td><td>the connection's current schema</td></tr>
     *   <tr><td>{@link #clock}</td><td>the UTC system clock</td></tr>
     *   <tr><td>{@link #limits}</td><td>{@link AppendLimits#defaults()}</td></tr>
     *   <tr><td>{@link #durability}</td><td>{@link Durability#FULL}</td></tr>
     *   <tr><td>{@link #busyTimeout}</td><td>5 seconds</td></tr>
     *   <tr><td>{@link #warnWhenReadersHeldFor} (PostgreSQL)</td><td>10 seconds</td></tr>
     *   <tr><td>{@link #maxPoolSize} (URL only)</td><td>8</td></tr>
     *   <tr><td>{@link #changeCheck} (SQLite)</td><td>10 ms</td></tr>
     *   <tr><td>{@link #instrumentation}</td><td>{@link Instrumentation#none()}</td></tr>
     * </table>
     */
    public static final class Builder {
        private final @Nullable String jdbcUrl;
        private final @Nullable DataSource dataSource;
        private Clock clock = Clock.systemUTC();
        private AppendLimits limits = AppendLimits.defaults();
        private Durability durability = Durability.FULL;
        private Duration busyTimeout = Duration.ofSeconds(5);
        private Duration heldWarning = Duration.ofSeconds(10);
        private int maxPoolSize = 8;
        private boolean notifyAppends = true;
        private boolean groupCommit = true;
        private Duration changeCheck = StoreSettings.defaults().changeCheck();
        private OpenMode mode = OpenMode.MIGRATE;
        private TableNames tables = TableNames.defaults();
        private Instrumentation instrumentation = Instrumentation.none();

        private Builder(@Nullable String jdbcUrl, @Nullable DataSource dataSource) {
            this.jdbcUrl = jdbcUrl;
            this.dataSource = dataSource;
        }

        /** Where {@code recordedAt} comes from. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * What the store reports its appends (and on PostgreSQL its readers' waits) to; the
         * command handlers, decision handlers and projection runners built on the store report
         * to it too, unless their builders are given another. Default
         * {@link Instrumentation#none()}; {@code MicrometerInstrumentation.of(registry)} from
         * {@code eventstore-micrometer} gives metrics and traces.
         */
        public Builder instrumentation(Instrumentation instrumentation) {
            this.instrumentation = Objects.requireNonNull(instrumentation, "instrumentation");
            return this;
        }

        /** The size and count limits checked before each append. */
        public Builder limits(AppendLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** How hard commits work to survive a crash; see {@link Durability}. */
        public Builder durability(Durability durability) {
            this.durability = Objects.requireNonNull(durability, "durability");
            return this;
        }

        /** What the store may do to the database when it opens; see {@link OpenMode}. */
        public Builder openMode(OpenMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * How long a writer waits for a lock before failing. On SQLite: a writer of another
         * process (SQLite's busy timeout), then this process's turn to write. On PostgreSQL, in
         * the pool the store creates from a URL: the sessions' {@code lock_timeout} (an append
         * behind another transaction's append to the same stream; migrations wait without bound).
         * A DataSource of your own keeps its own setting.
         *
         * @throws IllegalArgumentException if negative or over 1 hour
         */
        public Builder busyTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("busyTimeout must be between 0 and 1 hour, was " + timeout);
            }
            this.busyTimeout = timeout;
            return this;
        }

        /**
         * How long an append in flight may hold back readers of the global log before a read
         * logs a warning naming it (its session, application, state and age), once per
         * transaction. Readers wait for such an append, never skip it; see
         * {@link JdbcEventStore#readHorizon()}. PostgreSQL only: on SQLite nothing holds readers back.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder warnWhenReadersHeldFor(Duration age) {
            Objects.requireNonNull(age, "age");
            if (age.isNegative() || age.isZero()) {
                throw new IllegalArgumentException("warnWhenReadersHeldFor must be positive, was " + age);
            }
            this.heldWarning = age;
            return this;
        }

        /**
         * On PostgreSQL, whether this store announces its appends to other processes on the same
         * tables (a {@code pg_notify} after each commit, sent on a thread of its own, one for
         * all the appends made while the previous one went out) and hears theirs in
         * {@link JdbcEventStore#onAppend}, so that their projection runners read at once; default
         * true. Without it, runners in other processes find the appends at their next poll.
         * Ignored on SQLite.
         */
        public Builder notifyAppends(boolean notify) {
            this.notifyAppends = notify;
            return this;
        }

        /**
         * Whether appends that arrive while the store's writers are busy share one transaction
         * and one commit (group commit), each with its own expected-version check, condition and
         * idempotency, all of an append or nothing of it, and each throwing its own errors. A
         * writer that finds the way free writes alone at once, so a lone thread waits for
         * nothing. Default true; with many threads appending at once it lets them do more appends
         * per second than committing one by one.
         *
         * <p>On PostgreSQL, appends of one event without tags or a condition wait in line while
         * two appends of the store are in flight, and the next free writer writes them in one
         * statement; one that the statement leaves out goes again alone and throws its own error.
         * On SQLite, whose writers take turns, every append of this store (with tags, a condition
         * or several events too) lines up behind the one waiting for or holding the turn, and the
         * first in line writes those behind it in its transaction, each under a savepoint of its
         * own, so that they share one fsync; one whose statements fail is rolled back to its
         * savepoint and its caller gets that error, while the others commit. Deletions,
         * truncations and snapshots are never grouped, and appends inside a projection batch join
         * the batch instead.
         */
        public Builder groupCommit(boolean group) {
            this.groupCommit = group;
            return this;
        }

        /**
         * SQLite: how often a store that has append listeners (started projection runners)
         * checks whether another connection, in this process or another, wrote to the database
         * ({@code PRAGMA data_version} on a connection of its own, a read of shared memory), so
         * that runners wake on the appends of other processes without reading the log at every
         * poll. Default 10 ms; {@link Duration#ZERO} turns it off (runners then find those appends
         * at their polls). Ignored on PostgreSQL, where {@link #notifyAppends} does this.
         *
         * @throws IllegalArgumentException if {@code interval} is negative
         */
        public Builder changeCheck(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("changeCheck must not be negative, was " + interval);
            }
            this.changeCheck = interval;
            return this;
        }

        /**
         * The largest number of connections of the pool the store creates (URL only).
         *
         * @throws IllegalArgumentException if less than 1
         */
        public Builder maxPoolSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxPoolSize cannot be less than 1, was " + n);
            }
            this.maxPoolSize = n;
            return this;
        }

        /**
         * The prefix of every table and index the store creates, so that they never collide with
         * the application's own ({@code annals_} by default); two stores with different prefixes
         * can share one database. It is part of the store's SQL, so it must be a plain
         * identifier: empty, or a lower-case ASCII letter or {@code _} followed by at most 29
         * lower-case ASCII letters, digits or {@code _}.
         *
         * @throws IllegalArgumentException if {@code prefix} is not a plain identifier
         */
        public Builder tablePrefix(String prefix) {
            this.tables = new TableNames(prefix, tables.schema());
            return this;
        }

        /**
         * PostgreSQL: the schema that holds the store's tables, created if it does not exist (by
         * default the tables go to the connection's current schema). The store's SQL names it, so
         * it works the same on the store's own pool and on a DataSource of the application; the
         * pool a store opened on a URL creates also puts it first in every connection's
         * {@code search_path}, for the application's own tables.
         *
         * <p>The name is checked here because it is part of the store's SQL: it must be a plain
         * identifier, a lower-case ASCII letter or {@code _} followed by at most 62 lower-case
         * ASCII letters, digits or {@code _} (no quoting, no case folding, nothing to inject).
         *
         * @throws IllegalArgumentException if {@code schema} is not a plain identifier
         */
        public Builder schema(String schema) {
            this.tables = new TableNames(tables.prefix(), Objects.requireNonNull(schema, "schema"));
            return this;
        }

        /**
         * The DDL of this store's schema, as one script to apply with the application's own
         * migration tool (Flyway, Liquibase), for a store then opened in
         * {@link OpenMode#VALIDATE} mode: the tables and indexes with this builder's prefix and
         * schema, and the rows that record each migration with its checksum. A builder on a URL
         * does not connect; one on a DataSource connects once to find the database's kind.
         *
         * @throws IllegalArgumentException if the database is unsupported or an option does not
         *     apply to it
         */
        public String ddl() {
            return ddlAfter(0);
        }

        /**
         * The DDL that brings a schema at version {@code version} up to this version of Annals,
         * for a database whose schema the application manages (the message of a store that
         * refuses to open in {@link OpenMode#VALIDATE} mode names the version). {@code
         * ddlAfter(0)} is {@link #ddl()}.
         *
         * @throws IllegalArgumentException if {@code version} is negative or newer than this
         *     version of Annals knows, or as {@link #ddl()}
         */
        public String ddlAfter(int version) {
            return new Migrator(dialect(kind())).ddl(clock, version);
        }

        /**
         * Opens the store: connects, checks the database's settings, then creates, migrates or
         * checks the schema as the {@link #openMode} says.
         *
         * @throws IllegalArgumentException if the URL or database is unsupported, an option does
         *     not apply to it, or (SQLite) the file's directory does not exist, or the file does
         *     not exist and the mode is not {@link OpenMode#MIGRATE}
         * @throws SchemaVersionException if the schema is not this version's and the mode does
         *     not migrate, or was migrated by other code
         * @throws StoreConfigurationException if the database cannot serve as a store
         * @throws EventStoreException if the database cannot be reached or set up
         */
        public JdbcEventStore open() {
            Dialects.Kind kind = kind();
            Dialect dialect = dialect(kind);
            if (dataSource != null) {
                return start(dataSource, null, dialect, "a DataSource of the application");
            }
            String url = Objects.requireNonNull(jdbcUrl);
            dialect.checkUrl(url, mode);
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(url);
            config.setMaximumPoolSize(maxPoolSize);
            config.setPoolName("annals-" + kind.name().toLowerCase(Locale.ROOT));
            dialect.configurePool(config, mode);
            HikariDataSource pool;
            try {
                pool = new HikariDataSource(config);
            } catch (RuntimeException e) {
                throw new EventStoreException(
                        "cannot open " + Redact.url(url) + ": " + Redact.url(String.valueOf(e.getMessage())), e);
            }
            try {
                return start(pool, pool, dialect, Redact.url(url));
            } catch (RuntimeException e) {
                pool.close();
                throw e;
            }
        }

        private Dialects.Kind kind() {
            return dataSource != null
                    ? Dialects.forDataSource(dataSource)
                    : Dialects.forUrl(Objects.requireNonNull(jdbcUrl));
        }

        private Dialect dialect(Dialects.Kind kind) {
            if (tables.schema() != null && !kind.hasSchemas()) {
                throw new IllegalArgumentException("schema(...) is a PostgreSQL option; a "
                        + kind.name() + " database has no schemas (use tablePrefix(...) to keep "
                        + "stores apart)");
            }
            return kind.create()
                    .apply(
                            new StoreSettings(
                                    clock,
                                    limits,
                                    durability,
                                    busyTimeout,
                                    heldWarning,
                                    notifyAppends,
                                    changeCheck,
                                    groupCommit),
                            tables);
        }

        private JdbcEventStore start(DataSource ds, @Nullable HikariDataSource owned, Dialect dialect, String where) {
            dialect.startUp(ds, mode);
            Migrator migrator = new Migrator(dialect);
            try {
                if (mode == OpenMode.MIGRATE) {
                    migrator.migrate(ds, clock);
                } else {
                    migrator.validate(ds);
                }
            } catch (SQLException e) {
                throw dialect.failure(
                        "cannot " + (mode == OpenMode.MIGRATE ? "migrate" : "check") + " the " + dialect.name()
                                + " schema",
                        e);
            }
            dialect.afterMigrations(ds, mode);
            return new JdbcEventStore(ds, owned, dialect, mode, where, instrumentation);
        }
    }
}
