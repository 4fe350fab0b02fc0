package io.annals.eventstore.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * The checkpoints of projections: the position of the last event each applied, and its repairs:
 * the number of changes made to its read model outside the batches. A projection has no row until
 * its first batch commits; its checkpoint is 0 until then.
 */
final class Checkpoints {

    private final Dialect dialect;
    private final String read;
    private final String move;
    private final String create;
    private final String reset;
    private final String repair;
    private final String under;

    Checkpoints(Dialect dialect) {
        this.dialect = dialect;
        this.read = dialect.sql("read-checkpoint");
        this.move = dialect.sql("move-checkpoint");
        this.create = dialect.sql("create-checkpoint");
        this.reset = dialect.sql("reset-checkpoint");
        this.repair = dialect.sql("count-checkpoint-repair");
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

    /** What {@link #move} returns when another runner moved the checkpoint (or created it) first. */
    static final long NOT_MOVED = -1;

    /**
     * Moves the checkpoint from {@code from} to {@code to} in {@code c}'s transaction, if it is
     * still at {@code from}: the compare-and-set that makes each batch apply once.
     *
     * @return the checkpoint's repairs, the number of changes made to the read model outside the
     *     batches ({@link #countRepair}); {@link #NOT_MOVED} when another runner moved the
     *     checkpoint (or created it) first
     */
    long move(Connection c, String projection, long from, long to) throws SQLException {
        long repairs = dialect.withStatement(c, move, ps -> {
            ps.setLong(1, to);
            ps.setString(2, projection);
            ps.setLong(3, from);
            return repairs(ps);
        });
        if (repairs != NOT_MOVED || from != 0) {
            return repairs;
        }
        return dialect.withStatement(c, create, ps -> {
            ps.setString(1, projection);
            ps.setLong(2, to);
            return repairs(ps);
        });
    }

    /** What a {@code RETURNING repairs} statement returned, or {@link #NOT_MOVED} for no row. */
    private static long repairs(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : NOT_MOVED;
        }
    }

    /**
     * Counts a change of the read model made outside the batches (a parked event applied again;
     * a {@link #reset} counts itself), first in that change's transaction: a projector keeping rows at the checkpoint, in this
     * process or another, then sees from its next {@link #move} that they may be stale. On
     * PostgreSQL the row lock also makes the change wait for a batch in flight, whose rows it then
     * reads as committed.
     */
    void countRepair(Connection c, String projection) throws SQLException {
        dialect.withStatement(c, repair, ps -> {
            ps.setString(1, projection);
            return ps.executeUpdate();
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

    /** Sets the checkpoint back to 0 in {@code c}'s transaction, counting a repair. */
    void reset(Connection c, String projection) throws SQLException {
        dialect.withStatement(c, reset, ps -> {
            ps.setString(1, projection);
            return ps.executeUpdate();
        });
    }
}
