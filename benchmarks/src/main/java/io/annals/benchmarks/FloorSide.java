package io.annals.benchmarks;

import io.annals.benchmarks.Peers.PriceChanged;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * W15's floor: the least a program can do to keep events in a table. Text columns, a primary key
 * the database assigns, and a unique (stream_id, version) that is the only version check: one
 * auto-committed statement per append (a multi-row INSERT for several events), one SELECT per
 * stream read, a keyset-paged SELECT over the log. One connection per thread, statements prepared
 * once, the same durability as the store.
 */
final class FloorSide implements Peers.Peer {

    /** The floor's table on SQLite: the position is the rowid (no AUTOINCREMENT). */
    static final String DDL_SQLITE = """
            CREATE TABLE events (
                position    INTEGER PRIMARY KEY,
                stream_id   TEXT NOT NULL,
                version     INTEGER NOT NULL,
                event_id    TEXT NOT NULL,
                type        TEXT NOT NULL,
                data        TEXT NOT NULL,
                metadata    TEXT,
                recorded_at TEXT NOT NULL,
                UNIQUE (stream_id, version)
            )""";

    /** The floor's table on PostgreSQL. */
    static final String DDL_POSTGRES = """
            CREATE TABLE events (
                position    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                stream_id   text NOT NULL,
                version     bigint NOT NULL,
                event_id    text NOT NULL,
                type        text NOT NULL,
                data        text NOT NULL,
                metadata    text,
                recorded_at text NOT NULL,
                UNIQUE (stream_id, version)
            )""";

    private static final String INSERT =
            "INSERT INTO events (stream_id, version, event_id, type, data, metadata, " + "recorded_at) VALUES ";
    private static final String ROW = "(?, ?, ?, ?, ?, ?, ?)";
    private static final String READ_STREAM =
            "SELECT version, event_id, type, data, metadata, recorded_at FROM events WHERE stream_id = ? "
                    + "ORDER BY version";
    private static final String READ_PAGE =
            "SELECT position, stream_id, version, event_id, type, data, metadata, recorded_at FROM events "
                    + "WHERE position > ? ORDER BY position LIMIT ?";

    private final Target target;

    FloorSide(Target target) throws SQLException {
        this.target = target;
        try (Connection c = target.raw();
                Statement st = c.createStatement()) {
            if (target.sqlite()) {
                st.execute("PRAGMA journal_mode = WAL");
            }
            st.execute(target.sqlite() ? DDL_SQLITE : DDL_POSTGRES);
        }
        try (Connection c = target.raw()) {
            Peers.checkSqlitePragmas(target, c, "the floor");
        }
    }

    @Override
    public String name() {
        return "floor";
    }

    @Override
    public Peers.Session session() throws SQLException {
        return new Session(target.raw());
    }

    @Override
    public long rows() throws SQLException {
        try (Connection c = target.raw();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM events")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() {}

    /** One thread's connection and statements. */
    static final class Session implements Peers.Session {
        private final Connection c;
        private PreparedStatement insertOne;
        private PreparedStatement insertTen;
        private PreparedStatement readStream;
        private PreparedStatement readPage;

        Session(Connection c) {
            this.c = c;
        }

        @Override
        public void append(String stream, long version, List<PriceChanged> events) throws Exception {
            PreparedStatement ps = statement(events.size());
            String now = Instant.now().toString();
            int p = 1;
            long v = version;
            for (PriceChanged e : events) {
                ps.setString(p++, stream);
                ps.setLong(p++, ++v);
                ps.setString(p++, UUID.randomUUID().toString());
                ps.setString(p++, Peers.TYPE);
                ps.setString(p++, Peers.JSON.writeValueAsString(e));
                ps.setString(p++, Peers.METADATA_JSON);
                ps.setString(p++, now);
            }
            int n = ps.executeUpdate();
            if (n != events.size()) {
                throw new IllegalStateException("the floor inserted " + n + " rows of " + events.size());
            }
        }

        private PreparedStatement statement(int n) throws SQLException {
            if (n == 1) {
                if (insertOne == null) {
                    insertOne = c.prepareStatement(INSERT + ROW);
                }
                return insertOne;
            }
            if (n == 10) {
                if (insertTen == null) {
                    insertTen = c.prepareStatement(INSERT + String.join(", ", java.util.Collections.nCopies(10, ROW)));
                }
                return insertTen;
            }
            throw new IllegalArgumentException("the floor appends 1 or 10 events, not " + n);
        }

        @Override
        public Peers.Tally read(String stream) throws Exception {
            if (readStream == null) {
                readStream = c.prepareStatement(READ_STREAM);
            }
            readStream.setString(1, stream);
            Peers.Tally tally = new Peers.Tally();
            try (ResultSet rs = readStream.executeQuery()) {
                while (rs.next()) {
                    long version = rs.getLong(1);
                    rs.getString(2);
                    rs.getString(3);
                    PriceChanged e = Peers.READER.readValue(rs.getString(4));
                    rs.getString(5);
                    rs.getString(6);
                    tally.add(version, e);
                }
            }
            return tally;
        }

        @Override
        public Peers.Tally scan() throws Exception {
            Peers.Tally tally = new Peers.Tally();
            if (readPage == null) {
                readPage = c.prepareStatement(READ_PAGE);
            }
            long after = 0;
            while (true) {
                readPage.setLong(1, after);
                readPage.setInt(2, Peers.PAGE);
                int n = 0;
                try (ResultSet rs = readPage.executeQuery()) {
                    while (rs.next()) {
                        after = rs.getLong(1);
                        rs.getString(2);
                        long version = rs.getLong(3);
                        rs.getString(4);
                        rs.getString(5);
                        PriceChanged e = Peers.READER.readValue(rs.getString(6));
                        rs.getString(7);
                        rs.getString(8);
                        tally.addAny(version, e);
                        n++;
                    }
                }
                if (n < Peers.PAGE) {
                    return tally;
                }
            }
        }

        @Override
        public void close() throws SQLException {
            c.close();
        }
    }
}
