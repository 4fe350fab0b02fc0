package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.WrongExpectedVersionException;
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

    /**
     * How long an append keeps running again a statement that failed before writing anything (a
     * serialization failure, SQLite's busy snapshot), and an {@code any()} append after losing
     * races for a version.
     */
    private static final long ANY_RETRY_NANOS = 30_000_000_000L;

    private final Dialect dialect;
    private final String appendOne;
    private final @Nullable String appendMany;
    private final @Nullable String insertEvent;
    private final @Nullable String lastPosition;
    private final String currentVersion;
    private final String findEventIds;

    Appender(Dialect dialect) {
        this.dialect = dialect;
        this.appendOne = dialect.sql("append-one");
        boolean oneStatement = dialect.appendsManyInOneStatement();
        this.appendMany = oneStatement ? dialect.sql("append-many") : null;
        this.insertEvent = oneStatement ? null : dialect.sql("insert-event");
        this.lastPosition = oneStatement ? null : dialect.sql("last-position");
        this.currentVersion = dialect.sql("current-version");
        this.findEventIds = dialect.sql("find-event-ids");
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
        BatchTransaction batch = dialect.batch();
        if (batch != null) {
            batch.checkAppend("append to stream " + request.streamId());
            batch.checkCapacity(request.events().size(), dialect.maxEventsPerTransaction());
        }
        Optional<AppendResult> written = request.events().size() > 1 && appendMany == null
                ? inTransaction(dataSource, request)
                : inOneStatement(dataSource, request, batch != null);
        if (written.isPresent()) {
            if (batch != null) {
                batch.appended(request.events().size());
            }
            return written.get();
        }
        try (Connection c = dialect.connect(dataSource)) {
            return refused(c, request);
        }
    }

    /** The stream's version: 0 when it has no event. */
    long currentVersion(Connection c, String streamId) throws SQLException {
        return dialect.withStatement(c, currentVersion, ps -> {
            ps.setString(1, streamId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    /** Empty when nothing was written: the expectation failed, or a unique constraint refused. */
    private Optional<AppendResult> inOneStatement(DataSource dataSource, AppendRequest request, boolean inBatch)
            throws SQLException {
        boolean one = request.events().size() == 1;
        String sql = one ? appendOne : appendMany;
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
        return dialect.inWriterTurn(dataSource, c -> {
            for (int attempt = 1; ; attempt++) {
                try {
                    return dialect.atomically(
                            c,
                            a -> dialect.withStatement(a, statement, ps -> {
                                if (one) {
                                    bindOne(ps, request);
                                } else {
                                    bindMany(ps, request);
                                }
                                return readResult(ps);
                            }));
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
        });
    }

    private void bindOne(PreparedStatement ps, AppendRequest request) throws SQLException {
        EventData e = request.events().get(0);
        ps.setString(1, request.streamId());
        ps.setString(2, request.streamId());
        dialect.bindEventId(ps, 3, e.eventId());
        ps.setString(4, e.type());
        ps.setString(5, e.json());
        ps.setString(6, request.metadata()[0]);
        ps.setLong(7, request.recordedAtMicros());
        ps.setLong(8, request.minCurrentVersion());
        ps.setLong(9, request.maxCurrentVersion());
    }

    private void bindMany(PreparedStatement ps, AppendRequest request) throws SQLException {
        List<EventData> events = request.events();
        List<UUID> ids = new ArrayList<>(events.size());
        List<String> types = new ArrayList<>(events.size());
        List<String> data = new ArrayList<>(events.size());
        for (EventData e : events) {
            ids.add(e.eventId());
            types.add(e.type());
            data.add(e.json());
        }
        ps.setString(1, request.streamId());
        ps.setString(2, request.streamId());
        ps.setLong(3, request.recordedAtMicros());
        dialect.bindIds(ps, 4, ids);
        dialect.bindList(ps, 5, types);
        dialect.bindList(ps, 6, data);
        dialect.bindList(ps, 7, java.util.Arrays.asList(request.metadata()));
        ps.setLong(8, request.minCurrentVersion());
        ps.setLong(9, request.maxCurrentVersion());
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
            return dialect.inWriteTransaction(dataSource, c -> {
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
     * otherwise the exception that explains the refusal.
     */
    private AppendResult refused(Connection c, AppendRequest request) throws SQLException {
        Optional<AppendResult> repeat = Idempotency.classify(
                request.streamId(), request.expected(), request.events(), findIds(c, request.events()));
        if (repeat.isPresent()) {
            return repeat.get();
        }
        throw new WrongExpectedVersionException(
                request.streamId(), request.expected(), currentVersion(c, request.streamId()));
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
