package io.annals.benchmarks;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.jdbc.Durability;
import io.annals.eventstore.jdbc.JdbcEventStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * What one append writes, on Annals' table and on W15's floor table: the pages SQLite adds to its
 * WAL per commit, and the bytes of WAL PostgreSQL writes per append. Unlike a timing, these figures
 * do not depend on how busy the machine is. Each side first holds a log of 100,000 events written
 * through its own path (Annals' {@code append}, the floor's multi-row {@code INSERT}), then appends
 * 1 and 10 events at a time to one stream, as W15 does.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.annals.benchmarks.TablePages sqlite
 * java -cp benchmarks/target/benchmarks.jar io.annals.benchmarks.TablePages postgres [URL]
 * </pre>
 *
 * On PostgreSQL the server should be otherwise idle: the WAL position counts every session's writes.
 */
final class TablePages {

    private static final long LOG = 100_000;
    private static final int PAGE_SIZE = 4096;

    private TablePages() {}

    /** One side's way of appending {@code n} events after {@code version} to {@code stream}. */
    private interface Appender {
        void append(String stream, long version, int n) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !List.of("sqlite", "postgres").contains(args[0])) {
            System.err.println("usage: TablePages sqlite | postgres [jdbc:postgresql://...]");
            System.exit(2);
        }
        if (args[0].equals("sqlite")) {
            sqlite();
        } else {
            postgres(args.length > 1 ? args[1] : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
        }
    }

    private static void sqlite() throws Exception {
        Path dir = Files.createTempDirectory("annals-table-pages");
        try {
            for (String side : List.of("Annals", "floor")) {
                Path file = dir.resolve(side + ".db");
                String url = "jdbc:sqlite:" + file;
                if (side.equals("Annals")) {
                    // the log is written without waiting for the disk, the measured appends with
                    // the store's defaults: the pages are the same either way
                    try (JdbcEventStore store = JdbcEventStore.builder(url)
                            .durability(Durability.NORMAL)
                            .open()) {
                        load(annals(store));
                    }
                    try (JdbcEventStore store = JdbcEventStore.open(url)) {
                        sqliteFrames(side, url, file, annals(store));
                    }
                } else {
                    try (Connection c = DriverManager.getConnection(url);
                            Statement st = c.createStatement()) {
                        st.execute("PRAGMA journal_mode = WAL");
                        st.execute("PRAGMA synchronous = NORMAL");
                        st.execute(FloorSide.DDL_SQLITE);
                        Appender floor = floor(new FloorSide.Session(c));
                        load(floor);
                        st.execute("PRAGMA synchronous = FULL");
                        sqliteFrames(side, url, file, floor);
                    }
                }
            }
        } finally {
            Cleanup.deleteTree(dir);
        }
    }

    /** Appends to one stream, 100 commits of 1 event then 50 of 10, each after emptying the WAL. */
    private static void sqliteFrames(String side, String url, Path file, Appender appender) throws Exception {
        Path wal = Path.of(file + "-wal");
        for (int n : new int[] {1, 10}) {
            int commits = n == 1 ? 100 : 50; // fewer than the 1,000 pages of an automatic checkpoint
            String stream = "pages-" + n + "-" + UUID.randomUUID();
            appender.append(stream, 0, n);
            try (Connection c = DriverManager.getConnection(url);
                    Statement st = c.createStatement()) {
                st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            long before = frames(wal);
            for (int i = 1; i <= commits; i++) {
                appender.append(stream, (long) i * n, n);
            }
            System.out.printf(
                    Locale.ROOT,
                    "SQLite      %-6s %2d event(s) per append: %5.1f pages per commit (%d commits)%n",
                    side,
                    n,
                    (frames(wal) - before) / (double) commits,
                    commits);
        }
    }

    /** The frames a WAL file holds: its 32-byte header, then per frame a 24-byte header and a page. */
    private static long frames(Path wal) throws Exception {
        long size = Files.exists(wal) ? Files.size(wal) : 0;
        return size <= 32 ? 0 : (size - 32) / (PAGE_SIZE + 24);
    }

    private static void postgres(String url) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (Connection admin = DriverManager.getConnection(url)) {
            for (String side : List.of("Annals", "floor")) {
                String schema = "annals_bench_pages_" + side.toLowerCase(Locale.ROOT) + "_" + run;
                try (Statement st = admin.createStatement()) {
                    st.execute("CREATE SCHEMA " + schema);
                }
                try {
                    if (side.equals("Annals")) {
                        try (JdbcEventStore store =
                                JdbcEventStore.builder(url).schema(schema).open()) {
                            load(annals(store));
                            walBytes(side, admin, annals(store));
                        }
                    } else {
                        String sep = url.contains("?") ? "&" : "?";
                        try (Connection c = DriverManager.getConnection(url + sep + "currentSchema=" + schema);
                                Statement st = c.createStatement()) {
                            st.execute(FloorSide.DDL_POSTGRES);
                            Appender floor = floor(new FloorSide.Session(c));
                            load(floor);
                            walBytes(side, admin, floor);
                        }
                    }
                } finally {
                    try (Statement st = admin.createStatement()) {
                        st.execute("DROP SCHEMA " + schema + " CASCADE");
                    }
                }
            }
        }
    }

    /**
     * After a checkpoint, 2,000 appends to one stream (so that the pages they touch have been
     * written whole once, as in a steady load), then 2,000 more, measured.
     */
    private static void walBytes(String side, Connection admin, Appender appender) throws Exception {
        for (int n : new int[] {1, 10}) {
            int appends = 2_000;
            String stream = "pages-" + n + "-" + UUID.randomUUID();
            try (Statement st = admin.createStatement()) {
                st.execute("CHECKPOINT");
            }
            long version = 0;
            for (int i = 0; i < appends; i++, version += n) {
                appender.append(stream, version, n);
            }
            String from = walPosition(admin);
            for (int i = 0; i < appends; i++, version += n) {
                appender.append(stream, version, n);
            }
            String to = walPosition(admin);
            try (PreparedStatement ps = admin.prepareStatement("SELECT pg_wal_lsn_diff(?::pg_lsn, ?::pg_lsn)")) {
                ps.setString(1, to);
                ps.setString(2, from);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    System.out.printf(
                            Locale.ROOT,
                            "PostgreSQL  %-6s %2d event(s) per append: %,6.0f WAL bytes per append (%,d appends)%n",
                            side,
                            n,
                            rs.getDouble(1) / appends,
                            appends);
                }
            }
        }
    }

    private static String walPosition(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** A stream of 1,000 events, then streams of 10 up to the log's size, 10 events per append. */
    private static void load(Appender appender) throws Exception {
        for (long v = 0; v < 1_000; v += 10) {
            appender.append("long", v, 10);
        }
        for (long events = 1_000, i = 0; events < LOG; events += 10, i++) {
            appender.append("short-" + i, 0, 10);
        }
    }

    private static Appender annals(JdbcEventStore store) {
        return (stream, version, n) -> {
            List<EventData> events = new ArrayList<>(n);
            for (int i = 1; i <= n; i++) {
                events.add(EventData.of(
                        Peers.TYPE, Peers.JSON.writeValueAsString(Peers.event(stream, version + i)), Peers.METADATA));
            }
            store.append(stream, ExpectedVersion.exactly(version), events);
        };
    }

    /** The floor's append: {@link FloorSide}'s own, one auto-committed (multi-row) INSERT. */
    private static Appender floor(FloorSide.Session session) {
        return (stream, version, n) -> {
            List<Peers.PriceChanged> events = new ArrayList<>(n);
            for (int i = 1; i <= n; i++) {
                events.add(Peers.event(stream, version + i));
            }
            session.append(stream, version, events);
        };
    }
}
