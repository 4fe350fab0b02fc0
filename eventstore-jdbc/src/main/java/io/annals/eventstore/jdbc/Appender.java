package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.AppendConditionFailedException;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.Query;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.StreamDeletedException;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.internal.EventIds;
import io.annals.eventstore.internal.Idempotency;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Writes appends, the same way on every database: the version check and the insert in one
 * statement where the dialect can ({@code append-one}, {@code append-many}), otherwise a write
 * transaction that reads the version and inserts the events. An append that inserted nothing, or
 * that a unique constraint stopped, is then classified: the repeat of an earlier append (its
 * original result), a reused event id, or a version conflict.
 */
final class Appender {

    private static final System.Logger LOG = System.getLogger(Appender.class.getName());

    /**
     * How long an append keeps running again a statement that failed before writing anything (a
     * serialization failure, SQLite's busy snapshot), and an {@code any()} append after losing
     * races for a version.
     */
    private static final long ANY_RETRY_NANOS = 30_000_000_000L;

    private final Dialect dialect;
    private final String appendOne;
    private final @Nullable String appendMany;
    /** A one-stream append with tags in one statement, where the dialect can. */
    private final @Nullable String appendTagged;

    private final @Nullable String insertEvent;
    private final @Nullable String lastPosition;
    private final String streamHead;
    private final String findEventIds;
    private final String findRemovedIds;
    private final List<String> removeStream;
    private final List<String> removeSnapshots;
    private final String lockStream;
    private final String recordDeletion;
    private final @Nullable String insertEvents;
    private final @Nullable String insertTaggedEvent;
    private final @Nullable String insertTags;
    private final QuerySql queries;
    /** The checks and inserts of an append sent in one round trip with its locks, if the dialect can. */
    private final @Nullable String appendChecked;
    /**
     * Whether the sessions of the store's connections run in read committed, as the round trip of
     * {@link #checkedInOneTrip} needs; false for good once one was seen in a stricter level.
     */
    private volatile boolean sessionsReadCommitted = true;

    private final @Nullable String appendGroup;
    private final @Nullable AppendGroups groups;

    Appender(Dialect dialect, QuerySql queries) {
        this.dialect = dialect;
        this.appendOne = dialect.sql("append-one");
        boolean oneStatement = dialect.appendsManyInOneStatement();
        this.appendMany = oneStatement ? dialect.sql("append-many") : null;
        this.appendTagged = dialect.appendsTaggedInOneStatement() ? dialect.sql("append-tagged") : null;
        this.insertEvent = oneStatement ? null : dialect.sql("insert-event");
        this.lastPosition = oneStatement ? null : dialect.sql("last-position");
        this.streamHead = dialect.sql("stream-head");
        this.findEventIds = dialect.sql("find-event-ids");
        this.findRemovedIds = dialect.sql("find-removed-ids");
        this.lockStream = dialect.sql("lock-stream-for-deletion");
        this.recordDeletion = dialect.sql("record-deletion");
        this.removeStream = List.of(
                dialect.sql("remove-stream-events"),
                dialect.sql("remove-stream-tags"),
                dialect.sql("remove-stream-rows"));
        this.removeSnapshots = List.of(dialect.sql("remove-stream-snapshot"), dialect.sql("remove-pinned-snapshot"));
        this.insertEvents = oneStatement ? dialect.sql("insert-events") : null;
        this.insertTaggedEvent = oneStatement ? null : dialect.sql("insert-tagged-event");
        this.insertTags = oneStatement ? null : dialect.sql("insert-tags");
        this.queries = queries;
        this.appendChecked = oneStatement ? dialect.sql("append-checked") : null;
        this.appendGroup = dialect.groupAppendSql();
        this.groups = appendGroup == null ? null : new AppendGroups(AppendGroups.WRITERS);
    }

    /**
     * Writes one append.
     *
     * @return the result, or the original result of a repeated append
     * @throws WrongExpectedVersionException if the expectation does not hold; nothing written
     * @throws io.annals.eventstore.DuplicateEventIdException if an id is stored but the append
     *     is not a repeat; nothing written
     */
    AppendResult append(DataSource dataSource, AppendRequest request) throws SQLException {
        long deadline = System.nanoTime() + ANY_RETRY_NANOS;
        for (int attempt = 1; ; attempt++) {
            try {
                return appendOnce(dataSource, request, System.nanoTime() - deadline < 0);
            } catch (VersionMoved e) {
                if (attempt > 3) {
                    pause(attempt);
                }
            }
        }
    }

    /**
     * {@link #append}, once; when {@code mayGoAgain}, an append that wrote nothing though its
     * expectation holds now throws {@link VersionMoved}.
     */
    private AppendResult appendOnce(DataSource dataSource, AppendRequest request, boolean mayGoAgain)
            throws SQLException {
        BatchTransaction batch = dialect.batch();
        if (batch != null) {
            batch.checkAppend("append to stream " + request.streamId());
            batch.checkCapacity(request.events().size(), dialect.maxEventsPerTransaction());
        }
        Optional<AppendResult> written;
        boolean tagged = tagged(request.events());
        if (tagged && (appendTagged == null || batch != null)) {
            throw new IllegalStateException("an append with tags goes the way of appends across streams here");
        }
        if (request.events().size() > 1 && appendMany == null) {
            written = inTransaction(dataSource, request);
        } else if (groups != null && batch == null && request.events().size() == 1 && !tagged) {
            written = groups.append(
                    request, () -> inOneStatement(dataSource, request, false), group -> writeGroup(dataSource, group));
        } else {
            written = inOneStatement(dataSource, request, batch != null);
        }
        if (written.isPresent()) {
            if (batch != null) {
                batch.appended(request.events().size());
            }
            return written.get();
        }
        try (Connection c = dialect.connect(dataSource)) {
            return refused(c, request, mayGoAgain);
        } catch (StrictSessions e) {
            sessionsReadCommitted = false;
            LOG.log(
                    System.Logger.Level.INFO,
                    "the store's sessions run in a stricter isolation level than read committed: each append "
                            + "takes a transaction of its own set to read committed from now on");
            return appendOnce(dataSource, request, mayGoAgain);
        }
    }

    /**
     * Thrown by {@link #refused} when an append that nothing refuses wrote nothing: its session
     * runs above read committed, where the one-statement appends insert nothing.
     */
    private static final class StrictSessions extends SQLException {
        private static final long serialVersionUID = 1L;
    }

    /**
     * The stream's version: 0 when it has no event.
     *
     * @throws StreamDeletedException if the stream was deleted
     */
    long currentVersion(Connection c, String streamId) throws SQLException {
        Head head = head(c, streamId);
        if (head == null) {
            return 0;
        }
        if (head.deleted()) {
            throw new StreamDeletedException(streamId);
        }
        return head.version();
    }

    /** A stream's last event: its version, whether it is a tombstone, and its position. */
    record Head(long version, boolean deleted, long position) {}

    /** The stream's last event; null for a stream that never existed. */
    @Nullable
    Head head(Connection c, String streamId) throws SQLException {
        return dialect.withStatement(c, streamHead, ps -> {
            ps.setString(1, streamId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next()
                        ? new Head(rs.getLong(1), EventStore.STREAM_DELETED.equals(rs.getString(2)), rs.getLong(3))
                        : null;
            }
        });
    }

    // --- deletion ------------------------------------------------------------------------------

    /**
     * Deletes a stream in one write transaction: its tombstone first, at the next version (a
     * concurrent append that took that version makes it go again, and an expectation may then
     * fail), then its events, whose ids stay reserved, their tags, its snapshot and the pinned
     * snapshot of a truncation.
     */
    AppendResult deleteStream(DataSource dataSource, String streamId, ExpectedVersion expected, long recordedAtMicros)
            throws SQLException {
        BatchTransaction batch = dialect.batch();
        if (batch != null) {
            batch.checkAppend("delete stream " + streamId);
            batch.checkCapacity(1, dialect.maxEventsPerTransaction());
        }
        long deadline = System.nanoTime() + ANY_RETRY_NANOS;
        for (int attempt = 1; ; attempt++) {
            try {
                AppendResult result = dialect.inWriteTransaction(
                        dataSource, c -> writeDelete(c, streamId, expected, recordedAtMicros));
                if (batch != null) {
                    batch.appended(1);
                }
                return result;
            } catch (SQLException e) {
                boolean again = e instanceof VersionMoved
                        || dialect.isVersionCollision(e)
                        || dialect.isStreamDeletedRefusal(e)
                        || (dialect.isRetryableConflict(e) && batch == null);
                if (!again || System.nanoTime() >= deadline) {
                    throw e;
                }
                if (attempt > 3) {
                    pause(attempt);
                }
            }
        }
    }

    private AppendResult writeDelete(Connection c, String streamId, ExpectedVersion expected, long recordedAtMicros)
            throws SQLException {
        StreamAppend tombstone = new StreamAppend(
                streamId,
                ExpectedVersion.any(),
                List.of(new EventData(EventIds.next(), EventStore.STREAM_DELETED, "{}", Map.of())));
        dialect.lockForConsistentAppend(c, List.of(tombstone), null);
        dialect.withStatement(c, lockStream, ps -> {
            ps.setString(1, streamId);
            return ps.execute();
        });
        Head head = head(c, streamId);
        if (head != null && head.deleted()) {
            if (expected instanceof ExpectedVersion.Any) {
                return new AppendResult(head.version(), head.position());
            }
            throw new StreamDeletedException(streamId);
        }
        long current = head == null ? 0 : head.version();
        if (!expected.isMetBy(current)) {
            throw new WrongExpectedVersionException(streamId, expected, current);
        }
        StreamAppend at = new StreamAppend(streamId, ExpectedVersion.exactly(current), tombstone.events());
        String[] noMetadata = {null};
        AppendResult result = dialect.appendsManyInOneStatement()
                ? insertEvents(c, at, noMetadata, recordedAtMicros, dialect.indexBase(c))
                : insertOneByOne(c, at, noMetadata, recordedAtMicros, current);
        dialect.withStatement(c, recordDeletion, ps -> {
            ps.setString(1, streamId);
            ps.setLong(2, result.version());
            ps.setLong(3, result.position());
            return ps.executeUpdate();
        });
        for (String sql : removeStream) {
            dialect.withStatement(c, sql, ps -> {
                ps.setString(1, streamId);
                ps.setLong(2, current);
                return ps.executeUpdate();
            });
        }
        for (String sql : removeSnapshots) { // the cache's and a truncation's pinned one
            dialect.withStatement(c, sql, ps -> {
                ps.setString(1, streamId);
                return ps.executeUpdate();
            });
        }
        return result;
    }

    /**
     * Fails when an id of {@code events} belonged to an event removed from the log: those ids
     * stay reserved.
     *
     * @throws io.annals.eventstore.DuplicateEventIdException naming the id and where it was
     */
    private void checkRemoved(Connection c, String streamId, List<EventData> events) throws SQLException {
        checkRemoved(c, List.of(new StreamAppend(streamId, ExpectedVersion.any(), events)));
    }

    /** {@link #checkRemoved(Connection, String, List)} for every part, in one statement. */
    private void checkRemoved(Connection c, List<StreamAppend> parts) throws SQLException {
        Map<UUID, String> streamOf = new HashMap<>();
        for (StreamAppend part : parts) {
            for (EventData e : part.events()) {
                streamOf.put(e.eventId(), part.streamId());
            }
        }
        List<UUID> ids = List.copyOf(streamOf.keySet());
        dialect.withStatement(c, findRemovedIds, ps -> {
            dialect.bindIds(ps, 1, ids);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    UUID id = dialect.eventId(rs, 1);
                    throw new io.annals.eventstore.DuplicateEventIdException(
                            "append to stream " + streamOf.get(id) + " repeats event id " + id + ", the id of an event"
                                    + " removed from stream " + rs.getString(2) + " at version " + rs.getLong(3)
                                    + " (deleted or truncated): the ids of removed events stay reserved",
                            id,
                            rs.getString(2),
                            rs.getLong(3));
                }
            }
            return null;
        });
    }

    /** Empty when nothing was written: the expectation failed, or a unique constraint refused. */
    private Optional<AppendResult> inOneStatement(DataSource dataSource, AppendRequest request, boolean inBatch)
            throws SQLException {
        boolean tagged = tagged(request.events());
        boolean one = request.events().size() == 1 && !tagged;
        String sql = tagged ? appendTagged : one ? appendOne : appendMany;
        if (inBatch) {
            // after the events this transaction appended already
            sql = dialect.appendInBatchSql(one ? "append-one" : "append-many");
        }
        String statement = sql;
        // any() and streamExists() cannot be unmet: a writer that took the version first only
        // means going again on top of it.
        boolean retryCollisions = request.expected() instanceof ExpectedVersion.Any
                || request.expected() instanceof ExpectedVersion.StreamExists;
        long deadline = System.nanoTime() + ANY_RETRY_NANOS;
        // sessions above read committed: each attempt in a transaction of its own set to it
        boolean strict = !sessionsReadCommitted && !inBatch;
        SqlWork<Optional<AppendResult>> once = a -> dialect.withStatement(a, statement, ps -> {
            if (one) {
                bindOne(ps, request);
            } else {
                bindMany(ps, request, tagged);
            }
            return readResult(ps);
        });
        SqlWork<Optional<AppendResult>> attempts = c -> {
            for (int attempt = 1; ; attempt++) {
                try {
                    return strict ? dialect.inReadCommitted(c, once) : dialect.atomically(c, once);
                } catch (SQLException e) {
                    if (dialect.isRetryableConflict(e) && !inBatch && System.nanoTime() < deadline) {
                        // wrote nothing; under serializable sessions these come in crowds. Not in a
                        // projection batch: a deadlock there involves the locks of its earlier
                        // statements, which a retry keeps; the batch fails and is applied again.
                        if (attempt > 3) {
                            pause(attempt);
                        }
                        continue;
                    }
                    if (dialect.isStreamDeletedRefusal(e)) {
                        return Optional.empty(); // deleted meanwhile: refused() says so
                    }
                    if (!dialect.isUniqueViolation(e)) {
                        throw e;
                    }
                    if (retryCollisions && dialect.isVersionCollision(e) && System.nanoTime() < deadline) {
                        if (attempt > 3) {
                            pause(attempt); // a little jitter once it gets crowded
                        }
                        continue;
                    }
                    return Optional.empty(); // an id or a version collided: decided by refused()
                }
            }
        };
        return dialect.inAppendTurn(dataSource, false, attempts);
    }

    /**
     * Writes a group of one-event appends to distinct streams in one statement
     * ({@code append-group}), in the order of their stream ids; null for each that it left out.
     */
    private @Nullable AppendResult[] writeGroup(DataSource dataSource, List<AppendRequest> group) throws SQLException {
        String sql = java.util.Objects.requireNonNull(appendGroup, "append-group");
        int n = group.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(
                order, java.util.Comparator.comparing(i -> group.get(i).streamId()));
        List<EventData> events = new ArrayList<>(n);
        String[] streams = new String[n];
        List<UUID> ids = new ArrayList<>(n);
        List<String> types = new ArrayList<>(n);
        List<String> data = new ArrayList<>(n);
        List<@Nullable String> meta = new ArrayList<>(n);
        Long[] lowest = new Long[n];
        Long[] highest = new Long[n];
        Long[] recordedAt = new Long[n];
        Map<String, Integer> indexOf = new HashMap<>();
        for (int k = 0; k < n; k++) {
            AppendRequest request = group.get(order[k]);
            EventData e = request.events().get(0);
            events.add(e);
            streams[k] = request.streamId();
            ids.add(e.eventId());
            types.add(e.type());
            data.add(e.json());
            meta.add(request.metadata()[0]);
            lowest[k] = request.minCurrentVersion();
            highest[k] = request.maxCurrentVersion();
            recordedAt[k] = request.recordedAtMicros();
            indexOf.put(request.streamId(), order[k]);
        }
        @Nullable AppendResult[] results = new AppendResult[n];
        boolean strict = !sessionsReadCommitted; // then in a transaction set to read committed
        SqlWork<@Nullable AppendResult[]> write = c -> dialect.withStatement(c, sql, ps -> {
            int i = dialect.bindAppendLocks(ps, events);
            ps.setArray(++i, c.createArrayOf("text", streams));
            dialect.bindIds(ps, ++i, ids);
            dialect.bindList(ps, ++i, types);
            dialect.bindList(ps, ++i, data);
            dialect.bindList(ps, ++i, meta);
            ps.setArray(++i, c.createArrayOf("int8", lowest));
            ps.setArray(++i, c.createArrayOf("int8", highest));
            ps.setArray(++i, c.createArrayOf("int8", recordedAt));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    results[indexOf.get(rs.getString(3))] = new AppendResult(rs.getLong(2), rs.getLong(1));
                }
            }
            return results;
        });
        return dialect.inWriterTurn(dataSource, c -> strict ? dialect.inReadCommitted(c, write) : write.run(c));
    }

    private void bindOne(PreparedStatement ps, AppendRequest request) throws SQLException {
        EventData e = request.events().get(0);
        int o = dialect.bindAppendLock(ps, e);
        ps.setString(o + 1, request.streamId());
        ps.setString(o + 2, request.streamId());
        dialect.bindEventId(ps, o + 3, e.eventId());
        ps.setString(o + 4, e.type());
        ps.setString(o + 5, e.json());
        ps.setString(o + 6, request.metadata()[0]);
        ps.setLong(o + 7, request.recordedAtMicros());
        ps.setLong(o + 8, request.minCurrentVersion());
        ps.setLong(o + 9, request.maxCurrentVersion());
    }

    /** Binds {@code append-many}, or {@code append-tagged} when {@code tagged}. */
    private void bindMany(PreparedStatement ps, AppendRequest request, boolean tagged) throws SQLException {
        List<EventData> events = request.events();
        List<UUID> ids = new ArrayList<>(events.size());
        List<String> types = new ArrayList<>(events.size());
        List<String> data = new ArrayList<>(events.size());
        List<String> tags = tagged ? new ArrayList<>(events.size()) : null;
        for (EventData e : events) {
            ids.add(e.eventId());
            types.add(e.type());
            data.add(e.json());
            if (tags != null) {
                tags.add(Json.tags(e.tags()));
            }
        }
        int o = dialect.bindAppendLocks(ps, events);
        ps.setString(o + 1, request.streamId());
        ps.setString(o + 2, request.streamId());
        ps.setLong(o + 3, request.recordedAtMicros());
        dialect.bindIds(ps, o + 4, ids);
        dialect.bindList(ps, o + 5, types);
        dialect.bindList(ps, o + 6, data);
        dialect.bindList(ps, o + 7, java.util.Arrays.asList(request.metadata()));
        int next = o + 8;
        if (tags != null) {
            dialect.bindList(ps, next++, tags);
        }
        ps.setLong(next, request.minCurrentVersion());
        ps.setLong(next + 1, request.maxCurrentVersion());
    }

    private static boolean tagged(List<EventData> events) {
        for (EventData e : events) {
            if (!e.tags().isEmpty()) {
                return true;
            }
        }
        return false;
    }

    // --- appends across streams, with tags or a condition ------------------------------------

    /**
     * Writes an append across streams (or a one-stream append with tags) in one write
     * transaction: the locks of its condition and its events ({@link Dialect#lockForConsistentAppend}),
     * then the repeat check, every part's expectation, the condition, and the inserts. A version
     * taken by a concurrent append meanwhile, or an id a concurrent append stored first, is found
     * after the rollback: the call goes again (an expectation that no longer holds then fails it)
     * or is recognised as a repeat.
     *
     * @param metadata each part's events' metadata as JSON, in order
     * @return one result per part, in order
     */
    List<AppendResult> appendAll(
            DataSource dataSource,
            List<StreamAppend> parts,
            List<String[]> metadata,
            long recordedAtMicros,
            @Nullable AppendCondition condition)
            throws SQLException {
        BatchTransaction batch = dialect.batch();
        int total = parts.stream().mapToInt(p -> p.events().size()).sum();
        if (batch != null) {
            batch.checkAppend("append to stream " + parts.get(0).streamId()
                    + (parts.size() > 1 ? " and " + (parts.size() - 1) + " more" : ""));
            batch.checkCapacity(total, dialect.maxEventsPerTransaction());
        }
        Query query = condition == null ? null : condition.failIfEventsMatch();
        String locks = sessionsReadCommitted ? dialect.checkedAppendLocks(parts, query) : null;
        long deadline = System.nanoTime() + ANY_RETRY_NANOS;
        for (int attempt = 1; ; attempt++) {
            try {
                List<AppendResult> results = locks != null
                        ? checkedInOneTrip(dataSource, locks, parts, metadata, recordedAtMicros, condition)
                        : null;
                if (results == null) {
                    locks = null;
                    results = dialect.inAppendTurn(
                            dataSource, true, c -> writeAll(c, parts, metadata, recordedAtMicros, condition));
                }
                if (batch != null) {
                    batch.appended(total);
                }
                return results;
            } catch (SQLException e) {
                boolean moved =
                        e instanceof VersionMoved || dialect.isVersionCollision(e) || dialect.isStreamDeletedRefusal(e);
                boolean again = moved || (dialect.isRetryableConflict(e) && batch == null);
                if (again && System.nanoTime() < deadline) {
                    if (attempt > 3) {
                        pause(attempt);
                    }
                    continue; // the versions are checked again, and an expectation may now fail
                }
                if (!dialect.isUniqueViolation(e)) {
                    throw e;
                }
            }
            // an event id collided: a repeat stored concurrently, or an id used elsewhere
            Map<UUID, Idempotency.StoredId> found;
            try (Connection c = dialect.connect(dataSource)) {
                checkRemoved(c, parts);
                found = findIds(c, allEvents(parts));
            }
            Optional<List<AppendResult>> repeat = Idempotency.classifyAll(parts, found);
            if (repeat.isPresent()) {
                return repeat.get();
            }
        }
    }

    private List<AppendResult> writeAll(
            Connection c,
            List<StreamAppend> parts,
            List<String[]> metadata,
            long recordedAtMicros,
            @Nullable AppendCondition condition)
            throws SQLException {
        dialect.lockForConsistentAppend(c, parts, condition == null ? null : condition.failIfEventsMatch());
        checkRemoved(c, parts);
        Optional<List<AppendResult>> repeat = Idempotency.classifyAll(parts, findIds(c, allEvents(parts)));
        if (repeat.isPresent()) {
            return repeat.get();
        }
        long[] current = new long[parts.size()];
        for (int i = 0; i < parts.size(); i++) {
            StreamAppend part = parts.get(i);
            current[i] = currentVersion(c, part.streamId());
            if (!part.expected().isMetBy(current[i])) {
                throw new WrongExpectedVersionException(part.streamId(), part.expected(), current[i]);
            }
        }
        if (condition != null) {
            long conflict = firstMatch(c, condition);
            if (conflict > 0) {
                throw new AppendConditionFailedException(condition, conflict);
            }
        }
        AppendResult[] results = new AppendResult[parts.size()];
        if (dialect.appendsManyInOneStatement()) {
            // numbered in the call's order, inserted in the streams' order: two appends across
            // the same streams then never wait for each other's versions in a circle
            long[] base = new long[parts.size()];
            long next = dialect.indexBase(c);
            for (int i = 0; i < parts.size(); i++) {
                base[i] = next;
                next += parts.get(i).events().size();
            }
            for (int i : streamOrder(parts)) {
                results[i] = insertEvents(c, parts.get(i), metadata.get(i), recordedAtMicros, base[i]);
            }
        } else {
            for (int i = 0; i < parts.size(); i++) {
                results[i] = insertOneByOne(c, parts.get(i), metadata.get(i), recordedAtMicros, current[i]);
            }
        }
        return List.of(results);
    }

    /**
     * {@link #writeAll} in one round trip ({@link Dialect#checkedAppendLocks}, then {@code
     * append-checked}): the locks, then the checks and the inserts in one statement that inserts
     * nothing when a check fails. Only then is the call looked at again, on a connection of its
     * own: a repeat of a stored call returns its original results; otherwise the statement's
     * rows, read after the locks, say which check failed, in the order {@link #writeAll} checks.
     *
     * @return null, having written nothing, when the session runs in a stricter level than read
     *     committed: its checks would have read a snapshot taken before its locks were granted
     */
    private @Nullable List<AppendResult> checkedInOneTrip(
            DataSource dataSource,
            String locks,
            List<StreamAppend> parts,
            List<String[]> metadata,
            long recordedAtMicros,
            @Nullable AppendCondition condition)
            throws SQLException {
        Query query = condition == null ? null : condition.failIfEventsMatch();
        String checked = java.util.Objects.requireNonNull(appendChecked, "append-checked");
        String statement = dialect.afterLocks(
                locks, query == null ? checked : queries.withFirstMatch(checked, PostgresDialect.NO_CONDITION, query));
        int n = parts.size();
        long[] head = new long[n];
        boolean[] deleted = new boolean[n];
        AppendResult[] results = new AppendResult[n];
        long[] conflict = {0};
        boolean[] fresh = {true};
        boolean written = dialect.inWriterTurn(
                dataSource,
                c -> dialect.withStatement(c, statement, ps -> {
                    int i = dialect.bindCheckedAppendLocks(ps, parts, query);
                    i = bindChecked(ps, i, parts, metadata, recordedAtMicros, condition);
                    boolean all = true;
                    try (ResultSet rs = resultSet(ps, 2)) { // after the locks'
                        while (rs.next()) {
                            int part = rs.getInt(1) - 1;
                            head[part] = rs.getLong(2);
                            deleted[part] = rs.getBoolean(3);
                            conflict[0] = rs.getLong(4);
                            fresh[0] &= rs.getBoolean(7);
                            long version = rs.getLong(5);
                            if (rs.wasNull()) {
                                all = false;
                            } else {
                                results[part] = new AppendResult(version, rs.getLong(6));
                            }
                        }
                    }
                    return all;
                }));
        if (written) {
            return List.of(results);
        }
        if (!fresh[0]) {
            sessionsReadCommitted = false;
            LOG.log(
                    System.Logger.Level.INFO,
                    "the store's sessions run in a stricter isolation level than read committed: appends with "
                            + "tags or a condition take a transaction of their own from now on");
            return null;
        }
        try (Connection c = dialect.connect(dataSource)) {
            checkRemoved(c, parts);
            Optional<List<AppendResult>> repeat = Idempotency.classifyAll(parts, findIds(c, allEvents(parts)));
            if (repeat.isPresent()) {
                return repeat.get();
            }
        }
        for (int i = 0; i < n; i++) {
            StreamAppend part = parts.get(i);
            if (deleted[i]) {
                throw new StreamDeletedException(part.streamId());
            }
            if (!part.expected().isMetBy(head[i])) {
                throw new WrongExpectedVersionException(part.streamId(), part.expected(), head[i]);
            }
        }
        if (condition != null && conflict[0] > 0) {
            throw new AppendConditionFailedException(condition, conflict[0]);
        }
        throw new VersionMoved(parts.get(0).streamId()); // nothing explains it: go again
    }

    /**
     * The indexes of {@code parts} in the order their streams are inserted in: by stream id, so
     * that two appends across the same streams never wait for each other's versions in a circle.
     */
    private static Integer[] streamOrder(List<StreamAppend> parts) {
        Integer[] order = new Integer[parts.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(
                order, java.util.Comparator.comparing(i -> parts.get(i).streamId()));
        return order;
    }

    /** Binds {@code append-checked} after the first {@code bound} parameters. */
    private int bindChecked(
            PreparedStatement ps,
            int bound,
            List<StreamAppend> parts,
            List<String[]> metadata,
            long recordedAtMicros,
            @Nullable AppendCondition condition)
            throws SQLException {
        Connection c = ps.getConnection();
        int n = parts.size();
        String[] streams = new String[n];
        Long[] lowest = new Long[n];
        Long[] highest = new Long[n];
        List<Integer> partOf = new ArrayList<>();
        List<Integer> indexIn = new ArrayList<>();
        List<UUID> ids = new ArrayList<>();
        List<String> types = new ArrayList<>();
        List<String> data = new ArrayList<>();
        List<@Nullable String> meta = new ArrayList<>();
        List<@Nullable String> tags = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            StreamAppend part = parts.get(p);
            AppendRequest request = new AppendRequest(
                    part.streamId(), part.expected(), part.events(), metadata.get(p), recordedAtMicros);
            streams[p] = part.streamId();
            lowest[p] = request.minCurrentVersion();
            highest[p] = request.maxCurrentVersion();
            List<EventData> events = part.events();
            for (int k = 0; k < events.size(); k++) {
                EventData e = events.get(k);
                partOf.add(p + 1);
                indexIn.add(k + 1);
                ids.add(e.eventId());
                types.add(e.type());
                data.add(e.json());
                meta.add(metadata.get(p)[k]);
                tags.add(Json.tags(e.tags()));
            }
        }
        int i = bound;
        ps.setArray(++i, c.createArrayOf("text", streams));
        ps.setArray(++i, c.createArrayOf("int8", lowest));
        ps.setArray(++i, c.createArrayOf("int8", highest));
        Integer[] order = streamOrder(parts);
        Integer[] rank = new Integer[n];
        for (int r = 0; r < n; r++) {
            rank[order[r]] = r;
        }
        ps.setArray(++i, c.createArrayOf("int4", rank)); // the order writeAll inserts streams in
        if (condition != null) {
            i = queries.bind(ps, i, condition.failIfEventsMatch(), condition.afterPosition(), Long.MAX_VALUE, 1);
        }
        ps.setLong(++i, recordedAtMicros);
        ps.setArray(++i, c.createArrayOf("int4", partOf.toArray(Integer[]::new)));
        ps.setArray(++i, c.createArrayOf("int4", indexIn.toArray(Integer[]::new)));
        dialect.bindIds(ps, ++i, ids);
        dialect.bindList(ps, ++i, types);
        dialect.bindList(ps, ++i, data);
        dialect.bindList(ps, ++i, meta);
        dialect.bindList(ps, ++i, tags);
        return i;
    }

    /**
     * Runs {@code ps}, statements sent together, and returns the {@code n}th result set they
     * return (from 1).
     */
    private static ResultSet resultSet(PreparedStatement ps, int n) throws SQLException {
        boolean isSet = ps.execute();
        for (int seen = 0; ; isSet = ps.getMoreResults()) {
            if (isSet && ++seen == n) {
                return ps.getResultSet();
            }
            if (!isSet && ps.getUpdateCount() == -1) {
                throw new SQLException("the append's statements returned " + seen + " result sets, not " + n);
            }
        }
    }

    /** One part in one statement ({@code insert-events}); a version taken meanwhile throws. */
    private AppendResult insertEvents(
            Connection c, StreamAppend part, String[] metadata, long recordedAtMicros, long indexBase)
            throws SQLException {
        AppendRequest request =
                new AppendRequest(part.streamId(), part.expected(), part.events(), metadata, recordedAtMicros);
        List<EventData> events = part.events();
        List<UUID> ids = new ArrayList<>(events.size());
        List<String> types = new ArrayList<>(events.size());
        List<String> data = new ArrayList<>(events.size());
        List<@Nullable String> tags = new ArrayList<>(events.size());
        for (EventData e : events) {
            ids.add(e.eventId());
            types.add(e.type());
            data.add(e.json());
            tags.add(Json.tags(e.tags()));
        }
        Optional<AppendResult> written = dialect.withStatement(c, insertEvents, ps -> {
            ps.setString(1, part.streamId());
            ps.setLong(2, indexBase);
            ps.setString(3, part.streamId());
            ps.setLong(4, recordedAtMicros);
            dialect.bindIds(ps, 5, ids);
            dialect.bindList(ps, 6, types);
            dialect.bindList(ps, 7, data);
            dialect.bindList(ps, 8, java.util.Arrays.asList(metadata));
            dialect.bindList(ps, 9, tags);
            ps.setLong(10, request.minCurrentVersion());
            ps.setLong(11, request.maxCurrentVersion());
            return readResult(ps);
        });
        if (written.isEmpty()) {
            throw new VersionMoved(part.streamId());
        }
        return written.get();
    }

    /** One part event by event, after the stream's version was read in this write transaction. */
    private AppendResult insertOneByOne(
            Connection c, StreamAppend part, String[] metadata, long recordedAtMicros, long current)
            throws SQLException {
        long position = 0;
        List<EventData> events = part.events();
        for (int i = 0; i < events.size(); i++) {
            EventData e = events.get(i);
            int index = i;
            String tags = Json.tags(e.tags());
            position = dialect.withStatement(c, insertTaggedEvent, ps -> {
                ps.setString(1, part.streamId());
                ps.setLong(2, current + index + 1);
                dialect.bindEventId(ps, 3, e.eventId());
                ps.setString(4, e.type());
                ps.setString(5, e.json());
                ps.setString(6, metadata[index]);
                ps.setLong(7, recordedAtMicros);
                ps.setString(8, tags);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
            if (tags != null) {
                long at = position;
                dialect.withStatement(c, insertTags, ps -> {
                    ps.setLong(1, at);
                    ps.setString(2, tags);
                    return ps.executeUpdate();
                });
            }
        }
        return new AppendResult(current + events.size(), position);
    }

    /** The position of a stored event that fails {@code condition}, or 0. */
    private long firstMatch(Connection c, AppendCondition condition) throws SQLException {
        Query query = condition.failIfEventsMatch();
        return dialect.withStatement(c, queries.firstMatch(query), ps -> {
            queries.bind(ps, query, condition.afterPosition(), Long.MAX_VALUE, 1);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    private static List<EventData> allEvents(List<StreamAppend> parts) {
        List<EventData> all = new ArrayList<>();
        for (StreamAppend part : parts) {
            all.addAll(part.events());
        }
        return all;
    }

    /** A part's stream got a version from a concurrent append after the check: go again. */
    private static final class VersionMoved extends SQLException {
        private static final long serialVersionUID = 1L;

        VersionMoved(String streamId) {
            super("stream " + streamId + " was appended to concurrently");
        }
    }

    /**
     * The last position and version the statement returned. Reads every row: on SQLite the
     * statement must step to its end, or it commits without running the WAL's automatic
     * checkpoint, and the WAL grows by every append.
     */
    private static Optional<AppendResult> readResult(PreparedStatement ps) throws SQLException {
        long position = 0;
        long version = 0;
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                position = Math.max(position, rs.getLong(1));
                version = Math.max(version, rs.getLong(2));
            }
        }
        return version == 0 ? Optional.empty() : Optional.of(new AppendResult(version, position));
    }

    /** Thrown inside a write transaction to roll it back after a unique violation. */
    private static final class DuplicateKey extends SQLException {
        private static final long serialVersionUID = 1L;

        DuplicateKey(SQLException cause) {
            super(cause.getMessage(), cause.getSQLState(), cause.getErrorCode(), cause);
        }
    }

    private Optional<AppendResult> inTransaction(DataSource dataSource, AppendRequest request) throws SQLException {
        try {
            return dialect.inAppendTurn(dataSource, true, c -> {
                long current = currentVersion(c, request.streamId());
                if (!request.expected().isMetBy(current)) {
                    return Optional.<AppendResult>empty();
                }
                insertAll(c, request, current);
                long position = dialect.withStatement(c, lastPosition, ps -> {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        return rs.getLong(1);
                    }
                });
                return Optional.of(new AppendResult(current + request.events().size(), position));
            });
        } catch (DuplicateKey rolledBack) {
            return Optional.empty(); // an id collided (a repeat, or an id used elsewhere)
        }
    }

    private void insertAll(Connection c, AppendRequest request, long current) throws SQLException {
        List<EventData> events = request.events();
        dialect.withStatement(c, insertEvent, ps -> {
            try {
                for (int i = 0; i < events.size(); i++) {
                    EventData e = events.get(i);
                    ps.setString(1, request.streamId());
                    ps.setLong(2, current + i + 1);
                    dialect.bindEventId(ps, 3, e.eventId());
                    ps.setString(4, e.type());
                    ps.setString(5, e.json());
                    ps.setString(6, request.metadata()[i]);
                    ps.setLong(7, request.recordedAtMicros());
                    ps.addBatch();
                }
                return ps.executeBatch();
            } catch (SQLException e) {
                ps.clearBatch();
                throw dialect.isUniqueViolation(e) ? new DuplicateKey(e) : e;
            }
        });
    }

    /**
     * After an append wrote nothing: the original result if it repeats an earlier append,
     * otherwise the exception that explains the refusal. An expectation that holds now, in read
     * committed, was read in the snapshot the statement took when it started, before another
     * append created or moved the stream: {@link VersionMoved} when {@code mayGoAgain}.
     */
    private AppendResult refused(Connection c, AppendRequest request, boolean mayGoAgain) throws SQLException {
        checkRemoved(c, request.streamId(), request.events());
        Optional<AppendResult> repeat = Idempotency.classify(
                request.streamId(), request.expected(), request.events(), findIds(c, request.events()));
        if (repeat.isPresent()) {
            return repeat.get();
        }
        long current = currentVersion(c, request.streamId());
        if (request.expected().isMetBy(current)) {
            if (!dialect.readsCommitted(c)) {
                throw new StrictSessions();
            }
            if (mayGoAgain) {
                throw new VersionMoved(request.streamId());
            }
        }
        throw new WrongExpectedVersionException(request.streamId(), request.expected(), current);
    }

    /** Where the ids of {@code events} that are stored already are. */
    private Map<UUID, Idempotency.StoredId> findIds(Connection c, List<EventData> events) throws SQLException {
        List<UUID> ids = events.stream().map(EventData::eventId).toList();
        return dialect.withStatement(c, findEventIds, ps -> {
            dialect.bindIds(ps, 1, ids);
            Map<UUID, Idempotency.StoredId> found = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    UUID id = dialect.eventId(rs, 1);
                    found.put(id, new Idempotency.StoredId(id, rs.getString(2), rs.getLong(3), rs.getLong(4)));
                }
            }
            return found;
        });
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextInt(1 + Math.min(attempt, 20)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedWaitException("interrupted while retrying an append", e);
        }
    }
}
