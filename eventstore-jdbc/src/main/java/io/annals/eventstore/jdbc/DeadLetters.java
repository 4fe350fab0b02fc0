package io.annals.eventstore.jdbc;

import io.annals.eventstore.projection.DeadLetter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The events projections parked ({@code V7__dead_letters.sql} on SQLite,
 * {@code V8__dead_letters.sql} on PostgreSQL): written and removed inside the transactions of the
 * projection's batches, so that a parking and the checkpoint's move commit together.
 */
final class DeadLetters {

    private final Dialect dialect;
    private final String insert;
    private final String list;
    private final String held;
    private final String delete;
    private final String deleteAll;

    DeadLetters(Dialect dialect) {
        this.dialect = dialect;
        this.insert = dialect.sql("insert-dead-letter");
        this.list = dialect.sql("list-dead-letters");
        this.held = dialect.sql("held-streams");
        this.delete = dialect.sql("delete-dead-letter");
        this.deleteAll = dialect.sql("delete-dead-letters");
    }

    void park(Connection c, DeadLetter letter) throws SQLException {
        dialect.withStatement(c, insert, ps -> {
            ps.setString(1, letter.projection());
            ps.setLong(2, letter.position());
            dialect.bindEventId(ps, 3, letter.eventId());
            ps.setString(4, letter.streamId());
            ps.setString(5, letter.type());
            ps.setString(6, letter.error());
            ps.setLong(7, Dialect.toMicros(letter.parkedAt()));
            return ps.executeUpdate();
        });
    }

    List<DeadLetter> list(DataSource dataSource, String projection) throws SQLException {
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, list, ps -> {
                ps.setString(1, projection);
                List<DeadLetter> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new DeadLetter(
                                projection,
                                rs.getLong(1),
                                dialect.eventId(rs, 2),
                                rs.getString(3),
                                rs.getString(4),
                                rs.getString(5),
                                dialect.time(rs, 6)));
                    }
                }
                return out;
            });
        }
    }

    /** Which of {@code streams} have a dead letter of {@code projection}: those are held. */
    Set<String> held(Connection c, String projection, List<String> streams) throws SQLException {
        return dialect.withStatement(c, held, ps -> {
            ps.setString(1, projection);
            dialect.bindList(ps, 2, streams);
            Set<String> out = new HashSet<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
    }

    boolean remove(Connection c, String projection, long position) throws SQLException {
        return dialect.withStatement(c, delete, ps -> {
                    ps.setString(1, projection);
                    ps.setLong(2, position);
                    return ps.executeUpdate();
                })
                == 1;
    }

    void removeAll(Connection c, String projection) throws SQLException {
        dialect.withStatement(c, deleteAll, ps -> {
            ps.setString(1, projection);
            return ps.executeUpdate();
        });
    }
}
