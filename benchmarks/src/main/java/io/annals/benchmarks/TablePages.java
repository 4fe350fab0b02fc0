package io.annals.benchmarks;

import io.annals.eventstore.EventData;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * What one append writes on each of W15's three tables (Annals', Axon's and the floor's): the
 * pages SQLite adds to its WAL per commit, and the bytes of WAL PostgreSQL writes per append.
 * Unlike a timing, these figures do not depend on how busy the machine is. Each side is W15's own
 * ({@link Peers.AnnalsSide}, {@link AxonSide}, {@link FloorSide}) on a database of its own: it first
 * holds a log of 100,000 events written through its own append, then appends 1 and 10 events at a
 * time to one stream, as W15 does. Beside what is written, each measured loop reports its time
 * per append and the CPU time it took: the JVM's, every thread's but the JIT compiler's (the
 * library, the driver, their background threads, the garbage collector and, for SQLite, the
 * database itself; the compiler, still at work on some paths after the load, would swamp short
 * loops) and, on PostgreSQL, that of the server processes serving the side's connections, with the
 * round trips the driver made. Those figures do depend on the machine; the sides run one after the
 * other, not in alternating rounds, so they show where one append's time goes, not a ratio to
 * claim. On PostgreSQL, Annals' table is also written by hand, one part of the server's work taken
 * away at a time (see {@link #POSTGRES_SIDES}), and W15's sides, with Annals without group commit
 * beside them, append from eight threads at once, with the WAL's flushes, the whole machine's CPU
 * and what the server's processes wait for ({@link #eightWriters}). Last, each of W15's sides scans
 * its whole log, with the same clocks.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.annals.benchmarks.TablePages sqlite
 * java -cp benchmarks/target/benchmarks.jar io.annals.benchmarks.TablePages postgres [URL]
 * </pre>
 *
 * On PostgreSQL the server should be otherwise idle: the WAL position counts every session's writes.
 * The server's CPU is read from {@code /proc/PID/schedstat}, so the server must run on this machine.
 */
final class TablePages {

    private static final long LOG = 100_000;
    private static final int PAGE_SIZE = 4096;
    /** The commits timed on SQLite. */
    private static final int TIMED = 1_000;

    /**
     * One side: its name, how it opens on a target, whether it also appends ten events at a time
     * (and scans), and whether it is also measured with eight writers (PostgreSQL).
     */
    private record Side(String name, Opener opener, boolean tens, boolean eight) {}

    private interface Opener {
        Peers.Peer open(Target target) throws Exception;
    }

    private static final Side ANNALS = new Side("Annals", t -> new Peers.AnnalsSide(t, true), true, true);
    private static final Side ANNALS_SINGLE =
            new Side("Annals without group commit", t -> new Peers.AnnalsSide(t, false), false, true);
    private static final Side AXON = new Side("Axon", AxonSide::new, true, true);
    private static final Side FLOOR = new Side("floor", FloorSide::new, true, true);
    /** The threads of the eight-writer measurement. */
    private static final int WRITERS = 8;
    /**
     * The appends each of them makes to warm up, so that the JIT compiler is mostly done with the
     * paths of appends that wait in line (with 1,000 it spent 59 µs per measured append; with
     * 3,000, 8-24 µs): its time is printed apart.
     */
    private static final int WRITER_WARM_UP = 3_000;
    /** The appends each of them makes, measured. */
    private static final int WRITER_APPENDS = 1_000;

    private static final List<Side> SQLITE_SIDES = List.of(ANNALS, AXON, FLOOR);
    /**
     * On PostgreSQL, Annals without group commit beside Annals (for the eight writers), then, before
     * Axon and the floor, Annals' table written by hand (one event at a time): with the store's own
     * statement, with a plain INSERT, then without the trigger, then also without the three indexes
     * the floor does not have. Each step takes away one part of the server's work.
     */
    private static final List<Side> POSTGRES_SIDES = List.of(
            ANNALS,
            ANNALS_SINGLE,
            new Side(ByHand.Shape.STATEMENT.label, t -> new ByHand(t, ByHand.Shape.STATEMENT), false, false),
            new Side(ByHand.Shape.INSERT.label, t -> new ByHand(t, ByHand.Shape.INSERT), false, false),
            new Side(ByHand.Shape.NO_TRIGGER.label, t -> new ByHand(t, ByHand.Shape.NO_TRIGGER), false, false),
            new Side(ByHand.Shape.FLOOR_INDEXES.label, t -> new ByHand(t, ByHand.Shape.FLOOR_INDEXES), false, false),
            AXON,
            FLOOR);

    private TablePages() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !List.of("sqlite", "postgres").contains(args[0])) {
            System.err.println("usage: TablePages sqlite | postgres [jdbc:postgresql://...]");
            System.exit(2);
        }
        boolean sqlite = args[0].equals("sqlite");
        String url = args.length > 1 ? args[1] : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
        String run = UUID.randomUUID().toString().substring(0, 8);
        Path dir = Files.createTempDirectory("annals-table-pages");
        try {
            List<Side> sides = sqlite ? SQLITE_SIDES : POSTGRES_SIDES;
            for (int i = 0; i < sides.size(); i++) {
                Side side = sides.get(i);
                String name = "pages_" + i;
                String application = "annals-table-pages-" + run + "-" + i;
                try (Target target =
                                sqlite ? Target.sqlite(dir, name) : Target.postgres(counted(url, application), name);
                        Peers.Peer peer = side.opener.open(target);
                        Peers.Session session = peer.session()) {
                    load(session);
                    if (sqlite) {
                        sqliteFrames(side.name, target, session);
                        scans(side, null, null, session);
                    } else {
                        try (Connection admin = DriverManager.getConnection(url)) {
                            walBytes(side, admin, application, session);
                            if (side.eight) {
                                eightWriters(side, peer, admin, application);
                            }
                            scans(side, admin, application, session);
                        }
                    }
                    long expected = LOG
                            + (sqlite
                                    ? 1 + 100 + 2 * TIMED + 10 * (1 + 40 + 2 * TIMED)
                                    : 4_000
                                            + (side.tens ? 10 * 4_000 : 0)
                                            + (side.eight ? WRITERS * (WRITER_WARM_UP + WRITER_APPENDS) : 0));
                    if (peer.rows() != expected) {
                        throw new IllegalStateException(
                                side.name + "'s table holds " + peer.rows() + " events, not " + expected);
                    }
                }
            }
        } finally {
            Cleanup.deleteTree(dir);
        }
    }

    /** Appends to one stream, 100 commits of 1 event then 40 of 10, each after emptying the WAL. */
    private static void sqliteFrames(String side, Target target, Peers.Session session) throws Exception {
        Path wal = Path.of(target.file() + "-wal");
        for (int n : new int[] {1, 10}) {
            int commits = n == 1 ? 100 : 40; // fewer than the 1,000 pages of an automatic checkpoint
            String stream = "pages-" + n + "-" + UUID.randomUUID();
            session.append(stream, 0, events(stream, 0, n));
            try (Connection c = DriverManager.getConnection(target.url);
                    Statement st = c.createStatement()) {
                st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            long before = frames(wal);
            for (int i = 1; i <= commits; i++) {
                session.append(stream, (long) i * n, events(stream, (long) i * n, n));
            }
            double pages = (frames(wal) - before) / (double) commits;
            // then, for the time, more commits than the WAL may hold between two checkpoints, after
            // as many again to let the JIT compiler finish with this path
            long version = (long) (commits + 1) * n;
            for (int i = 0; i < TIMED; i++, version += n) {
                session.append(stream, version, events(stream, version, n));
            }
            Reading start = Reading.take(null, null);
            for (int i = 0; i < TIMED; i++, version += n) {
                session.append(stream, version, events(stream, version, n));
            }
            Reading end = Reading.take(null, null);
            System.out.printf(
                    Locale.ROOT,
                    "SQLite      %-6s %2d event(s) per append: %5.1f pages per commit (%d commits), %4.0f us per"
                            + " commit, JVM CPU %4.0f us (%,d commits)%n",
                    side,
                    n,
                    pages,
                    commits,
                    (end.wall - start.wall) / 1e3 / TIMED,
                    (end.jvmCpu - start.jvmCpu) / 1e3 / TIMED,
                    TIMED);
        }
    }

    /** The frames a WAL file holds: its 32-byte header, then per frame a 24-byte header and a page. */
    private static long frames(Path wal) throws Exception {
        long size = Files.exists(wal) ? Files.size(wal) : 0;
        return size <= 32 ? 0 : (size - 32) / (PAGE_SIZE + 24);
    }

    /**
     * After a checkpoint, 2,000 appends to one stream (so that the pages they touch have been
     * written whole once, as in a steady load), then 2,000 more, measured.
     */
    private static void walBytes(Side side, Connection admin, String application, Peers.Session session)
            throws Exception {
        for (int n : side.tens ? new int[] {1, 10} : new int[] {1}) {
            int appends = 2_000;
            String stream = "pages-" + n + "-" + UUID.randomUUID();
            try (Statement st = admin.createStatement()) {
                st.execute("CHECKPOINT");
            }
            long version = 0;
            for (int i = 0; i < appends; i++, version += n) {
                session.append(stream, version, events(stream, version, n));
            }
            String from = walPosition(admin);
            Reading start = Reading.take(admin, application);
            for (int i = 0; i < appends; i++, version += n) {
                session.append(stream, version, events(stream, version, n));
            }
            Reading end = Reading.take(admin, application);
            String to = walPosition(admin);
            try (PreparedStatement ps = admin.prepareStatement("SELECT pg_wal_lsn_diff(?::pg_lsn, ?::pg_lsn)")) {
                ps.setString(1, to);
                ps.setString(2, from);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    System.out.printf(
                            Locale.ROOT,
                            "PostgreSQL  %-28s %2d event(s) per append: %,6.0f WAL bytes per append, %.1f round"
                                    + " trips, %4.0f us, JVM CPU %3.0f us, server CPU %3.0f us (%,d appends)%n",
                            side.name,
                            n,
                            rs.getDouble(1) / appends,
                            (end.roundTrips - start.roundTrips) / (double) appends,
                            (end.wall - start.wall) / 1e3 / appends,
                            (end.jvmCpu - start.jvmCpu) / 1e3 / appends,
                            end.serverCpuSince(start) / 1e3 / appends,
                            appends);
                }
            }
        }
    }

    /**
     * Eight threads, each appending one event at a time to a stream of its own, on a session of its
     * own (W15's eight writers): {@link #WRITER_WARM_UP} each to warm up, then {@link
     * #WRITER_APPENDS} measured.
     * Beside the clocks of {@link #walBytes}: the server's WAL flushes per append, read from its
     * statistics, which a server process that reported less than a second before reports only once
     * it has been idle for up to 10 s (hence the pauses before their readings), and which count
     * every session, like the WAL position; the whole machine's CPU time per append and how busy
     * it was (every process on it: the JVM, the server's processes, the kernel; less the sampler's
     * server process); and what the side's server processes were doing, sampled ({@link
     * WaitSampler}).
     */
    private static void eightWriters(Side side, Peers.Peer peer, Connection admin, String application)
            throws Exception {
        List<Peers.Session> sessions = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            for (int i = 0; i < WRITERS; i++) {
                sessions.add(peer.session());
            }
            String run = UUID.randomUUID().toString().substring(0, 8);
            long[] versions = new long[WRITERS];
            writeAll(pool, sessions, run, versions, WRITER_WARM_UP);
            Thread.sleep(STATS_DELAY_MILLIS);
            long statsFrom = walFlushes(admin);
            WaitSampler.Result states;
            long[] machineFrom;
            long[] machineTo;
            Reading start;
            Reading end;
            String from;
            String to;
            try (WaitSampler sampler = WaitSampler.open(admin, application)) {
                from = walPosition(admin);
                machineFrom = machineCpu();
                start = Reading.take(admin, application);
                sampler.begin();
                writeAll(pool, sessions, run, versions, WRITER_APPENDS);
                states = sampler.stop();
                end = Reading.take(admin, application);
                machineTo = machineCpu();
                to = walPosition(admin);
            }
            Thread.sleep(STATS_DELAY_MILLIS);
            long statsTo = walFlushes(admin);
            double appends = WRITERS * (double) WRITER_APPENDS;
            double seconds = (end.wall - start.wall) / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "PostgreSQL  %-28s %d writers, 1 event per append: %,6.0f appends/s, %,6.0f WAL bytes,"
                            + " %.2f WAL flushes, %.1f round trips, JVM CPU %3.0f us, server CPU %3.0f"
                            + " us, the JIT compiler's %3.0f us, the machine's CPU %3.0f us per append; the machine busy"
                            + " %.0f%% (%,d appends)%n",
                    side.name,
                    WRITERS,
                    appends / seconds,
                    walDistance(admin, to, from) / appends,
                    (statsTo - statsFrom) / appends,
                    (end.roundTrips - start.roundTrips) / appends,
                    (end.jvmCpu - start.jvmCpu) / 1e3 / appends,
                    end.serverCpuSince(start) / 1e3 / appends,
                    (end.jitCpu - start.jitCpu) / 1e3 / appends,
                    ((machineTo[0] - machineFrom[0]) * 1e9 / TICKS - states.samplerCpuNanos()) / 1e3 / appends,
                    100.0 * (machineTo[0] - machineFrom[0]) / (machineTo[1] - machineFrom[1]),
                    (long) appends);
            StringBuilder mean = new StringBuilder();
            states.counts().entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                    .forEach(e -> mean.append(mean.length() == 0 ? "" : ", ")
                            .append(String.format(
                                    Locale.ROOT, "%s %.2f", e.getKey(), e.getValue() / (double) states.snapshots())));
            System.out.printf(
                    Locale.ROOT,
                    "            %-28s its server processes in each state, on average over %,d snapshots: %s%n",
                    side.name,
                    states.snapshots(),
                    mean);
        } finally {
            pool.shutdownNow();
            if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
                System.err.println("the writers of " + side.name + " did not end within 60 s");
            }
            for (Peers.Session s : sessions) {
                s.close();
            }
        }
    }

    /**
     * Samples what the server processes named {@code application} are doing, every 5 ms (and the
     * query's own time) on a connection of its own: on a CPU (active with no wait event, which
     * also counts a process ready to run and waiting for a core), waiting for an event (its type
     * and name, as {@code pg_stat_activity} gives them), or idle, waiting for its client. The
     * sampler's thread is left out of the JVM's CPU ({@link Reading}), and the CPU of its server
     * process is reported, to be taken out of the machine's.
     */
    private static final class WaitSampler implements AutoCloseable {
        /** What was sampled: the count of each state over every snapshot, and the sampler's server CPU. */
        record Result(Map<String, Integer> counts, int snapshots, long samplerCpuNanos) {}

        static final String THREAD = "wait-sampler";

        private final Connection c;
        private final Path schedstat;
        private final Thread thread;
        private final Map<String, Integer> counts = new java.util.TreeMap<>();
        private volatile boolean running = true;
        private int snapshots;
        private long cpuAtBegin;

        private WaitSampler(Connection c, String application) throws SQLException {
            this.c = c;
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                this.schedstat = Path.of("/proc/" + rs.getInt(1) + "/schedstat");
            }
            this.thread = new Thread(() -> sample(application), THREAD);
            this.thread.setDaemon(true);
        }

        /** Opens the sampler's connection; {@link #begin} starts sampling. */
        static WaitSampler open(Connection admin, String application) throws SQLException {
            Connection c = DriverManager.getConnection(admin.getMetaData().getURL());
            try {
                return new WaitSampler(c, application);
            } catch (SQLException | RuntimeException e) {
                c.close();
                throw e;
            }
        }

        void begin() throws IOException {
            cpuAtBegin = Backends.onCpu(schedstat);
            thread.start();
        }

        private void sample(String application) {
            try (PreparedStatement ps = c.prepareStatement("SELECT state, wait_event_type, wait_event"
                    + " FROM pg_stat_activity WHERE application_name = ?")) {
                ps.setString(1, application);
                while (running) {
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            String state = rs.getString(1);
                            String what = !"active".equals(state)
                                    ? "idle"
                                    : rs.getString(2) == null ? "on CPU" : rs.getString(2) + ":" + rs.getString(3);
                            counts.merge(what, 1, Integer::sum);
                        }
                    }
                    snapshots++;
                    Thread.sleep(5);
                }
            } catch (SQLException | InterruptedException e) {
                counts.merge("sampler failed: " + e, 1, Integer::sum);
            }
        }

        Result stop() throws IOException {
            running = false;
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return new Result(counts, Math.max(1, snapshots), Backends.onCpu(schedstat) - cpuAtBegin);
        }

        @Override
        public void close() throws SQLException {
            running = false;
            c.close();
        }
    }

    /** Each writer appends {@code appends} events, one per append, to its own stream. */
    private static void writeAll(
            ExecutorService pool, List<Peers.Session> sessions, String run, long[] versions, int appends)
            throws Exception {
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < sessions.size(); i++) {
            int w = i;
            done.add(pool.submit(() -> {
                String stream = "eight-" + run + "-" + w;
                for (int k = 0; k < appends; k++, versions[w]++) {
                    sessions.get(w).append(stream, versions[w], events(stream, versions[w], 1));
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
    }

    /** The kernel's clock ticks per second (USER_HZ, {@code getconf CLK_TCK}), in which {@code /proc/stat} counts. */
    private static final double TICKS = 100;

    /** Longer than a server process may keep its statistics before it reports them (10 s). */
    private static final long STATS_DELAY_MILLIS = 11_000;

    /**
     * The whole machine's CPU time from {@code /proc/stat}, in clock ticks over every core: busy
     * (user, nice, system, interrupts), and all (busy, idle and waiting for I/O). Time stolen by
     * the hypervisor for other machines counts in neither.
     */
    private static long[] machineCpu() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        long all = 0;
        for (int i = 1; i <= 7; i++) { // user to softirq; the 8th, stolen, left out
            long ticks = Long.parseLong(f[i]);
            all += ticks;
            if (i != 4 && i != 5) { // idle, iowait
                busy += ticks;
            }
        }
        return new long[] {busy, all};
    }

    /** The server's WAL flushes so far (every database's). */
    private static long walFlushes(Connection admin) throws SQLException {
        try (Statement st = admin.createStatement();
                ResultSet rs = st.executeQuery("SELECT wal_sync FROM pg_stat_wal")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The bytes of WAL between two positions. */
    private static double walDistance(Connection admin, String to, String from) throws SQLException {
        try (PreparedStatement ps = admin.prepareStatement("SELECT pg_wal_lsn_diff(?::pg_lsn, ?::pg_lsn)")) {
            ps.setString(1, to);
            ps.setString(2, from);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getDouble(1);
            }
        }
    }

    /**
     * Scans of the whole log, W15's own, by the sides that read (one to warm up, three measured):
     * the time, the JVM's CPU and, on PostgreSQL, the server's CPU per 1,000 events.
     */
    private static void scans(Side side, Connection admin, String application, Peers.Session session) throws Exception {
        if (!side.tens) {
            return; // the by-hand sides only append
        }
        session.scan();
        Reading start = Reading.take(admin, application);
        long events = 0;
        for (int i = 0; i < 3; i++) {
            events += session.scan().count();
        }
        Reading end = Reading.take(admin, application);
        double per = events / 1_000.0;
        System.out.printf(
                Locale.ROOT,
                "%-11s %-28s scan of %,d events: per 1,000 events %,6.0f us, JVM CPU %,6.0f us%s%n",
                admin == null ? "SQLite" : "PostgreSQL",
                side.name,
                events / 3,
                (end.wall - start.wall) / 1e3 / per,
                (end.jvmCpu - start.jvmCpu) / 1e3 / per,
                admin == null
                        ? ""
                        : String.format(
                                Locale.ROOT,
                                ", server CPU %,6.0f us, %.1f round trips",
                                end.serverCpuSince(start) / 1e3 / per,
                                (end.roundTrips - start.roundTrips) / per));
    }

    /** {@code url} with its round trips counted and its server processes named {@code application}. */
    private static String counted(String url, String application) {
        return url + (url.contains("?") ? "&" : "?") + "socketFactory=" + CountingSocketFactory.class.getName()
                + "&ApplicationName=" + application;
    }

    /**
     * The clocks at one moment: wall time, the JVM's CPU time, the round trips counted so far and
     * the CPU time of each server process named {@code application} (none when {@code admin} is null,
     * on SQLite).
     */
    private record Reading(long wall, long jvmCpu, long jitCpu, long roundTrips, Map<Long, Long> serverCpu) {

        static Reading take(Connection admin, String application) throws Exception {
            Map<Long, Long> server = admin == null ? Map.of() : Backends.cpuNanos(admin, application);
            long cpu = 0;
            long jit = 0;
            try (DirectoryStream<Path> threads = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
                for (Path thread : threads) {
                    try {
                        long onCpu = Backends.onCpu(thread.resolve("schedstat"));
                        String name = Files.readString(thread.resolve("comm"));
                        if (name.contains("CompilerThre")) {
                            jit += onCpu;
                        } else if (!name.startsWith(WaitSampler.THREAD)) {
                            cpu += onCpu;
                        }
                    } catch (NoSuchFileException ended) {
                        // a thread that ended in between: its time is lost to both readings
                    }
                }
            }
            return new Reading(System.nanoTime(), cpu, jit, CountingSocketFactory.FLUSHES.get(), server);
        }

        /** The server CPU time spent since {@code start}. */
        long serverCpuSince(Reading start) {
            return Backends.spent(start.serverCpu, serverCpu);
        }
    }

    private static String walPosition(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * Annals' own table (created by the store, and loaded through it, ten events at a time)
     * appended to by hand one event at a time, on a connection of its own with its statement
     * prepared once, binding what the store binds: a time-ordered id from {@link EventData#of},
     * the same payload and metadata.
     */
    private static final class ByHand implements Peers.Peer {

        enum Shape {
            STATEMENT("by hand: the store's statement"),
            INSERT("by hand: INSERT"),
            NO_TRIGGER("by hand: INSERT, no trigger"),
            FLOOR_INDEXES("by hand: and the floor's indexes");

            final String label;

            Shape(String label) {
                this.label = label;
            }
        }

        private static final String INSERT = "INSERT INTO annals_events (position, stream_id, version, event_id, type,"
                + " data, metadata, recorded_at) VALUES (nextval('bench_pages_position'), ?, ?, ?, ?, ?::json,"
                + " ?::json, ?)";

        private final Target target;
        private final Shape shape;
        /** The store on the same table, which creates it and loads it. */
        private final Peers.AnnalsSide store;

        ByHand(Target target, Shape shape) throws SQLException {
            this.target = target;
            this.shape = shape;
            this.store = new Peers.AnnalsSide(target, true);
            try (Connection c = target.raw();
                    Statement st = c.createStatement()) {
                st.execute("CREATE SEQUENCE bench_pages_position START " + Target.RAW_POSITION_START);
                if (shape.compareTo(Shape.NO_TRIGGER) >= 0) {
                    st.execute("ALTER TABLE annals_events DISABLE TRIGGER USER");
                }
                if (shape == Shape.FLOOR_INDEXES) {
                    st.execute("ALTER TABLE annals_events DROP CONSTRAINT annals_events_event_id");
                    st.execute("DROP INDEX annals_events_type_position");
                    st.execute("DROP INDEX annals_events_category_position");
                }
            }
        }

        @Override
        public String name() {
            return shape.label;
        }

        @Override
        public Peers.Session session() throws Exception {
            Connection c = target.raw();
            PreparedStatement ps = c.prepareStatement(shape == Shape.STATEMENT ? AppendStatement.current() : INSERT);
            Peers.Session annals = store.session();
            AppendStatement.Lock lock = AppendStatement.lock(target.schema(), Peers.TYPE);
            return new Peers.Session() {
                @Override
                public void append(String stream, long version, List<Peers.PriceChanged> events) throws Exception {
                    if (events.size() != 1) {
                        annals.append(stream, version, events);
                        return;
                    }
                    EventData e =
                            EventData.of(Peers.TYPE, Peers.JSON.writeValueAsString(events.get(0)), Peers.METADATA);
                    if (shape == Shape.STATEMENT) {
                        lock.bind(ps);
                        ps.setString(3, stream);
                        ps.setString(4, stream);
                        ps.setObject(5, e.eventId());
                        ps.setString(6, e.type());
                        ps.setString(7, e.json());
                        ps.setString(8, Peers.METADATA_JSON);
                        ps.setLong(9, ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now()));
                        ps.setLong(10, version);
                        ps.setLong(11, version);
                        try (ResultSet rs = ps.executeQuery()) {
                            if (!rs.next() || rs.getLong(2) != version + 1) {
                                throw new IllegalStateException("append-one wrote no event at " + (version + 1));
                            }
                        }
                    } else {
                        ps.setString(1, stream);
                        ps.setLong(2, version + 1);
                        ps.setObject(3, e.eventId());
                        ps.setString(4, e.type());
                        ps.setString(5, e.json());
                        ps.setString(6, Peers.METADATA_JSON);
                        ps.setObject(7, OffsetDateTime.now(ZoneOffset.UTC));
                        ps.executeUpdate();
                    }
                }

                @Override
                public Peers.Tally read(String stream) {
                    throw new UnsupportedOperationException("appends only");
                }

                @Override
                public Peers.Tally scan() {
                    throw new UnsupportedOperationException("appends only");
                }

                @Override
                public void close() throws SQLException {
                    c.close();
                }
            };
        }

        @Override
        public long rows() throws SQLException {
            return store.rows();
        }

        @Override
        public void close() throws SQLException {
            store.close();
        }
    }

    /** A stream of 1,000 events, then streams of 10 up to the log's size, 10 events per append. */
    private static void load(Peers.Session session) throws Exception {
        for (long v = 0; v < 1_000; v += 10) {
            session.append("long", v, events("long", v, 10));
        }
        for (long events = 1_000, i = 0; events < LOG; events += 10, i++) {
            String stream = "short-" + i;
            session.append(stream, 0, events(stream, 0, 10));
        }
    }

    /** The {@code n} events that follow {@code version} in {@code stream}. */
    private static List<Peers.PriceChanged> events(String stream, long version, int n) {
        List<Peers.PriceChanged> events = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            events.add(Peers.event(stream, version + i));
        }
        return events;
    }
}
