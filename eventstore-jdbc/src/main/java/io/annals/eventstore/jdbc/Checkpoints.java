package io.annals.eventstore.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * The checkpoints of projections: the position of the last event each applied. A projection has
 * no row until its first batch commits; its checkpoint is 0 until then.
 */
final class Checkpoints {

    private final Dialect dialect;
    private final String read;
    private final String move;
    private final String create;
    private final String reset;
    private final String under;

    Checkpoints(Dialect dialect) {
        this.dialect = dialect;
        this.read = dialect.sql("read-checkpoint");
        this.move = dialect.sql("move-checkpoint");
        this.create = dialect.sql("create-checkpoint");
        this.reset = dialect.sql("reset-checkpoint");
        this.under = dialect.sql("checkpoints-under");
    }

    long read(DataSource dataSource, String projection) throws SQLException {
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, read, ps -> {
                ps.setString(1, projection);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0L;
                }
            });
        }
    }

    /**
     * Moves the checkpoint from {@code from} to {@code to} in {@code c}'s transaction, if it is
     * still at {@code from}: the compare-and-set that makes each batch apply once.
     *
     * @return false when another runner moved it (or created it) first
     */
    boolean move(Connection c, String projection, long from, long to) throws SQLException {
        int moved = dialect.withStatement(c, move, ps -> {
            ps.setLong(1, to);
            ps.setString(2, projection);
            ps.setLong(3, from);
            return ps.executeUpdate();
        });
        if (moved == 1) {
            return true;
        }
        if (from != 0) {
            return false;
        }
        return dialect.withStatement(c, create, ps -> {
            ps.setString(1, projection);
            ps.setLong(2, to);
            return ps.executeUpdate() == 1;
        });
    }

    /** The checkpoints past 0 of the projections whose names begin with {@code prefix}, by name. */
    Map<String, Long> under(Connection c, String prefix) throws SQLException {
        return dialect.withStatement(c, under, ps -> {
            ps.setInt(1, prefix.codePointCount(0, prefix.length())); // SQL counts characters
            ps.setString(2, prefix);
            Map<String, Long> found = new TreeMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.put(rs.getString(1), rs.getLong(2));
                }
            }
            return found;
        });
    }

    /** Sets the checkpoint back to 0 in {@code c}'s transaction. */
    void reset(Connection c, String projection) throws SQLException {
        dialect.withStatement(c, reset, ps -> {
            ps.setString(1, projection);
            return ps.executeUpdate();
        });
    }
}
