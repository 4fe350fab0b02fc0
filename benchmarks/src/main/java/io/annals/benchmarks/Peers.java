package io.annals.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.annals.benchmarks.Measure.Op;
import io.annals.benchmarks.Measure.OpFactory;
import io.annals.benchmarks.Measure.Plan;
import io.annals.benchmarks.Measure.Side;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.jdbc.JdbcEventStore;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * W15: Annals side by side with a peer, Axon Framework 4.13's JDBC event storage engine
 * ({@link AxonSide}), and with a floor, raw JDBC on a minimal table ({@link FloorSide}). Each side
 * has a fresh SQLite file or PostgreSQL schema of its own, the same durability, and writes and
 * reads the same events: the same JSON payload (a {@link PriceChanged} encoded by Jackson, the
 * bytes of {@link Domain#json}), the same metadata; as event ids, what each side makes by default
 * (Annals time-ordered UUIDs, Axon and the floor random ones). The three are
 * measured in the same JVM in rounds whose order rotates; after every round the rows each side
 * holds are counted, and every read checks the count, order and content of what it decoded.
 */
final class Peers {

    /** The event's type (Annals, the floor); Axon keeps the payload's class name instead. */
    static final String TYPE = "PriceChanged";
    /** The aggregate type of Axon's domain event messages. */
    static final String AGGREGATE_TYPE = "Price";
    /** The metadata of every event, on every side. */
    static final Map<String, String> METADATA = Map.of("source", "w15");
    /** The same metadata as JSON, as Annals, Axon's serializer and the floor store it. */
    static final String METADATA_JSON = "{\"source\":\"w15\"}";

    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectReader READER = JSON.readerFor(PriceChanged.class);

    /** The page of a log scan: Annals' readAll and the floor's keyset pages (Axon: its batch size, 100). */
    static final int PAGE = 500;
    /** The page of Annals' stream reads: what its command handler reads an aggregate with. */
    static final int STREAM_PAGE = 512;

    /** The payload, decoded the same way on every side. */
    record PriceChanged(String productId, BigDecimal oldPrice, BigDecimal newPrice, BigDecimal variation) {}

    /** The event that takes {@code stream} to {@code version} (1-based); encodes to {@link Domain#json}. */
    static PriceChanged event(String stream, long version) {
        BigDecimal old = Domain.START.add(Domain.STEP.multiply(BigDecimal.valueOf(version - 1)));
        return new PriceChanged(stream, old, old.add(Domain.STEP), Domain.STEP);
    }

    /** One side of the comparison. */
    interface Peer extends AutoCloseable {
        String name();

        /** What one thread works with (its own connection, for the floor). */
        Session session() throws Exception;

        /** The events the side's table holds. */
        long rows() throws SQLException;

        @Override
        void close() throws SQLException;
    }

    /** The operations, each side's way. */
    interface Session extends AutoCloseable {
        /** Appends {@code events} after {@code version} (the stream's current version; 0: new), checked. */
        void append(String stream, long version, List<PriceChanged> events) throws Exception;

        /** Reads a whole stream, oldest first, and decodes every payload. */
        Tally read(String stream) throws Exception;

        /** Reads the whole log in order and decodes every payload. */
        Tally scan() throws Exception;

        @Override
        void close() throws SQLException;
    }

    /** What a read decoded: how many events, and a checksum of their content. */
    static final class Tally {
        private long count;
        private long sum;
        private long last;

        /** The next event of a stream: versions must follow each other from 1. */
        void add(long version, PriceChanged e) {
            if (version != last + 1) {
                throw new IllegalStateException("version " + version + " after " + last);
            }
            last = version;
            addAny(version, e);
        }

        /** An event of the log: its payload must be the one written at {@code version}. */
        void addAny(long version, PriceChanged e) {
            long unscaled = e.newPrice().unscaledValue().longValueExact();
            if (e.newPrice().scale() != 2 || unscaled != 100_000 + version) {
                throw new IllegalStateException("event at version " + version + " decoded as " + e);
            }
            count++;
            sum += e.productId().length() + unscaled;
        }

        long count() {
            return count;
        }

        /** The checksum of the events 1..n of {@code stream}. */
        static long expected(String stream, long n) {
            return n * stream.length() + n * 100_000 + n * (n + 1) / 2;
        }

        void check(long n, long checksum, String what) {
            if (count != n || sum != checksum) {
                throw new IllegalStateException(what + ": decoded " + count + " events (checksum " + sum
                        + "), expected " + n + " (" + checksum + ")");
            }
        }
    }

    /**
     * Annals through its public API, default settings: {@code JdbcEventStore.open(url)}; or, to
     * measure what group commit does, with {@code groupCommit(false)}.
     */
    static final class AnnalsSide implements Peer {
        private final Target target;
        private final JdbcEventStore store;
        private final boolean groupCommit;

        AnnalsSide(Target target, boolean groupCommit) {
            this.target = target;
            this.groupCommit = groupCommit;
            this.store = groupCommit
                    ? JdbcEventStore.open(target.url)
                    : JdbcEventStore.builder(target.url).groupCommit(false).open();
        }

        @Override
        public String name() {
            return groupCommit ? "Annals" : "Annals without group commit";
        }

        @Override
        public Session session() {
            return new Session() {
                @Override
                public void append(String stream, long version, List<PriceChanged> events) throws Exception {
                    List<EventData> data = new ArrayList<>(events.size());
                    for (PriceChanged e : events) {
                        // the ids Annals makes by default (time-ordered), as Axon and the floor
                        // use the ids their users get by default (random)
                        data.add(EventData.of(TYPE, JSON.writeValueAsString(e), METADATA));
                    }
                    store.append(stream, ExpectedVersion.exactly(version), data);
                }

                @Override
                public Tally read(String stream) throws Exception {
                    Tally tally = new Tally();
                    long from = 1;
                    while (true) {
                        List<RecordedEvent> page = store.readStream(stream, from, STREAM_PAGE);
                        for (RecordedEvent r : page) {
                            tally.add(r.version(), READER.readValue(r.json()));
                        }
                        if (page.size() < STREAM_PAGE) {
                            return tally;
                        }
                        from = page.get(page.size() - 1).version() + 1;
                    }
                }

                @Override
                public Tally scan() throws Exception {
                    Tally tally = new Tally();
                    long after = 0;
                    while (true) {
                        List<RecordedEvent> page = store.readAll(after, PAGE);
                        if (page.isEmpty()) {
                            return tally;
                        }
                        for (RecordedEvent r : page) {
                            tally.addAny(r.version(), READER.readValue(r.json()));
                        }
                        after = page.get(page.size() - 1).position();
                    }
                }

                @Override
                public void close() {}
            };
        }

        @Override
        public long rows() throws SQLException {
            try (Connection c = target.raw();
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM annals_events")) {
                rs.next();
                return rs.getLong(1);
            }
        }

        @Override
        public void close() {
            store.close();
        }
    }

    /** On SQLite, checks that a side's connection has WAL, synchronous=FULL and a 5 s busy timeout. */
    static void checkSqlitePragmas(Target target, Connection c, String who) throws SQLException {
        if (!target.sqlite()) {
            return;
        }
        try (Statement st = c.createStatement()) {
            String journal = string(st, "PRAGMA journal_mode");
            String synchronous = string(st, "PRAGMA synchronous");
            String busy = string(st, "PRAGMA busy_timeout");
            if (!"wal".equalsIgnoreCase(journal) || !"2".equals(synchronous) || !"5000".equals(busy)) {
                throw new IllegalStateException(who + " runs with journal_mode=" + journal + ", synchronous="
                        + synchronous + ", busy_timeout=" + busy + ": expected wal, 2 (FULL), 5000");
            }
        }
    }

    private static String string(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    // --- the workload ----------------------------------------------------------------------

    private final Target.Kind kind;
    private final Results results;
    private final Plan plan;
    private final int scanPasses;
    private final long logSize;
    private final String db;
    private final String run = UUID.randomUUID().toString().substring(0, 8);

    private List<Peer> peers;
    /** Annals without group commit: loaded as the others are, measured with 8 writers only. */
    private Peer solo;
    /** Per side: the events its table should hold. */
    private AtomicLong[] stored;

    /**
     * @param plan the rounds (at least 5 are measured)
     * @param scanPasses the measured passes of each side over the log (after one of warm-up)
     * @param logSize the events the log holds for the scan (a multiple of 10, at least 2,010)
     */
    Peers(Target.Kind kind, Results results, Plan plan, int scanPasses, long logSize) {
        this.kind = kind;
        this.results = results;
        this.plan = plan(plan);
        this.scanPasses = Math.max(5, scanPasses);
        this.logSize = logSize;
        this.db = kind.label;
    }

    /**
     * W15's rounds from the run's base plan: at least 5 measured, after at least 0.5 s of warm-up
     * (Axon's paths need more than the quick mode's 0.2 s).
     */
    static Plan plan(Plan base) {
        return new Plan(Math.max(base.warmNanos(), 500_000_000L), base.roundNanos(), Math.max(5, base.rounds()));
    }

    /**
     * Runs every workload; {@code solo} is a schema for Annals without group commit, measured in
     * the same rounds as the others with 8 writers on PostgreSQL.
     */
    void run(Target annals, Target axon, Target floor, Target solo) throws Exception {
        try (Peer a = new AnnalsSide(annals, true);
                Peer x = new AxonSide(axon);
                Peer f = new FloorSide(floor);
                Peer s = new AnnalsSide(solo, false)) {
            peers = List.of(a, x, f, s);
            this.solo = s;
            stored = new AtomicLong[] {new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong()};
            long loaded = load();
            peers = List.of(a, x, f);
            reads(loaded);
            writes();
            versionCheck();
        }
    }

    private String stream(String what, int i) {
        return "w15-" + what + "-" + run + "-" + i;
    }

    private static List<PriceChanged> events(String stream, long version, int n) {
        List<PriceChanged> out = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            out.add(event(stream, version + i));
        }
        return out;
    }

    /**
     * Writes the same events through each side's own API, 10 per append (setup, not measured): a
     * stream of 1,000 events, 100 streams of 10, then streams of 10 up to the log's size. Returns
     * the checksum of the whole log.
     */
    private long load() throws Exception {
        long began = System.nanoTime();
        String json = JSON.writeValueAsString(event("p", 7));
        if (!json.equals(Domain.json("p", 7))
                || !JSON.writeValueAsString(METADATA).equals(METADATA_JSON)) {
            throw new IllegalStateException("Jackson writes " + json + ", not " + Domain.json("p", 7));
        }
        long checksum = 0;
        for (int s = 0; s < peers.size(); s++) {
            Peer p = peers.get(s);
            long events = 0;
            try (Session session = p.session()) {
                String big = stream("long", 0);
                for (long v = 0; v < 1_000; v += 10) {
                    session.append(big, v, events(big, v, 10));
                }
                events += 1_000;
                for (int i = 0; events < logSize; i++) {
                    String small = stream("short", i);
                    session.append(small, 0, events(small, 0, 10));
                    events += 10;
                    if (s == 0) {
                        checksum += Tally.expected(small, 10);
                    }
                }
            }
            stored[s].addAndGet(events);
            checkRows(s, "after loading");
        }
        checksum += Tally.expected(stream("long", 0), 1_000);
        System.out.printf(
                Locale.ROOT,
                "   loaded %,d events into each side (1 stream of 1,000, %,d of 10) in %.1f s%n",
                logSize,
                (logSize - 1_000) / 10,
                (System.nanoTime() - began) / 1e9);
        return checksum;
    }

    private void checkRows(int side, String when) throws SQLException {
        long rows = peers.get(side).rows();
        if (rows != stored[side].get()) {
            throw new IllegalStateException(
                    peers.get(side).name() + " holds " + rows + " events " + when + ", expected " + stored[side].get());
        }
    }

    // --- reads -------------------------------------------------------------------------------

    private void reads(long logChecksum) throws Exception {
        String big = stream("long", 0);
        long bigSum = Tally.expected(big, 1_000);
        Side[] r = measure(1, side -> session -> () -> session.read(big).check(1_000, bigSum, "read " + big), null);
        report("read a 1,000-event stream and decode it", "reads/s", r, true, 0.9);

        r = measure(
                1,
                side -> session -> {
                    int[] next = {0};
                    return () -> {
                        String s = stream("short", next[0]++ % 100);
                        session.read(s).check(10, Tally.expected(s, 10), "read " + s);
                    };
                },
                null);
        report("read a 10-event stream and decode it (100 streams in turn)", "reads/s", r, true, 0.9);

        Side[] scans = scan(logChecksum);
        report(
                String.format(Locale.ROOT, "scan the whole log of %s events and decode it", Results.count(logSize)),
                "events/s",
                scans,
                true,
                0.9);
    }

    private Side[] scan(long checksum) throws Exception {
        List<Session> sessions = new ArrayList<>();
        try {
            for (Peer p : peers) {
                sessions.add(p.session());
            }
            for (Session s : sessions) { // warm-up
                s.scan().check(logSize, checksum, "scan");
            }
            double[][] figures = new double[peers.size()][scanPasses];
            for (int round = 0; round < scanPasses; round++) {
                for (int i = 0; i < peers.size(); i++) {
                    int s = (i + round) % peers.size();
                    Session session = sessions.get(s);
                    figures[s][round] = Measure.rate(() -> {
                        Tally t = session.scan();
                        t.check(logSize, checksum, peers.get(s).name() + " scan");
                        return t.count();
                    });
                }
            }
            return sides(figures);
        } finally {
            for (Session s : sessions) {
                s.close();
            }
        }
    }

    // --- writes ------------------------------------------------------------------------------

    private void writes() throws Exception {
        AfterRound count = (side, round) -> checkRows(side, round < 0 ? "after the warm-up" : "after round " + round);
        Side[] r = measure(1, appends("one", 1, null), count);
        report("append 1 event, expected version, 1 writer", "appends/s", r, true, 0.95);

        r = measure(1, appends("ten", 10, null), count);
        report(
                "append 10 events in one call, expected version, 1 writer",
                "appends/s",
                r,
                true,
                kind == Target.Kind.POSTGRES ? 1.0 : 0.85);

        if (kind == Target.Kind.POSTGRES) {
            int threads = 8;
            List<Peer> three = peers;
            peers = List.of(three.get(0), three.get(1), three.get(2), solo);
            Latencies[] latencies = new Latencies[peers.size()];
            for (int i = 0; i < latencies.length; i++) {
                latencies[i] = new Latencies(plan.rounds());
            }
            r = measure(threads, appends("eight", 1, latencies), (side, round) -> {
                count.after(side, round);
                latencies[side].endRound(round);
            });
            report("append 1 event, expected version, 8 writers on their own streams", "appends/s", r, true, 1.1);
            Side[] p50 = new Side[peers.size()];
            Side[] p99 = new Side[peers.size()];
            for (int i = 0; i < p50.length; i++) {
                p50[i] = new Side(latencies[i].p50);
                p99[i] = new Side(latencies[i].p99);
            }
            report("append 1 event, 8 writers: latency p50", "µs", p50, false, null);
            report("append 1 event, 8 writers: latency p99", "µs", p99, false, null);
            results.compare(
                    "W15",
                    db,
                    "append 1 event, 8 writers: group commit on and off",
                    "appends/s",
                    new Measure.Pair(r[0], r[3]),
                    "Annals with groupCommit(false), the same rounds",
                    true,
                    null,
                    "");
            peers = three;
        }
    }

    /** Each thread appends {@code n} events at a time to a new stream of its own, expected version checked. */
    private SessionOps appends(String what, int n, Latencies[] latencies) {
        return side -> session -> {
            String stream = stream(what, 0) + "-" + UUID.randomUUID().toString().substring(0, 8);
            long[] version = {0};
            Latencies.Recorder times = latencies == null ? null : latencies[side].thread();
            return () -> {
                long began = times == null ? 0 : System.nanoTime();
                session.append(stream, version[0], events(stream, version[0], n));
                if (times != null) {
                    times.add(System.nanoTime() - began);
                }
                version[0] += n;
                stored[side].addAndGet(n);
            };
        };
    }

    /** A second append at the same expected version is refused on every side and writes nothing. */
    private void versionCheck() throws Exception {
        StringBuilder refusals = new StringBuilder();
        for (int s = 0; s < peers.size(); s++) {
            Peer p = peers.get(s);
            String stream = stream("conflict", 0);
            try (Session session = p.session()) {
                session.append(stream, 0, events(stream, 0, 1));
                stored[s].incrementAndGet();
                Exception refused = null;
                try {
                    session.append(stream, 0, List.of(event(stream, 1)));
                } catch (Exception e) {
                    refused = e;
                }
                if (refused == null) {
                    throw new IllegalStateException(p.name() + " accepted a second event at version 1");
                }
                refusals.append(refusals.length() == 0 ? "" : ", ")
                        .append(p.name())
                        .append(": ")
                        .append(refused.getClass().getSimpleName());
                if (!(refused instanceof WrongExpectedVersionException)) {
                    refusals.append(" (")
                            .append(rootCause(refused).getClass().getSimpleName())
                            .append(")");
                }
            }
            checkRows(s, "after a refused append");
        }
        System.out.println("   a second append at the same version is refused, nothing written: " + refusals);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    // --- measuring ---------------------------------------------------------------------------

    /** Makes, for side {@code side}, the per-thread operation over a session of that side. */
    private interface SessionOps {
        SessionOp forSide(int side);
    }

    private interface SessionOp {
        Op create(Session session) throws Exception;
    }

    /** Called after every round of a side; round -1 is the warm-up. */
    private interface AfterRound {
        void after(int side, int round) throws Exception;
    }

    /**
     * Every side for {@code threads} threads: a warm-up each, then {@code plan.rounds()} rounds in
     * which the order of the sides rotates.
     */
    private Side[] measure(int threads, SessionOps ops, AfterRound after) throws Exception {
        OpFactory[] factories = new OpFactory[peers.size()];
        for (int i = 0; i < factories.length; i++) {
            Peer p = peers.get(i);
            SessionOp op = ops.forSide(i);
            factories[i] = thread -> {
                Session session = p.session();
                Op inner = op.create(session);
                return new Op() {
                    @Override
                    public void run() throws Exception {
                        inner.run();
                    }

                    @Override
                    public void close() throws SQLException {
                        session.close();
                    }
                };
            };
        }
        for (int i = 0; i < factories.length; i++) {
            Measure.throughput(threads, plan.warmNanos(), factories[i]);
            if (after != null) {
                after.after(i, -1);
            }
        }
        double[][] figures = new double[factories.length][plan.rounds()];
        for (int round = 0; round < plan.rounds(); round++) {
            for (int i = 0; i < factories.length; i++) {
                int s = (i + round) % factories.length;
                figures[s][round] = Measure.throughput(threads, plan.roundNanos(), factories[s]);
                if (after != null) {
                    after.after(s, round);
                }
            }
        }
        return sides(figures);
    }

    private static Side[] sides(double[][] figures) {
        Side[] out = new Side[figures.length];
        for (int i = 0; i < figures.length; i++) {
            out[i] = new Side(figures[i]);
        }
        return out;
    }

    /** Reports a workload's three sides; {@code floorTarget}: the least Annals should do of the floor. */
    private void report(String what, String unit, Side[] sides, boolean higherIsBetter, Double floorTarget) {
        results.compareSides(
                "W15",
                db,
                what,
                unit,
                sides[0],
                sides[1],
                "Axon Framework 4.13 JdbcEventStorageEngine",
                sides[2],
                "floor: raw JDBC, minimal table, one statement",
                higherIsBetter,
                floorTarget);
    }

    /** Latencies of one side's threads, by round: p50 and p99 in µs. */
    private static final class Latencies {
        final double[] p50;
        final double[] p99;
        private final List<Recorder> threads = new ArrayList<>();

        Latencies(int rounds) {
            p50 = new double[rounds];
            p99 = new double[rounds];
        }

        synchronized Recorder thread() {
            Recorder t = new Recorder();
            threads.add(t);
            return t;
        }

        /** Takes the latencies of the round that just ended (a warm-up's are dropped). */
        synchronized void endRound(int round) {
            int n = 0;
            for (Recorder t : threads) {
                n += t.n;
            }
            long[] all = new long[n];
            int at = 0;
            for (Recorder t : threads) {
                System.arraycopy(t.nanos, 0, all, at, t.n);
                at += t.n;
            }
            threads.clear();
            if (round < 0 || n == 0) {
                return;
            }
            Arrays.sort(all);
            p50[round] = all[(int) Math.min(n - 1, Math.round(0.50 * (n - 1)))] / 1e3;
            p99[round] = all[(int) Math.min(n - 1, Math.round(0.99 * (n - 1)))] / 1e3;
        }

        /** One thread's latencies. */
        static final class Recorder {
            long[] nanos = new long[4096];
            int n;

            void add(long v) {
                if (n == nanos.length) {
                    nanos = Arrays.copyOf(nanos, n * 2);
                }
                nanos[n++] = v;
            }
        }
    }
}
