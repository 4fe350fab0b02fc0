package io.annals.eventstore.jdbc;

import io.annals.eventstore.ReadOnlyStoreException;
import io.annals.eventstore.internal.AppendChecks;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.snapshot.SnapshotStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Snapshots in the store's snapshots table, beside the events. An id that no stream can have
 * ({@link AppendChecks#couldBeStreamId}) never reaches the table: the drivers would send its
 * unpaired surrogates as {@code ?}, the id of another stream.
 */
final class JdbcSnapshotStore implements SnapshotStore {

    private final DataSource dataSource;
    private final Dialect dialect;
    private final boolean readOnly;
    private final String load;
    private final String save;
    private final String discard;

    JdbcSnapshotStore(DataSource dataSource, Dialect dialect, boolean readOnly) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.readOnly = readOnly;
        this.load = dialect.sql("load-snapshot");
        this.save = dialect.sql("save-snapshot");
        this.discard = dialect.sql("discard-snapshot");
    }

    /**
     * The snapshot in the next row of {@code rs}, whose columns are version, last event id,
     * schema version, state and time, in that order; empty if there is no row.
     */
    static Optional<Snapshot> row(Dialect dialect, String streamId, ResultSet rs) throws SQLException {
        if (!rs.next()) {
            return Optional.empty();
        }
        return Optional.of(new Snapshot(
                streamId, rs.getLong(1), dialect.eventId(rs, 2), rs.getInt(3), rs.getString(4), dialect.time(rs, 5)));
    }

    @Override
    public Optional<Snapshot> load(String streamId) {
        Objects.requireNonNull(streamId, "streamId");
        if (!AppendChecks.couldBeStreamId(streamId)) {
            return Optional.empty();
        }
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, load, ps -> {
                ps.setString(1, streamId);
                try (ResultSet rs = ps.executeQuery()) {
                    return row(dialect, streamId, rs);
                }
            });
        } catch (SQLException e) {
            throw dialect.failure("cannot load the snapshot of " + streamId, e);
        }
    }

    /**
     * {@inheritDoc} A snapshot of a deleted stream, or of an id that no stream can have, is not
     * saved.
     */
    @Override
    public void save(Snapshot s) {
        Objects.requireNonNull(s, "snapshot");
        if (readOnly) {
            throw new ReadOnlyStoreException(
                    "cannot save the snapshot of " + s.streamId() + ": the store was opened read-only");
        }
        if (!AppendChecks.couldBeStreamId(s.streamId())) {
            return; // no events to stand for
        }
        try {
            dialect.inWriterTurn(
                    dataSource,
                    c -> dialect.atomically(
                            c,
                            a -> dialect.withStatement(a, save, ps -> {
                                ps.setString(1, s.streamId());
                                ps.setLong(2, s.version());
                                dialect.bindEventId(ps, 3, s.lastEventId());
                                ps.setInt(4, s.schemaVersion());
                                ps.setString(5, s.state());
                                ps.setLong(6, Dialect.toMicros(s.takenAt()));
                                return ps.executeUpdate();
                            })));
        } catch (SQLException e) {
            if (dialect.isStreamDeletedRefusal(e)) {
                return; // the stream was deleted: nothing to keep
            }
            throw dialect.failure("cannot save the snapshot of " + s.streamId() + " at version " + s.version(), e);
        }
    }

    @Override
    public void discard(Snapshot s) {
        Objects.requireNonNull(s, "snapshot");
        if (readOnly) {
            throw new ReadOnlyStoreException(
                    "cannot discard the snapshot of " + s.streamId() + ": the store was opened read-only");
        }
        if (!AppendChecks.couldBeStreamId(s.streamId())) {
            return; // none was saved
        }
        try {
            dialect.inWriterTurn(
                    dataSource,
                    c -> dialect.atomically(
                            c,
                            a -> dialect.withStatement(a, discard, ps -> {
                                ps.setString(1, s.streamId());
                                ps.setLong(2, s.version());
                                dialect.bindEventId(ps, 3, s.lastEventId());
                                return ps.executeUpdate();
                            })));
        } catch (SQLException e) {
            throw dialect.failure("cannot discard the snapshot of " + s.streamId() + " at version " + s.version(), e);
        }
    }
}
