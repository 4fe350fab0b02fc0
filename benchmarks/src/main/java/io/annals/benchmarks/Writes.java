package io.annals.benchmarks;

import io.annals.benchmarks.Measure.Op;
import io.annals.benchmarks.Measure.OpFactory;
import io.annals.benchmarks.Measure.Pair;
import io.annals.benchmarks.Measure.Plan;
import io.annals.benchmarks.Measure.Side;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.Instrumentation;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.command.CommandResult;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.micrometer.MicrometerInstrumentation;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** W1-W4: appends and the command loop. */
final class Writes {

    private final Target target;
    private final JdbcEventStore store;
    private final Results results;
    private final Plan plan;
    private final String db;

    Writes(Target target, JdbcEventStore store, Results results, Plan plan) {
        this.target = target;
        this.store = store;
        this.results = results;
        this.plan = plan;
        this.db = target.kind.label;
    }

    private static String run() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    // --- W1 ----------------------------------------------------------------------------------

    void w1() throws Exception {
        OpFactory annalsNew = annalsNewStreams(store);
        OpFactory rawNew = rawNewStreams();
        Pair p = Measure.compare(plan, 1, annalsNew, rawNew);
        results.compare(
                "W1",
                db,
                "1 event per append, new stream (noStream)",
                "appends/s",
                p,
                "raw INSERT, auto-commit",
                true,
                0.8,
                "");

        p = Measure.compare(plan, 1, annalsExisting(1), rawExisting(1));
        results.compare(
                "W1",
                db,
                "1 event per append, existing stream (exactly(v))",
                "appends/s",
                p,
                "raw INSERT, auto-commit",
                true,
                0.8,
                "");

        // A long stream: the cost of the version check must not grow with the stream.
        String run = run();
        long length = 10_000;
        try (Loader loader = new Loader(target)) {
            loader.stream("w1long-a-" + run, length);
            loader.stream("w1long-r-" + run, length);
        }
        target.analyze();
        long[] annalsVersion = {length};
        long[] rawVersion = {length};
        OpFactory annalsLong = thread -> () -> {
            String stream = "w1long-a-" + run;
            long v = annalsVersion[0];
            store.append(
                    stream, ExpectedVersion.exactly(v), List.of(EventData.of(Domain.TYPE, Domain.json(stream, v + 1))));
            annalsVersion[0] = v + 1;
        };
        OpFactory rawLong = thread -> {
            Raw raw = new Raw(target);
            return new Op() {
                @Override
                public void run() throws SQLException {
                    String stream = "w1long-r-" + run;
                    long v = rawVersion[0];
                    raw.insert(stream, v + 1, Domain.json(stream, v + 1));
                    rawVersion[0] = v + 1;
                }

                @Override
                public void close() throws SQLException {
                    raw.close();
                }
            };
        };
        p = Measure.compare(plan, 1, annalsLong, rawLong);
        results.compare(
                "W1",
                db,
                String.format("1 event per append, stream of %,d events (exactly(v))", length),
                "appends/s",
                p,
                "raw INSERT, auto-commit",
                true,
                0.8,
                "");

        // What metrics cost: the same append on a second store of the same database whose
        // instrumentation is Micrometer (a timer per outcome and a counter, in a simple registry).
        try (JdbcEventStore instrumented =
                target.openStore(20, MicrometerInstrumentation.of(new SimpleMeterRegistry()))) {
            p = Measure.compare(plan, 1, annalsNewStreams(instrumented), annalsNewStreams(store));
            results.compare(
                    "W1",
                    db,
                    "1 event per append, new stream, Micrometer metrics bound",
                    "appends/s",
                    p,
                    "the same appends, no instrumentation",
                    true,
                    0.95,
                    "");
        }
        if (target.sqlite()) { // once per run: no database is involved
            p = Measure.compare(
                    plan,
                    1,
                    inMemoryAppends(() -> MicrometerInstrumentation.of(new SimpleMeterRegistry())),
                    inMemoryAppends(Instrumentation::none));
            results.compare(
                    "W1",
                    "in memory",
                    "1 event per append, new stream, Micrometer metrics bound (CPU only)",
                    "appends/s",
                    p,
                    "the same appends, no instrumentation",
                    true,
                    null,
                    "no target: an in-memory append is well under a microsecond, so this shows what the"
                            + " metrics add in absolute terms; 0.95 applies to the database rows");
        }
    }

    /**
     * Appends of one event to new streams of an in-memory store, which is replaced every 10,000
     * appends so that the heap stays small.
     */
    private static OpFactory inMemoryAppends(Supplier<Instrumentation> instrumentation) {
        return thread -> new Op() {
            final Instrumentation bound = instrumentation.get();
            InMemoryEventStore memory = new InMemoryEventStore(Clock.systemUTC(), AppendLimits.defaults(), bound);
            long i;

            @Override
            public void run() {
                if (++i % 10_000 == 0) {
                    memory = new InMemoryEventStore(Clock.systemUTC(), AppendLimits.defaults(), bound);
                }
                String stream = "m-" + i;
                memory.append(
                        stream, ExpectedVersion.noStream(), List.of(EventData.of(Domain.TYPE, Domain.json(stream, 1))));
            }
        };
    }

    private OpFactory annalsNewStreams(JdbcEventStore store) {
        return thread -> new Op() {
            final String run = Writes.run();
            long i;

            @Override
            public void run() {
                String stream = "w1n-" + run + "-" + thread + "-" + i++;
                store.append(
                        stream, ExpectedVersion.noStream(), List.of(EventData.of(Domain.TYPE, Domain.json(stream, 1))));
            }
        };
    }

    private OpFactory rawNewStreams() {
        return thread -> {
            Raw raw = new Raw(target);
            return new Op() {
                final String run = Writes.run();
                long i;

                @Override
                public void run() throws SQLException {
                    String stream = "w1r-" + run + "-" + thread + "-" + i++;
                    raw.insert(stream, 1, Domain.json(stream, 1));
                }

                @Override
                public void close() throws SQLException {
                    raw.close();
                }
            };
        };
    }

    /** Each thread appends {@code perAppend} events at a time to a stream of its own, with exactly(v). */
    private OpFactory annalsExisting(int perAppend) {
        return annalsExisting(store, perAppend);
    }

    private static OpFactory annalsExisting(JdbcEventStore store, int perAppend) {
        return thread -> new Op() {
            final String run = Writes.run();
            final String stream = "ex-" + run + "-" + thread;
            long v;

            @Override
            public void run() {
                List<EventData> events = new ArrayList<>(perAppend);
                for (int i = 1; i <= perAppend; i++) {
                    events.add(EventData.of(Domain.TYPE, Domain.json(stream, v + i)));
                }
                store.append(stream, ExpectedVersion.exactly(v), events);
                v += perAppend;
            }
        };
    }

    private OpFactory rawExisting(int perAppend) {
        return thread -> {
            Raw raw = new Raw(target);
            return new Op() {
                final String run = Writes.run();
                final String stream = "exr-" + run + "-" + thread;
                long v;

                @Override
                public void run() throws SQLException {
                    if (perAppend == 1) {
                        raw.insert(stream, v + 1, Domain.json(stream, v + 1));
                    } else {
                        raw.insertMany(stream, v + 1, perAppend);
                    }
                    v += perAppend;
                }

                @Override
                public void close() throws SQLException {
                    raw.close();
                }
            };
        };
    }

    // --- W2 ----------------------------------------------------------------------------------

    void w2() throws Exception {
        Pair p = Measure.compare(plan, 1, annalsExisting(10), rawExisting(10));
        results.compare(
                "W2",
                db,
                "10 events per append, existing stream",
                "events/s",
                times(p, 10),
                target.sqlite() ? "raw BEGIN, 10-row INSERT batch, COMMIT" : "raw 10-row INSERT, auto-commit",
                true,
                0.8,
                "");
    }

    private static Pair times(Pair p, double factor) {
        return new Pair(scale(p.annals(), factor), scale(p.baseline(), factor));
    }

    private static Side scale(Side s, double factor) {
        double[] r = s.rounds().clone();
        for (int i = 0; i < r.length; i++) {
            r[i] *= factor;
        }
        return new Side(r);
    }

    // --- W3 ----------------------------------------------------------------------------------

    void w3(int[] writers) throws Exception {
        double[] annals = new double[writers.length];
        double[] serial = new double[writers.length];
        for (int k = 0; k < writers.length; k++) {
            int n = writers[k];
            String what = n + (n == 1 ? " writer" : " writers") + ", 1 event per append, own streams";
            if (target.sqlite()) {
                // group commit measured on and off in the same rounds: a second store on the file
                try (JdbcEventStore alone = JdbcEventStore.builder(target.url)
                        .maxPoolSize(20)
                        .groupCommit(false)
                        .open()) {
                    Side[] s = Measure.rotate(plan, n, annalsExisting(1), annalsExisting(alone, 1), rawExisting(1));
                    w3Row(what, s[0], s[2], "raw INSERT per thread, auto-commit");
                    w3Row(
                            what + ": group commit on and off",
                            s[0],
                            s[1],
                            "Annals with groupCommit(false), the same rounds");
                    annals[k] = s[0].median();
                }
            } else {
                Side[] s = Measure.rotate(plan, n, annalsExisting(1), serialExisting(), rawExisting(1));
                w3Row(what, s[0], s[2], "raw INSERT per thread (no check, not gap-safe)");
                w3Row(what, s[0], s[1], "serialised appends (lock to commit, checked)");
                annals[k] = s[0].median();
                serial[k] = s[1].median();
            }
        }
        int last = writers.length - 1;
        double factor = annals[last] / annals[0];
        if (target.sqlite()) {
            results.check(
                    "W3",
                    db,
                    "report: throughput from " + writers[0] + " to " + writers[last]
                            + " writers (SQLite has one writer at a time)",
                    String.format("x%.2f", factor),
                    null,
                    "");
        } else {
            results.check(
                    "W3",
                    db,
                    "throughput grows from " + writers[0] + " to " + writers[last] + " writers (by at least x1.2)",
                    String.format("x%.2f (serialised: x%.2f)", factor, serial[last] / serial[0]),
                    factor >= 1.2,
                    String.format(
                            "%d writers: %.0f/s, %.2f of serialised",
                            writers[last], annals[last], annals[last] / serial[last]));
        }
    }

    /** One row of W3: Annals' appends per second beside {@code other}'s, no target. */
    private void w3Row(String what, Side annals, Side other, String otherName) {
        results.compare("W3", db, what, "appends/s", new Pair(annals, other), otherName, true, null, "");
    }

    private OpFactory serialExisting() {
        return thread -> {
            Raw raw = new Raw(target);
            return new Op() {
                final String run = Writes.run();
                final String stream = "ser-" + run + "-" + thread;
                long v;

                @Override
                public void run() throws SQLException {
                    if (!raw.serialAppend(stream, v, Domain.json(stream, v + 1))) {
                        throw new IllegalStateException("serialised append refused");
                    }
                    v++;
                }

                @Override
                public void close() throws SQLException {
                    raw.close();
                }
            };
        };
    }

    // --- W4 ----------------------------------------------------------------------------------

    void w4(int threads) throws Exception {
        AtomicLong[] annalsCounts = {new AtomicLong(), new AtomicLong()}; // commands, attempts
        AtomicLong[] cachedCounts = {new AtomicLong(), new AtomicLong()};
        AtomicLong[] rawCounts = {new AtomicLong(), new AtomicLong()};
        OpFactory annals = commandLoop(handler(0), annalsCounts);
        OpFactory cached = commandLoop(handler(1_000), cachedCounts);
        OpFactory raw = new OpFactory() {
            String hot;

            @Override
            public Op create(int thread) throws SQLException {
                if (thread == 0) {
                    hot = "price-hotraw-" + run();
                }
                String stream = hot;
                Raw r = new Raw(target);
                return new Op() {
                    @Override
                    public void run() throws SQLException {
                        for (int attempt = 1; ; attempt++) {
                            long v = r.maxVersion(stream);
                            try {
                                r.insert(stream, v + 1, Domain.json(stream, v + 1));
                                rawCounts[0].incrementAndGet();
                                rawCounts[1].addAndGet(attempt);
                                return;
                            } catch (SQLException e) {
                                if (!r.isUniqueViolation(e)) {
                                    throw e;
                                }
                            }
                        }
                    }

                    @Override
                    public void close() throws SQLException {
                        r.close();
                    }
                };
            }
        };
        Side[] sides = Measure.rotate(plan, threads, annals, cached, raw);
        String what = "command loop, 1 hot aggregate, " + threads + " threads, snapshot every 100";
        results.compare(
                "W4",
                db,
                what,
                "commands/s",
                new Pair(sides[0], sides[2]),
                "raw SELECT MAX(version) + INSERT, retry on conflict",
                true,
                null,
                String.format(
                        "attempts per command: Annals %.2f, raw %.2f",
                        perCommand(annalsCounts), perCommand(rawCounts)));
        results.compare(
                "W4",
                db,
                what + ", cacheAggregates(1000)",
                "commands/s",
                new Pair(sides[1], sides[2]),
                "raw SELECT MAX(version) + INSERT, retry on conflict",
                true,
                0.9,
                String.format("attempts per command: %.2f", perCommand(cachedCounts)));
        results.compare(
                "W4",
                db,
                "command loop: cacheAggregates(1000) on and off",
                "commands/s",
                new Pair(sides[1], sides[0]),
                "the same handler without the cache, the same rounds",
                true,
                null,
                "");
    }

    private static double perCommand(AtomicLong[] counts) {
        return counts[1].get() / (double) Math.max(1, counts[0].get());
    }

    /** W4's handler: snapshots every 100 events; {@code cached} aggregates kept in memory (0: none). */
    private CommandHandler<Domain.Price, Domain.ChangePrice, Domain.PriceEvent> handler(int cached) {
        return CommandHandler.builder(new Domain.Prices(), store, Domain.CODEC)
                .maxAttempts(10_000)
                .snapshots(new SnapshotSettings<>(store.snapshots(), Domain.STATE, 1, SnapshotPolicy.everyEvents(100)))
                .cacheAggregates(cached)
                .build();
    }

    /** Threads handling price changes of one new hot aggregate through {@code handler}. */
    private OpFactory commandLoop(
            CommandHandler<Domain.Price, Domain.ChangePrice, Domain.PriceEvent> handler, AtomicLong[] counts) {
        return new OpFactory() {
            String hot;

            @Override
            public Op create(int thread) {
                if (thread == 0) {
                    hot = "hot-" + run();
                }
                String id = hot;
                return () -> {
                    CommandResult<Domain.Price, Domain.PriceEvent> r =
                            handler.handle(new Domain.ChangePrice(id, Domain.STEP));
                    counts[0].incrementAndGet();
                    counts[1].addAndGet(r.attempts());
                };
            }
        };
    }
}
