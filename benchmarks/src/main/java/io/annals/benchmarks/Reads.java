package io.annals.benchmarks;

import io.annals.benchmarks.Measure.Op;
import io.annals.benchmarks.Measure.OpFactory;
import io.annals.benchmarks.Measure.Pair;
import io.annals.benchmarks.Measure.Plan;
import io.annals.benchmarks.Measure.Side;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.command.AggregateState;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.jdbc.SqlProjection;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/** W5 (loading aggregates), W6 (the log and a projection over it), W8 (growth). */
final class Reads {

    /** The page size of readAll in W6 and W8. */
    static final int PAGE = 500;

    private final Target target;
    private final JdbcEventStore store;
    private final Results results;
    private final String db;

    Reads(Target target, JdbcEventStore store, Results results) {
        this.target = target;
        this.store = store;
        this.results = results;
        this.db = target.kind.label;
    }

    // --- W5 ----------------------------------------------------------------------------------

    /** Loads aggregates of each size, with and without a snapshot at their last event. */
    void w5(long[] sizes, Plan plan, Plan slowPlan) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<Long, String> ids = new LinkedHashMap<>();
        try (Loader loader = new Loader(target)) {
            for (long n : sizes) {
                String id = "load" + n + "-" + run;
                UUID last = loader.stream("price-" + id, n);
                store.snapshots()
                        .save(new Snapshot(
                                "price-" + id, n, last, 1, Domain.STATE.serialize(Domain.stateAt(n)), Instant.now()));
                ids.put(n, id);
            }
        }
        target.analyze();
        CommandHandler<Domain.Price, Domain.ChangePrice, Domain.PriceEvent> plain =
                CommandHandler.builder(new Domain.Prices(), store, Domain.CODEC).build();
        CommandHandler<Domain.Price, Domain.ChangePrice, Domain.PriceEvent> snapshots = CommandHandler.builder(
                        new Domain.Prices(), store, Domain.CODEC)
                .snapshots(new SnapshotSettings<>(store.snapshots(), Domain.STATE, 1, SnapshotPolicy.everyEvents(100)))
                .build();
        double smallest = 0;
        double largest = 0;
        for (long n : sizes) {
            String id = ids.get(n);
            for (boolean withSnapshot : new boolean[] {false, true}) {
                CommandHandler<Domain.Price, Domain.ChangePrice, Domain.PriceEvent> h =
                        withSnapshot ? snapshots : plain;
                OpFactory annals = t -> () -> {
                    AggregateState<Domain.Price> s = h.load(id);
                    if (s.version() != n || s.state().changes() != n) {
                        throw new IllegalStateException("loaded " + s + ", expected version " + n);
                    }
                };
                OpFactory raw = t -> {
                    Raw r = new Raw(target);
                    return new Op() {
                        @Override
                        public void run() throws SQLException {
                            Domain.Price p = rawLoad(r.c, "price-" + id, withSnapshot);
                            if (p.changes() != n) {
                                throw new IllegalStateException("raw load found " + p.changes());
                            }
                        }

                        @Override
                        public void close() throws SQLException {
                            r.close();
                        }
                    };
                };
                Pair p = Measure.compare(!withSnapshot && n >= 100_000 ? slowPlan : plan, 1, annals, raw);
                String what = String.format(
                        "load an aggregate of %,d events, %s",
                        n, withSnapshot ? "snapshot at its last event" : "no snapshot");
                results.compare(
                        "W5",
                        db,
                        what,
                        "ms/load",
                        Results.perOp(p, 1e3),
                        withSnapshot
                                ? "raw: snapshot row + events after it, decode, fold"
                                : "raw: one SELECT of the stream, decode, fold",
                        false,
                        null,
                        "");
                if (withSnapshot && n == sizes[0]) {
                    smallest = 1e3 / p.annals().median();
                }
                if (withSnapshot && n == sizes[sizes.length - 1]) {
                    largest = 1e3 / p.annals().median();
                }
            }
        }
        // The target compares Annals with itself: measured the same way, alternating, so that the
        // order of the cases above (and the garbage the big loads leave) weighs on neither side.
        long big = sizes[sizes.length - 1];
        Pair self = Measure.compare(
                plan, 1, t -> () -> snapshots.load(ids.get(big)), t -> () -> snapshots.load(ids.get(sizes[0])));
        double ratio = self.baseline().median() / self.annals().median();
        results.check(
                "W5",
                db,
                String.format(
                        "with a snapshot, loading %,d events takes no longer than %,d " + "(within noise: x1.25)",
                        big, sizes[0]),
                String.format(
                        "%.3f ms vs %.3f ms: x%.2f",
                        1e3 / self.annals().median(), 1e3 / self.baseline().median(), ratio),
                ratio <= 1.25,
                String.format("measured back to back; in the rows above %.3f ms vs %.3f ms", largest, smallest));
    }

    /** The hand-written load: one query for the events (after the snapshot, if any), decode, fold. */
    static Domain.Price rawLoad(Connection c, String stream, boolean withSnapshot) throws SQLException {
        Domain.Prices agg = new Domain.Prices();
        Domain.Price state = agg.initialState();
        long after = 0;
        if (withSnapshot) {
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT version, state FROM annals_snapshots WHERE stream_id = ?")) {
                ps.setString(1, stream);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        after = rs.getLong(1);
                        state = Domain.STATE.deserialize(rs.getString(2));
                    }
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT type, data FROM annals_events WHERE stream_id = ? AND version > ? ORDER BY version")) {
            ps.setString(1, stream);
            ps.setLong(2, after);
            ps.setFetchSize(1000);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    state = agg.evolve(state, Domain.CODEC.fromJson(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return state;
    }

    // --- W6 ----------------------------------------------------------------------------------

    /**
     * readAll over the whole history against a raw paged scan, then a keyed projection catching up
     * over it against the same scan and against a hand-written catch-up that writes the same rows.
     */
    void w6(long events, long lastLoaded, int warm, int rounds, int projectionWarm, int projectionRounds)
            throws Exception {
        Measure.Pass annalsScan = () -> {
            long n = 0;
            long after = 0;
            long sum = 0;
            while (true) {
                List<RecordedEvent> page = store.readAll(after, PAGE);
                if (page.isEmpty()) {
                    return n;
                }
                for (RecordedEvent e : page) {
                    if (e.position() > lastLoaded) {
                        return n;
                    }
                    sum += e.version();
                    n++;
                }
                after = page.get(page.size() - 1).position();
                if (sum < 0) {
                    throw new IllegalStateException();
                }
            }
        };
        Measure.Pass rawScan = () -> {
            try (Raw r = new Raw(target)) {
                long[] n = {0};
                long after = 0;
                while (after >= 0 && after < lastLoaded) {
                    after = r.readAllPage(after, PAGE, n, lastLoaded);
                }
                return n[0];
            }
        };
        Pair scan = Measure.comparePasses(warm, rounds, annalsScan, rawScan);
        results.compare(
                "W6",
                db,
                String.format("readAll over %,d events, pages of %d", events, PAGE),
                "events/s",
                scan,
                "raw paged scan (same query, every column)",
                true,
                0.7,
                "");

        KeyedProjector<String, Domain.Summary> summaries =
                store.projectors().keyed(new Domain.Summaries(), Domain.CODEC, Domain.SUMMARY);
        ColumnSummaries columns = new ColumnSummaries();
        ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(summaries)
                .add(store.projectors().sql(columns, Domain.CODEC))
                .build();
        Measure.Pass project =
                () -> runner.rebuild(Domain.Summaries.NAME, p -> {}).done();
        Measure.Pass projectColumns =
                () -> runner.rebuild(ColumnSummaries.NAME, p -> {}).done();
        Measure.Pass handWritten = () -> handWrittenCatchUp(new ColumnRows());
        JsonRows jsonRows = new JsonRows();
        Measure.Pass handWrittenJson = () -> handWrittenCatchUp(jsonRows);
        // the keyed projection again, each page read when its batch begins (readAhead off)
        ProjectionRunner inTurn = ProjectionRunner.builder(store)
                .add(store.projectors().keyed(new Domain.Summaries(), Domain.CODEC, Domain.SUMMARY))
                .readAhead(false)
                .build();
        Measure.Pass projectInTurn =
                () -> inTurn.rebuild(Domain.Summaries.NAME, p -> {}).done();
        // five sides: a warm-up pass of each, and rounds in which each side runs first as often
        int rotations = Math.max(1, (projectionRounds + 4) / 5);
        Side[] sides = Measure.rotatePasses(
                Math.max(1, projectionWarm),
                5 * rotations,
                project,
                projectColumns,
                handWritten,
                handWrittenJson,
                projectInTurn);
        Pair catchUp = new Pair(sides[0], sides[2]);
        runner.close();
        inTurn.close();
        jsonRows.check(target, columns.check(target));
        results.compare(
                "W6",
                db,
                String.format(
                        "projection catch-up over %,d events into a keyed read model "
                                + "(a row per stream), batches of 500",
                        events),
                "events/s",
                new Pair(catchUp.annals(), scan.baseline()),
                "raw paged scan (as above)",
                true,
                0.5,
                "");
        results.compare(
                "W6",
                db,
                String.format("projection catch-up over %,d events (as above)", events),
                "events/s",
                catchUp,
                "hand-written JDBC catch-up: paged scan, decode, batched upserts " + "+ checkpoint per batch",
                true,
                1.0,
                "");
        results.compare(
                "W6",
                db,
                String.format(
                        "the same read model in columns: a SqlProjection with applyAll, catch-up over %,d events",
                        events),
                "events/s",
                new Pair(sides[1], sides[2]),
                "hand-written JDBC catch-up (as above)",
                true,
                null,
                "the runner's own cost: the same rows, statements and batches as the hand-written one");
        results.compare(
                "W6",
                db,
                "keyed projection (JSON rows) against the same read model in columns",
                "events/s",
                new Pair(sides[0], sides[1]),
                "SqlProjection with applyAll (as above), the same rounds",
                true,
                null,
                "what keeping each row as JSON through a StateCodec costs");
        results.compare(
                "W6",
                db,
                "keyed projection (JSON rows) against a hand-written catch-up into the same JSON rows",
                "events/s",
                new Pair(sides[0], sides[3]),
                "hand-written JDBC catch-up: every row in memory, each changed row encoded once per batch "
                        + "and upserted into a table shaped like the store's rows table",
                true,
                null,
                String.format(
                        Locale.ROOT,
                        "the floor of JSON rows: that hand-written catch-up ran at %.2f of the hand-written one "
                                + "in columns, the same rounds",
                        sides[3].median() / sides[2].median()));
        results.compare(
                "W6",
                db,
                "keyed projection (JSON rows), the next page read while a batch is applied (readAhead, the default)",
                "events/s",
                new Pair(sides[0], sides[4]),
                "the same keyed projection, each page read when its batch begins (readAhead off), the same rounds",
                true,
                null,
                String.format(
                        Locale.ROOT,
                        "read ahead, the runner reads on a second thread: off, the keyed catch-up ran at %.2f of "
                                + "the hand-written one in columns",
                        sides[4].median() / sides[2].median()));
    }

    /**
     * W6's read model written as the hand-written catch-up writes it: a row per stream in columns,
     * one batched upsert per batch, in the batch's transaction. What remains between it and the
     * hand-written catch-up is the runner's own work; between it and the keyed projection, the
     * JSON of the keyed projection's rows.
     */
    static final class ColumnSummaries implements SqlProjection<Domain.PriceEvent> {
        static final String NAME = "bench-summary-columns";
        private static final String TABLE = "bench_column_summary";

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public void apply(Connection c, Envelope<Domain.PriceEvent> e) throws SQLException {
            applyAll(c, List.of(e));
        }

        @Override
        public void applyAll(Connection c, List<Envelope<Domain.PriceEvent>> events) throws SQLException {
            try (PreparedStatement upsert = c.prepareStatement(columnUpsert(TABLE))) {
                for (Envelope<Domain.PriceEvent> e : events) {
                    upsert.setString(1, e.recorded().streamId());
                    upsert.setLong(2, e.recorded().version());
                    upsert.setString(
                            3, ((Domain.PriceChanged) e.event()).newPrice().toPlainString());
                    upsert.addBatch();
                }
                upsert.executeBatch();
            }
        }

        @Override
        public void reset(Connection c) throws SQLException {
            emptyColumnTable(c, TABLE);
        }

        /**
         * After the last pass: this read model and the hand-written one count every event of the
         * store's log, and each row's count is its stream's last version (streams begin at
         * version 1), so that neither side did less work than the log asks. On PostgreSQL the
         * rows that W8's raw baseline wrote at positions from {@link Target#RAW_POSITION_START}
         * are not the store's: it never reads them, and the hand-written catch-up skips them too.
         */
        long check(Target target) throws SQLException {
            try (Connection c = target.raw();
                    PreparedStatement st = c.prepareStatement("SELECT (SELECT COUNT(*) FROM annals_events "
                            + "WHERE position < ?), (SELECT SUM(events) FROM " + TABLE + "), (SELECT SUM(last_version) "
                            + "FROM " + TABLE + "), (SELECT SUM(events) FROM bench_summary)")) {
                st.setLong(1, target.storeLogEnd());
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    long log = rs.getLong(1);
                    if (log == 0 || rs.getLong(2) != log || rs.getLong(3) != log || rs.getLong(4) != log) {
                        throw new IllegalStateException("the log holds " + log + " events; the column read model "
                                + "counted " + rs.getLong(2) + " (versions summing to " + rs.getLong(3)
                                + "), the hand-written one " + rs.getLong(4));
                    }
                    return log;
                }
            }
        }
    }

    /** Creates (if needed) and empties a table of W6's read model in columns. */
    private static void emptyColumnTable(Connection c, String table) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + table + " (key TEXT PRIMARY KEY, events BIGINT NOT NULL, "
                    + "last_version BIGINT NOT NULL, price TEXT NOT NULL)");
            st.execute("DELETE FROM " + table);
        }
    }

    /** The upsert of one event into a table of W6's read model in columns: key, version, price. */
    private static String columnUpsert(String table) {
        return "INSERT INTO " + table + " (key, events, last_version, price) VALUES (?, 1, ?, ?) "
                + "ON CONFLICT (key) DO UPDATE SET events = " + table + ".events + 1, "
                + "last_version = excluded.last_version, price = excluded.price";
    }

    /**
     * What a hand-written catch-up writes for each page of the log, in the page's transaction,
     * after moving its checkpoint.
     */
    private interface PageWriter {
        /**
         * Creates (if needed) and empties the read model, on the catch-up's connection, and
         * prepares the statement the pages are written with, once per pass.
         */
        PreparedStatement open(Connection c) throws SQLException;

        /** Applies a page: each row holds the stream id, the version, the type and the data. */
        void write(PreparedStatement upsert, List<String[]> page) throws SQLException;
    }

    /** W6's read model in columns: one upsert per event, the count kept by the database. */
    private static final class ColumnRows implements PageWriter {
        @Override
        public PreparedStatement open(Connection c) throws SQLException {
            emptyColumnTable(c, "bench_summary");
            return c.prepareStatement(columnUpsert("bench_summary"));
        }

        @Override
        public void write(PreparedStatement upsert, List<String[]> page) throws SQLException {
            for (String[] row : page) {
                Domain.PriceChanged e = (Domain.PriceChanged) Domain.CODEC.fromJson(row[2], row[3]);
                upsert.setString(1, row[0]);
                upsert.setLong(2, Long.parseLong(row[1]));
                upsert.setString(3, e.newPrice().toPlainString());
                upsert.addBatch();
            }
            upsert.executeBatch();
        }
    }

    /**
     * W6's read model as the keyed projection keeps it, with the least work JSON rows allow: every
     * row held in memory (this catch-up is the read model's only writer, so it never reads a row
     * back or decodes one), the rows a page changed encoded once each by the same StateCodec and
     * upserted into a table shaped like the store's rows table, (projection, key) -> value.
     */
    private static final class JsonRows implements PageWriter {
        private final Map<String, Domain.Summary> rows = new HashMap<>();

        @Override
        public PreparedStatement open(Connection c) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.execute(
                        "CREATE TABLE IF NOT EXISTS bench_json_summary (projection TEXT NOT NULL, key TEXT NOT NULL, "
                                + "value TEXT NOT NULL, PRIMARY KEY (projection, key))");
                st.execute("DELETE FROM bench_json_summary");
            }
            rows.clear();
            return c.prepareStatement(
                    "INSERT INTO bench_json_summary (projection, key, value) VALUES ('summary', ?, ?) "
                            + "ON CONFLICT (projection, key) DO UPDATE SET value = excluded.value");
        }

        @Override
        public void write(PreparedStatement upsert, List<String[]> page) throws SQLException {
            Map<String, Domain.Summary> changed = new LinkedHashMap<>();
            for (String[] row : page) {
                Domain.PriceChanged e = (Domain.PriceChanged) Domain.CODEC.fromJson(row[2], row[3]);
                Domain.Summary after = Domain.Summary.after(rows.get(row[0]), Long.parseLong(row[1]), e.newPrice());
                rows.put(row[0], after);
                changed.put(row[0], after);
            }
            for (Map.Entry<String, Domain.Summary> row : changed.entrySet()) {
                upsert.setString(1, row.getKey());
                upsert.setString(2, Domain.SUMMARY.serialize(row.getValue()));
                upsert.addBatch();
            }
            upsert.executeBatch();
        }

        /**
         * After the last pass: the rows, decoded, count the {@code log} events of the store's log,
         * and each row's count is its stream's last version, as the column read models' do.
         */
        void check(Target target, long log) throws SQLException {
            long events = 0;
            long versions = 0;
            try (Connection c = target.raw();
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT value FROM bench_json_summary")) {
                while (rs.next()) {
                    Domain.Summary row = Domain.SUMMARY.deserialize(rs.getString(1));
                    events += row.events();
                    versions += row.lastVersion();
                }
            }
            long memory =
                    rows.values().stream().mapToLong(Domain.Summary::events).sum();
            if (log == 0 || events != log || versions != log || memory != log) {
                throw new IllegalStateException("the log holds " + log + " events; the JSON rows count " + events
                        + " (versions summing to " + versions + "; " + memory + " in memory)");
            }
        }
    }

    /**
     * A hand-written projection: pages of the log, decoded, the page's rows written by {@code
     * writer}, a transaction per page that first moves a checkpoint by compare-and-set.
     */
    private long handWrittenCatchUp(PageWriter writer) throws SQLException {
        try (Raw r = new Raw(target);
                Statement st = r.c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS bench_checkpoint (name TEXT PRIMARY KEY, position BIGINT NOT NULL)");
            st.execute("DELETE FROM bench_checkpoint");
            st.execute("INSERT INTO bench_checkpoint VALUES ('summary', 0)");
            long n = 0;
            long after = 0;
            try (PreparedStatement read = r.c.prepareStatement("SELECT " + Raw.COLUMNS
                            + " FROM annals_events WHERE position > ? AND position < ? ORDER BY position LIMIT ?");
                    PreparedStatement upsert = writer.open(r.c);
                    PreparedStatement checkpoint = r.c.prepareStatement(
                            "UPDATE bench_checkpoint SET position = ? WHERE name = 'summary' AND position = ?")) {
                while (true) {
                    read.setLong(1, after);
                    read.setLong(2, target.storeLogEnd());
                    read.setInt(3, PAGE);
                    List<String[]> rows = new ArrayList<>(PAGE);
                    long last = after;
                    try (ResultSet rs = read.executeQuery()) {
                        while (rs.next()) {
                            rows.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(5), rs.getString(6)});
                            last = rs.getLong(3);
                        }
                    }
                    if (rows.isEmpty()) {
                        return n;
                    }
                    if (target.sqlite()) {
                        st.execute("BEGIN IMMEDIATE");
                    } else {
                        r.c.setAutoCommit(false);
                    }
                    checkpoint.setLong(1, last);
                    checkpoint.setLong(2, after);
                    if (checkpoint.executeUpdate() != 1) {
                        throw new IllegalStateException("checkpoint moved");
                    }
                    writer.write(upsert, rows);
                    if (target.sqlite()) {
                        st.execute("COMMIT");
                    } else {
                        r.c.commit();
                        r.c.setAutoCommit(true);
                    }
                    n += rows.size();
                    after = last;
                }
            }
        }
    }

    // --- W8 ----------------------------------------------------------------------------------

    /** The three costs at the history's current size; returns Annals' µs per op of each. */
    double[] w8(long size, long streams, long firstPosition, long lastPosition, Plan plan) throws Exception {
        String at = String.format("history of %s events", Results.count(size));
        double[] out = new double[3];

        OpFactory annalsAppend = t -> new Op() {
            final String run = UUID.randomUUID().toString().substring(0, 8);
            long i;

            @Override
            public void run() {
                String stream = "w8-" + run + "-" + i++;
                store.append(
                        stream, ExpectedVersion.noStream(), List.of(EventData.of(Domain.TYPE, Domain.json(stream, 1))));
            }
        };
        OpFactory rawAppend = t -> {
            Raw r = new Raw(target);
            return new Op() {
                final String run = UUID.randomUUID().toString().substring(0, 8);
                long i;

                @Override
                public void run() throws SQLException {
                    String stream = "w8r-" + run + "-" + i++;
                    r.insert(stream, 1, Domain.json(stream, 1));
                }

                @Override
                public void close() throws SQLException {
                    r.close();
                }
            };
        };
        Pair p = Measure.compare(plan, 1, annalsAppend, rawAppend);
        out[0] = w8Row("append 1 event to a new stream", at, size, p, "raw INSERT, auto-commit");

        OpFactory annalsStream = t -> {
            SplittableRandom random = new SplittableRandom(42);
            return () -> {
                List<RecordedEvent> events = store.readStream(Loader.historyStream(random.nextLong(streams)), 1, 100);
                if (events.size() != 10) {
                    throw new IllegalStateException("a history stream holds " + events.size() + " events");
                }
            };
        };
        OpFactory rawStream = t -> {
            Raw r = new Raw(target);
            SplittableRandom random = new SplittableRandom(42);
            return new Op() {
                @Override
                public void run() throws SQLException {
                    r.readStream(Loader.historyStream(random.nextLong(streams)), 100);
                }

                @Override
                public void close() throws SQLException {
                    r.close();
                }
            };
        };
        p = Measure.compare(plan, 1, annalsStream, rawStream);
        out[1] = w8Row("read a 10-event stream", at, size, p, "raw SELECT of the stream, every column");

        long span = Math.max(1, lastPosition - firstPosition - PAGE);
        OpFactory annalsPage = t -> {
            SplittableRandom random = new SplittableRandom(7);
            return () -> {
                List<RecordedEvent> page = store.readAll(firstPosition + random.nextLong(span), PAGE);
                if (page.size() != PAGE) {
                    throw new IllegalStateException("a page of " + page.size());
                }
            };
        };
        OpFactory rawPage = t -> {
            Raw r = new Raw(target);
            SplittableRandom random = new SplittableRandom(7);
            long[] n = {0};
            return new Op() {
                @Override
                public void run() throws SQLException {
                    r.readAllPage(firstPosition + random.nextLong(span), PAGE, n, Long.MAX_VALUE);
                }

                @Override
                public void close() throws SQLException {
                    r.close();
                }
            };
        };
        p = Measure.compare(plan, 1, annalsPage, rawPage);
        out[2] = w8Row(
                "readAll page of " + PAGE + " at a random position", at, size, p, "raw paged query, every column");
        return out;
    }

    private double w8Row(String operation, String at, long size, Pair p, String baseline) {
        Pair micros = Results.perOp(p, 1e6);
        results.compare("W8", db, operation + ", " + at, "µs/op", micros, baseline, false, null, "");
        results.growth(
                db, operation, size, micros.annals().median(), micros.baseline().median());
        return micros.annals().median();
    }
}
