package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.snapshot.SnapshotStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** Snapshots in the {@code snapshots} table, beside the events. */
final class JdbcSnapshotStore implements SnapshotStore {

    private final DataSource dataSource;
    private final Dialect dialect;

    JdbcSnapshotStore(DataSource dataSource, Dialect dialect) {
        this.dataSource = dataSource;
        this.dialect = dialect;
    }

    @Override
    public Optional<Snapshot> load(String streamId) {
        Objects.requireNonNull(streamId, "streamId");
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, dialect.loadSnapshot(), ps -> {
                ps.setString(1, streamId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<Snapshot>empty();
                    }
                    return Optional.of(new Snapshot(streamId, rs.getLong(1),
                            UUID.fromString(rs.getString(2)), rs.getInt(3), rs.getString(4),
                            JdbcEventStore.fromMicros(rs.getLong(5))));
                }
            });
        } catch (SQLException | IllegalArgumentException e) {
            throw new EventStoreException("cannot load the snapshot of " + streamId + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void save(Snapshot s) {
        Objects.requireNonNull(s, "snapshot");
        try {
            dialect.inWriteTransaction(dataSource, c -> {
                try (PreparedStatement ps = c.prepareStatement(dialect.saveSnapshot())) {
                    ps.setString(1, s.streamId());
                    ps.setLong(2, s.version());
                    ps.setString(3, s.lastEventId().toString());
                    ps.setInt(4, s.schemaVersion());
                    ps.setString(5, s.state());
                    ps.setLong(6, JdbcEventStore.toMicros(s.takenAt()));
                    return ps.executeUpdate();
                }
            });
        } catch (SQLException e) {
            throw new EventStoreException("cannot save the snapshot of " + s.streamId()
                    + " at version " + s.version() + ": " + e.getMessage(), e);
        }
    }
}
