package io.annals.eventstore.jdbc;

import io.annals.eventstore.projection.ProjectionReplacedException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Which version of each projection is in service, for blue-green rebuilds ({@code
 * V8__projection_versions.sql} on SQLite, {@code V9__...} on PostgreSQL). A version is a
 * generation number and the key its rows and checkpoint are stored under; readers of keyed read
 * models follow the key in the same statement as the rows, and each batch checks that its
 * version was not replaced.
 */
final class ReadModelVersions {

    /** The prefix of the storage keys of generations after the first. */
    static final String KEY_PREFIX = "$version:";

    /**
     * One version of a projection.
     *
     * @param generation 0 for the first, one more for each build beside the one in service
     * @param key what its rows and checkpoint are stored under
     */
    record Version(long generation, String key) {

        /** Generation {@code generation} of {@code projection}. */
        static Version of(String projection, long generation) {
            return new Version(generation, generation == 0 ? projection : KEY_PREFIX + generation + ":" + projection);
        }
    }

    private final Dialect dialect;
    private final String read;
    private final String lock;
    private final String insert;
    private final String move;
    private final String lockCheckpoint;
    private final String deleteCheckpoint;

    ReadModelVersions(Dialect dialect) {
        this.dialect = dialect;
        this.read = dialect.sql("read-version");
        this.lock = dialect.sql("lock-version");
        this.insert = dialect.sql("insert-version");
        this.move = dialect.sql("switch-version");
        this.lockCheckpoint = dialect.sql("lock-checkpoint");
        this.deleteCheckpoint = dialect.sql("delete-checkpoint");
    }

    /** The version of {@code projection} in service now. */
    Version live(DataSource dataSource, String projection) throws SQLException {
        try (Connection c = dialect.connect(dataSource)) {
            return select(c, read, projection).orElse(Version.of(projection, 0));
        }
    }

    /**
     * Fails the batch of {@code projection} running in {@code c} if its version {@code mine} was
     * replaced by a blue-green switch: the projector runs code that is no longer in service.
     */
    void checkNotReplaced(Connection c, String projection, Version mine) throws SQLException {
        Optional<Version> live = select(c, read, projection);
        if (live.isPresent() && live.get().generation() > mine.generation()) {
            throw new ProjectionReplacedException("projection " + projection + " was switched to a version built beside"
                    + " this one (generation " + live.get().generation() + ", this projector's is "
                    + mine.generation() + "): stop this runner, and run the code of the new version");
        }
    }

    /**
     * Makes sure {@code projection} has its row (generation 0 if it had none) and returns the
     * version in service, in {@code c}'s transaction.
     */
    Version lockLive(Connection c, String projection) throws SQLException {
        dialect.withStatement(c, insert, ps -> {
            ps.setString(1, projection);
            ps.setString(2, projection);
            return ps.executeUpdate();
        });
        return select(c, lock, projection).orElseThrow();
    }

    /** The checkpoint under {@code key}, locked against the batches of that version. */
    long lockCheckpoint(Connection c, String key) throws SQLException {
        return dialect.withStatement(c, lockCheckpoint, ps -> {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    /** Moves {@code projection} from version {@code from} to {@code to}; false if it was not at {@code from}. */
    boolean move(Connection c, String projection, Version from, Version to) throws SQLException {
        return dialect.withStatement(c, move, ps -> {
                    ps.setLong(1, to.generation());
                    ps.setString(2, to.key());
                    ps.setString(3, projection);
                    ps.setLong(4, from.generation());
                    return ps.executeUpdate();
                })
                == 1;
    }

    /** Deletes the checkpoint stored under {@code key}. */
    void deleteCheckpoint(Connection c, String key) throws SQLException {
        dialect.withStatement(c, deleteCheckpoint, ps -> {
            ps.setString(1, key);
            return ps.executeUpdate();
        });
    }

    private Optional<Version> select(Connection c, String sql, String projection) throws SQLException {
        return dialect.withStatement(c, sql, ps -> {
            ps.setString(1, projection);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Version(rs.getLong(1), rs.getString(2))) : Optional.empty();
            }
        });
    }
}
