package io.annals.eventstore.jdbc;

import io.annals.eventstore.StreamDeletedException;
import io.annals.eventstore.internal.TruncationChecks;
import io.annals.eventstore.snapshot.Snapshot;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Truncates streams: removes the events before a cut and keeps the state at the cut as the
 * stream's pinned snapshot, in one write transaction, and reads pinned snapshots back.
 *
 * <p>The transaction first takes the stream's lock exclusively (on PostgreSQL the lock that every
 * insert into the stream takes shared and a deletion takes exclusively; SQLite's writers take
 * turns anyway), then reads the stream as it is: a deletion or another truncation of the stream
 * is then either wholly before it or wholly after. Appends to the stream wait for it on
 * PostgreSQL; they add events above the cut, which a truncation never touches, so their order
 * does not matter.
 */
final class Truncator {

    private final Dialect dialect;
    private final Appender appender;
    private final String lockStream;
    private final String loadPinned;
    private final String eventIdAt;
    private final String removeIds;
    private final String removeTags;
    private final String removeRows;
    private final String pin;
    private final String dropSnapshots;

    Truncator(Dialect dialect, Appender appender) {
        this.dialect = dialect;
        this.appender = appender;
        this.lockStream = dialect.sql("lock-stream-for-deletion");
        this.loadPinned = dialect.sql("load-pinned-snapshot");
        this.eventIdAt = dialect.sql("event-id-at-version");
        this.removeIds = dialect.sql("remove-stream-events");
        this.removeTags = dialect.sql("remove-stream-tags");
        this.removeRows = dialect.sql("remove-stream-rows");
        this.pin = dialect.sql("pin-snapshot");
        this.dropSnapshots = dialect.sql("drop-snapshots-before");
    }

    /**
     * Truncates {@code streamId} before {@code beforeVersion}, keeping {@code pinned}; the
     * arguments were checked ({@link TruncationChecks#checkArguments}).
     *
     * @return how many events were removed
     */
    long truncate(DataSource dataSource, String streamId, long beforeVersion, Snapshot pinned) throws SQLException {
        BatchTransaction batch = dialect.batch();
        if (batch != null) {
            batch.checkAppend("truncate stream " + streamId);
        }
        for (int attempt = 1; ; attempt++) {
            try {
                return dialect.inWriteTransaction(dataSource, c -> write(c, streamId, beforeVersion, pinned));
            } catch (SQLException e) {
                // wrote nothing (a deadlock, SQLite's busy snapshot): the stream is read again
                if (!dialect.isRetryableConflict(e) || batch != null || attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    private long write(Connection c, String streamId, long beforeVersion, Snapshot pinned) throws SQLException {
        dialect.withStatement(c, lockStream, ps -> {
            ps.setString(1, streamId);
            return ps.execute();
        });
        Appender.Head head = appender.head(c, streamId);
        if (head != null && head.deleted()) {
            throw new StreamDeletedException(streamId);
        }
        TruncationChecks.checkCut(streamId, beforeVersion, head == null ? 0 : head.version());
        Optional<Snapshot> current = load(c, streamId);
        if (current.isPresent() && beforeVersion <= current.get().version() + 1) {
            return 0; // truncated there, or further, already
        }
        long last = beforeVersion - 1;
        UUID stored = eventIdAt(c, streamId, last);
        if (stored == null) {
            throw new IllegalStateException("stream " + streamId + " holds no event at version " + last
                    + " though it was not truncated there: the events table was changed by hand");
        }
        if (!stored.equals(pinned.lastEventId())) {
            throw TruncationChecks.notThisHistory(pinned, stored);
        }
        removeUpTo(c, removeIds, streamId, last); // ids reserved first, while the rows are there
        removeUpTo(c, removeTags, streamId, last);
        long removed = removeUpTo(c, removeRows, streamId, last);
        dialect.withStatement(c, pin, ps -> {
            ps.setString(1, streamId);
            ps.setLong(2, pinned.version());
            dialect.bindEventId(ps, 3, pinned.lastEventId());
            ps.setInt(4, pinned.schemaVersion());
            ps.setString(5, pinned.state());
            ps.setLong(6, Dialect.toMicros(pinned.takenAt()));
            return ps.executeUpdate();
        });
        dialect.withStatement(c, dropSnapshots, ps -> {
            ps.setString(1, streamId);
            ps.setLong(2, beforeVersion);
            return ps.executeUpdate();
        });
        return removed;
    }

    /** Runs one of the removal statements on the events of {@code streamId} up to {@code last}. */
    private int removeUpTo(Connection c, String sql, String streamId, long last) throws SQLException {
        return dialect.withStatement(c, sql, ps -> {
            ps.setString(1, streamId);
            ps.setLong(2, last);
            return ps.executeUpdate();
        });
    }

    private @Nullable UUID eventIdAt(Connection c, String streamId, long version) throws SQLException {
        return dialect.withStatement(c, eventIdAt, ps -> {
            ps.setString(1, streamId);
            ps.setLong(2, version);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? dialect.eventId(rs, 1) : null;
            }
        });
    }

    /** The pinned snapshot of {@code streamId}, if it was truncated. */
    Optional<Snapshot> load(Connection c, String streamId) throws SQLException {
        return dialect.withStatement(c, loadPinned, ps -> {
            ps.setString(1, streamId);
            try (ResultSet rs = ps.executeQuery()) {
                return JdbcSnapshotStore.row(dialect, streamId, rs);
            }
        });
    }
}
