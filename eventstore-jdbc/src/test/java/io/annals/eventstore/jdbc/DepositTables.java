package io.annals.eventstore.jdbc;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.ProjectionRunnerContract.Total;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * A {@link SqlProjection} with tables of its own: every deposit by position (its primary key
 * would refuse an event applied twice) and a total per account.
 */
class DepositTables implements SqlProjection<Deposited> {

    /** Called before each event with the connection; a test can break things here. */
    interface Hook {
        void before(Connection c, Envelope<Deposited> e) throws SQLException;
    }

    volatile Hook hook = (c, e) -> {};

    static void create(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS deposit_log (position BIGINT PRIMARY KEY, "
                    + "account TEXT NOT NULL, amount BIGINT NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS account_totals (account TEXT PRIMARY KEY, "
                    + "total BIGINT NOT NULL, deposits BIGINT NOT NULL)");
        }
    }

    @Override
    public String name() {
        return "deposit-tables";
    }

    @Override
    public void apply(Connection c, Envelope<Deposited> e) throws SQLException {
        hook.before(c, e);
        try (PreparedStatement log =
                c.prepareStatement("INSERT INTO deposit_log (position, account, amount) VALUES (?, ?, ?)")) {
            log.setLong(1, e.recorded().position());
            log.setString(2, e.recorded().streamId());
            log.setLong(3, e.event().amount());
            log.executeUpdate();
        }
        if (e.event().amount() == 0) {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM account_totals WHERE account = ?")) {
                del.setString(1, e.recorded().streamId());
                del.executeUpdate();
            }
            return;
        }
        try (PreparedStatement up = c.prepareStatement("""
                INSERT INTO account_totals (account, total, deposits) VALUES (?, ?, 1)
                ON CONFLICT (account) DO UPDATE SET total = account_totals.total + excluded.total,
                                                    deposits = account_totals.deposits + 1""")) {
            up.setString(1, e.recorded().streamId());
            up.setLong(2, e.event().amount());
            up.executeUpdate();
        }
    }

    @Override
    public void reset(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DELETE FROM deposit_log");
            st.execute("DELETE FROM account_totals");
        }
    }

    static Map<String, Total> totals(DataSource ds) throws SQLException {
        Map<String, Total> out = new TreeMap<>();
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT account, total, deposits FROM account_totals")) {
            while (rs.next()) {
                out.put(rs.getString(1), new Total(rs.getLong(2), rs.getLong(3)));
            }
        }
        return out;
    }

    static long logged(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM deposit_log")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
