package io.annals.benchmarks;

import io.annals.benchmarks.Measure.Op;
import io.annals.benchmarks.Measure.OpFactory;
import io.annals.benchmarks.Measure.Plan;
import io.annals.benchmarks.Measure.Side;
import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.jdbc.JdbcEventStore;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * W11: decisions across streams (Dynamic Consistency Boundaries). A decision reads the events of
 * a tag, then appends a tagged event on the condition that nothing matching the tag was stored
 * since: here a claim of a fresh name each time, as a unique-name rule makes, so that the
 * condition always holds and every decision appends. Each figure is measured beside plain
 * appends of the same payload through the same store, in alternating rounds of the same run.
 */
final class Decisions {

    private final Target target;
    private final JdbcEventStore store;
    private final Results results;
    private final String db;

    Decisions(Target target, JdbcEventStore store, Results results) {
        this.target = target;
        this.store = store;
        this.results = results;
        this.db = target.kind.label;
    }

    private static String run() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    // --- a decision against a plain append, one writer ---------------------------------------

    /**
     * One writer: a decision (read the tag, append with the condition), the conditional append
     * alone (the condition at position 0, nothing read), and a plain one-event append to a new
     * stream, in rotating rounds. The target is the conditional append's; a decision adds a read,
     * a round trip of its own, which a plain append does not make.
     */
    void single(Plan plan) throws Exception {
        Side[] s = Measure.rotate(plan, 1, decisions(true), decisions(false), plainNewStreams());
        results.compare(
                "W11",
                db,
                "decision: read a fresh tag, append 1 event on its condition",
                "decisions/s",
                new Measure.Pair(s[0], s[2]),
                "plain append of 1 event to a new stream (noStream), same store",
                true,
                null,
                "");
        results.compare(
                "W11",
                db,
                "the conditional append alone (one-tag condition, no read)",
                "appends/s",
                new Measure.Pair(s[1], s[2]),
                "plain append of 1 event to a new stream (noStream), same store",
                true,
                0.7,
                "");
    }

    /**
     * Each thread claims fresh names: with {@code read}, reads the name's tag first (finding
     * nothing), then appends the claim, tagged, to a new stream on the condition that nothing
     * tagged so was stored after what it read.
     */
    private OpFactory decisions(boolean read) {
        return thread -> new Op() {
            final String run = Decisions.run();
            long i;

            @Override
            public void run() {
                String name = run + "-" + thread + "-" + i++;
                String tag = "name:" + name;
                Query query = Query.of(QueryItem.tags(tag));
                long after = 0;
                if (read) {
                    List<RecordedEvent> seen = store.read(query, 0, 100);
                    if (!seen.isEmpty()) {
                        throw new IllegalStateException("the fresh name " + name + " is taken");
                    }
                }
                String stream = "claim-" + name;
                store.append(
                        List.of(StreamAppend.of(
                                stream,
                                ExpectedVersion.noStream(),
                                EventData.of(Domain.TYPE, Domain.json(stream, 1))
                                        .withTags(tag))),
                        new AppendCondition(query, after));
            }
        };
    }

    /** One untagged event to a new stream per append. */
    private OpFactory plainNewStreams() {
        return thread -> new Op() {
            final String run = Decisions.run();
            long i;

            @Override
            public void run() {
                String stream = "plain-" + run + "-" + thread + "-" + i++;
                store.append(
                        stream, ExpectedVersion.noStream(), List.of(EventData.of(Domain.TYPE, Domain.json(stream, 1))));
            }
        };
    }

    /** W3's workload: one event per append to the thread's own stream, with exactly(v). */
    private OpFactory plainOwnStreams() {
        return thread -> new Op() {
            final String stream = "own-" + Decisions.run() + "-" + thread;
            long v;

            @Override
            public void run() {
                store.append(
                        stream,
                        ExpectedVersion.exactly(v),
                        List.of(EventData.of(Domain.TYPE, Domain.json(stream, v + 1))));
                v++;
            }
        };
    }

    // --- decisions on disjoint tags: 1 and n writers -----------------------------------------

    /**
     * Decisions from 1 and from {@code writers} threads, each on tags of its own, beside W3's plain
     * appends from as many threads, measured the same way (alternating rounds at each count).
     */
    void scaling(Plan plan, int writers) throws Exception {
        int[] counts = {1, writers};
        double[] decided = new double[2];
        double[] plain = new double[2];
        for (int k = 0; k < 2; k++) {
            int n = counts[k];
            Measure.Pair p = Measure.compare(plan, n, decisions(true), plainOwnStreams());
            results.compare(
                    "W11",
                    db,
                    n + (n == 1 ? " writer" : " writers") + ", decisions on disjoint fresh tags",
                    "decisions/s",
                    p,
                    "plain appends, 1 event, own stream (W3's workload), as many writers",
                    true,
                    null,
                    "");
            decided[k] = p.annals().median();
            plain[k] = p.baseline().median();
        }
        double factor = decided[1] / decided[0];
        double plainFactor = plain[1] / plain[0];
        results.check(
                "W11",
                db,
                "report: decisions/s from 1 to " + writers + " writers on disjoint tags"
                        + (target.sqlite() ? " (SQLite has one writer at a time)" : ""),
                String.format(Locale.ROOT, "x%.2f (plain appends, W3's workload: x%.2f)", factor, plainFactor),
                null,
                String.format(
                        Locale.ROOT,
                        "%d writers: %.0f decisions/s, %.2f of plain appends",
                        writers,
                        decided[1],
                        decided[1] / plain[1]));
    }

    // --- what the consistency locks cost every plain append ----------------------------------

    /**
     * Plain one-event appends from {@code writers} threads (W3's workload) through the store,
     * beside the store's {@code append-one} statement run by hand through plain JDBC, with and
     * without its shared advisory locks ({@code locked}, the CTE the consistency boundaries
     * added), on the same table in rotating rounds; and the same from one thread. SQLite takes no
     * such lock: there the plain append is reported beside W3's raw INSERT.
     */
    void lockCost(Plan plan, int writers) throws Exception {
        if (target.sqlite()) {
            Measure.Pair p = Measure.compare(plan, writers, plainOwnStreams(), rawInserts());
            results.compare(
                    "W11",
                    db,
                    writers + " writers, plain 1-event appends (SQLite takes no lock)",
                    "appends/s",
                    p,
                    "raw INSERT per thread, auto-commit (W3's baseline)",
                    true,
                    null,
                    "");
            return;
        }
        lockCost(plan, writers, false);
        lockCost(plan, 1, false);
    }

    /**
     * {@link #lockCost(Plan, int)} on PostgreSQL for {@code writers} threads; with {@code async},
     * on a store opened with {@code Durability.NORMAL} and by-hand sessions with
     * {@code synchronous_commit=off} as it sets them, so that commits do not wait for the disk and
     * what the locks cost the server shows instead of hiding in the flush.
     */
    void lockCost(Plan plan, int writers, boolean async) throws Exception {
        String locked = AppendStatement.current();
        String unlocked = AppendStatement.BEFORE_LOCKS;
        Side[] s = Measure.rotate(
                plan,
                writers,
                plainOwnStreams(),
                statementAppends(locked, true, async),
                statementAppends(unlocked, false, async));
        String what = writers + (writers == 1 ? " writer" : " writers") + ", plain 1-event appends"
                + (async ? ", commit not awaited" : "");
        String baseline = "append-one without the lock CTE (as before 79c10a7), plain JDBC"
                + (async ? ", synchronous_commit=off" : "");
        results.compare(
                "W11",
                db,
                what + ", through the store",
                "appends/s",
                new Measure.Pair(s[0], s[2]),
                baseline,
                true,
                null,
                async ? "store opened with Durability.NORMAL" : "");
        results.compare(
                "W11",
                db,
                what + ", append-one with its locks by hand",
                "appends/s",
                new Measure.Pair(s[1], s[2]),
                baseline,
                true,
                null,
                "");
    }

    /** W3's SQLite baseline: a raw INSERT per thread on its own connection. */
    private OpFactory rawInserts() {
        return thread -> {
            Raw raw = new Raw(target);
            return new Op() {
                final String stream = "rawown-" + Decisions.run() + "-" + thread;
                long v;

                @Override
                public void run() throws java.sql.SQLException {
                    raw.insert(stream, v + 1, Domain.json(stream, v + 1));
                    v++;
                }

                @Override
                public void close() throws java.sql.SQLException {
                    raw.close();
                }
            };
        };
    }

    /**
     * The store's one-event append statement run by hand: each thread on a connection of its own,
     * prepared once, appending to its own stream with the version check of exactly(v), binding what
     * the store binds (with {@code locks}: the store's lock space and the key of the event's type);
     * with {@code async}, in sessions with {@code synchronous_commit=off}.
     */
    private OpFactory statementAppends(String sql, boolean locks, boolean async) {
        return thread -> {
            java.sql.Connection c = target.raw();
            if (async) {
                try (java.sql.Statement st = c.createStatement()) {
                    st.execute("SET synchronous_commit = off");
                }
            }
            java.sql.PreparedStatement ps = c.prepareStatement(sql);
            AppendStatement.Lock lock = AppendStatement.lock(target.schema(), Domain.TYPE);
            return new Op() {
                final String stream = (locks ? "lck-" : "unl-") + Decisions.run() + "-" + thread;
                long v;

                @Override
                public void run() throws java.sql.SQLException {
                    int o = 0;
                    if (locks) {
                        o = lock.bind(ps);
                    }
                    ps.setString(o + 1, stream);
                    ps.setString(o + 2, stream);
                    ps.setObject(o + 3, UUID.randomUUID());
                    ps.setString(o + 4, Domain.TYPE);
                    ps.setString(o + 5, Domain.json(stream, v + 1));
                    ps.setString(o + 6, null);
                    ps.setLong(o + 7, System.currentTimeMillis() * 1000);
                    ps.setLong(o + 8, v);
                    ps.setLong(o + 9, v);
                    long version = 0;
                    try (java.sql.ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            version = rs.getLong(2);
                        }
                    }
                    if (version != v + 1) {
                        throw new IllegalStateException("append-one wrote no event at version " + (v + 1));
                    }
                    v++;
                }

                @Override
                public void close() throws java.sql.SQLException {
                    c.close();
                }
            };
        };
    }

    // --- read(query) by tag as the log grows -------------------------------------------------

    /**
     * The tag of history stream {@code n} ({@link Loader#historyStream}): every event of the
     * history carries its stream's tag, so a tag names 10 events spread over 10,000 positions.
     */
    static String historyTag(long n) {
        return String.format(Locale.ROOT, "product:%08d", n);
    }

    /**
     * Grows a tagged history to each of {@code sizes} in turn and reads a random tag's 10 events
     * with {@code read(query)}, beside {@code readStream} of the same 10 events (the tag's stream),
     * alternating; then the two targets: on PostgreSQL the read by tag at the largest size within
     * x1.5 of at the first, on SQLite within x1.5 of the stream read at the largest size (both
     * judged at 1M events or more).
     */
    void tagReads(long[] sizes, Plan plan) throws Exception {
        long loaded = 0;
        double[] first = null;
        double[] last = null;
        for (long size : sizes) {
            long began = System.nanoTime();
            try (TaggedLoader loader = new TaggedLoader(target)) {
                loader.history(loaded, size);
            }
            loaded = size;
            analyze();
            System.out.printf(
                    Locale.ROOT,
                    "   tagged history of %,d events loaded in %.0f s (%,d MiB on disk)%n",
                    size,
                    (System.nanoTime() - began) / 1e9,
                    target.sizeBytes() >> 20);
            long streams = size / 10;
            OpFactory byTag = thread -> {
                java.util.SplittableRandom random = new java.util.SplittableRandom(11);
                return () -> {
                    List<RecordedEvent> events =
                            store.read(Query.of(QueryItem.tags(historyTag(random.nextLong(streams)))), 0, 100);
                    if (events.size() != 10) {
                        throw new IllegalStateException("a history tag names " + events.size() + " events");
                    }
                };
            };
            OpFactory byStream = thread -> {
                java.util.SplittableRandom random = new java.util.SplittableRandom(11);
                return () -> {
                    List<RecordedEvent> events =
                            store.readStream(Loader.historyStream(random.nextLong(streams)), 1, 100);
                    if (events.size() != 10) {
                        throw new IllegalStateException("a history stream holds " + events.size() + " events");
                    }
                };
            };
            // The first size also warms up the JIT and the statements of both reads: a second at least.
            Plan warmed = first != null
                    ? plan
                    : new Plan(Math.max(plan.warmNanos(), 1_000_000_000L), plan.roundNanos(), plan.rounds());
            Measure.Pair micros = Results.perOp(Measure.compare(warmed, 1, byTag, byStream), 1e6);
            results.compare(
                    "W11",
                    db,
                    "read(query) by tag, 10 events, " + Results.count(size) + " events stored",
                    "µs/op",
                    micros,
                    "readStream of the same 10 events (the tag's stream), same store",
                    false,
                    null,
                    "");
            double[] costs = {micros.annals().median(), micros.baseline().median()};
            if (first == null) {
                first = costs;
            }
            last = costs;
        }
        long firstSize = sizes[0];
        long lastSize = sizes[sizes.length - 1];
        if (lastSize == firstSize) {
            return;
        }
        boolean judged = lastSize >= 1_000_000;
        String pending = judged ? "" : " (the target is at 1M events or more: a run without --quick)";
        double growth = last[0] / first[0];
        results.check(
                "W11",
                db,
                String.format(
                        Locale.ROOT,
                        "%sread by tag at %s events within x1.5 of at %s%s",
                        target.sqlite() ? "report: " : "",
                        Results.count(lastSize),
                        Results.count(firstSize),
                        target.sqlite() ? "" : pending),
                String.format(
                        Locale.ROOT,
                        "x%.2f (%.1f against %.1f µs; readStream x%.2f)",
                        growth,
                        last[0],
                        first[0],
                        last[1] / first[1]),
                target.sqlite() || !judged ? null : growth <= 1.5,
                "");
        double overStream = last[0] / last[1];
        results.check(
                "W11",
                db,
                String.format(
                        Locale.ROOT,
                        "%sread by tag at %s events within x1.5 of readStream of the same events%s",
                        target.sqlite() ? "" : "report: ",
                        Results.count(lastSize),
                        target.sqlite() ? pending : ""),
                String.format(Locale.ROOT, "x%.2f (%.1f against %.1f µs)", overStream, last[0], last[1]),
                target.sqlite() && judged ? overStream <= 1.5 : null,
                "");
    }

    /** Planner statistics after a bulk load, as autovacuum would gather them (PostgreSQL only). */
    private void analyze() throws java.sql.SQLException {
        if (target.sqlite()) {
            return;
        }
        try (java.sql.Connection c = target.raw();
                java.sql.Statement st = c.createStatement()) {
            st.execute("VACUUM (ANALYZE) annals_events");
            st.execute("VACUUM (ANALYZE) annals_event_tags");
        }
    }

    /**
     * Bulk loading of a tagged history with raw JDBC batches, straight into the store's own
     * tables: each event's row with its tags as the store writes them (a JSON array) and a row of
     * the tag table per tag. Setup, not a measurement. The layout is {@link Loader#history}'s;
     * positions are given explicitly (on PostgreSQL from the target's next load position, far below
     * any position the store hands out, so its readers see the rows as final).
     */
    private static final class TaggedLoader implements AutoCloseable {
        private final Target target;
        private final java.sql.Connection c;
        private final java.sql.PreparedStatement events;
        private final java.sql.PreparedStatement tags;
        private long nextPosition;
        private int pending;

        TaggedLoader(Target target) throws java.sql.SQLException {
            this.target = target;
            this.c = target.loader();
            if (target.sqlite()) {
                try (java.sql.Statement st = c.createStatement();
                        java.sql.ResultSet rs =
                                st.executeQuery("SELECT COALESCE(MAX(position), 0) FROM annals_events")) {
                    rs.next();
                    nextPosition = rs.getLong(1) + 1;
                }
            } else {
                nextPosition = target.loadPosition;
            }
            c.setAutoCommit(false);
            this.events = c.prepareStatement(
                    target.sqlite()
                            ? "INSERT INTO annals_events (position, stream_id, version, event_id, type, data, metadata, "
                                    + "recorded_at, tags) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)"
                            : "INSERT INTO annals_events (position, stream_id, version, event_id, type, data, metadata, "
                                    + "recorded_at, tags) VALUES (?, ?, ?, ?::uuid, ?, ?::json, NULL, ?, ?::json)");
            this.tags = c.prepareStatement("INSERT INTO annals_event_tags (tag, position) VALUES (?, ?)");
        }

        /** Grows the history from {@code from} to {@code to} events, as {@link Loader#history} does. */
        void history(long from, long to) throws java.sql.SQLException {
            for (long chunk = from / Loader.CHUNK; chunk < to / Loader.CHUNK; chunk++) {
                for (int j = 0; j < Loader.CHUNK; j++) {
                    long n = chunk * Loader.STREAMS_PER_CHUNK + j % Loader.STREAMS_PER_CHUNK;
                    add(Loader.historyStream(n), j / Loader.STREAMS_PER_CHUNK + 1, historyTag(n));
                }
            }
            flush();
        }

        private void add(String stream, long version, String tag) throws java.sql.SQLException {
            long position = nextPosition++;
            events.setLong(1, position);
            events.setString(2, stream);
            events.setLong(3, version);
            events.setString(4, UUID.randomUUID().toString());
            events.setString(5, Domain.TYPE);
            events.setString(6, Domain.json(stream, version));
            if (target.sqlite()) {
                events.setLong(7, System.currentTimeMillis() * 1000);
            } else {
                events.setTimestamp(7, new java.sql.Timestamp(System.currentTimeMillis()));
            }
            events.setString(8, "[\"" + tag + "\"]");
            events.addBatch();
            tags.setString(1, tag);
            tags.setLong(2, position);
            tags.addBatch();
            if (++pending == Loader.BATCH) {
                flush();
            }
        }

        private void flush() throws java.sql.SQLException {
            if (pending > 0) {
                events.executeBatch();
                tags.executeBatch();
                c.commit();
                pending = 0;
            }
        }

        @Override
        public void close() throws java.sql.SQLException {
            flush();
            if (!target.sqlite()) {
                target.loadPosition = nextPosition;
            }
            c.close();
        }
    }
}
