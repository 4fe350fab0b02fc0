package io.annals.benchmarks;

import io.annals.benchmarks.Measure.Pair;
import io.annals.benchmarks.Measure.Plan;
import io.annals.benchmarks.Measure.Side;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.InMemoryProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * W10: from an append to its event applied in a read model, in the same process, with the
 * runner woken by the append and with the runner polling (every 100 ms, the default) in the same
 * run; and what a following runner with wake-ups costs the appends.
 */
final class WakeUps {

    private final Target target;
    private final Results results;
    private final String db;

    WakeUps(Target target, Results results) {
        this.target = target;
        this.results = results;
        this.db = target.kind.label;
    }

    void run(Plan plan, int rounds, int appendsPerRound) throws Exception {
        try (JdbcEventStore store = target.openStore(4)) {
            double[][] woken = new double[2][rounds];
            double[][] polled = new double[2][rounds];
            latencies(store, true, 20); // warm-up
            latencies(store, false, 5);
            for (int r = 0; r < rounds; r++) {
                if (r % 2 == 0) {
                    record(woken, r, latencies(store, true, appendsPerRound));
                    record(polled, r, latencies(store, false, appendsPerRound));
                } else {
                    record(polled, r, latencies(store, false, appendsPerRound));
                    record(woken, r, latencies(store, true, appendsPerRound));
                }
            }
            report(woken, polled, "append to applied in a read model, same process", "in the same process", 10);
        }
        if (!target.sqlite()) {
            acrossStores(rounds, appendsPerRound);
        }
        try (JdbcEventStore waking = target.openStore(4);
                JdbcEventStore polling = JdbcEventStore.builder(target.url)
                        .maxPoolSize(4)
                        .notifyAppends(false)
                        .open();
                ProjectionRunner wakes = follower(waking, true);
                ProjectionRunner polls = follower(polling, false)) {
            wakes.start();
            polls.start();
            Pair appends = Measure.compare(plan, 1, t -> appender(waking), t -> appender(polling));
            results.compare(
                    "W10",
                    db,
                    "append 1 event while a runner in the process follows the log, woken by each append",
                    "appends/s",
                    appends,
                    "the same with the runner polling (wake-ups off)",
                    true,
                    0.97,
                    "");
        }
    }

    /**
     * PostgreSQL: appends through one store, read through another with a pool of its own (as
     * another process would), the reader's runner woken by the notification or polling.
     */
    private void acrossStores(int rounds, int appendsPerRound) throws Exception {
        try (JdbcEventStore writer = target.openStore(4);
                JdbcEventStore reader = target.openStore(4)) {
            double[][] woken = new double[2][rounds];
            double[][] polled = new double[2][rounds];
            latencies(writer, reader, true, 20); // warm-up
            for (int r = 0; r < rounds; r++) {
                record(woken, r, latencies(writer, reader, true, appendsPerRound));
                record(polled, r, latencies(writer, reader, false, appendsPerRound));
            }
            report(
                    woken,
                    polled,
                    "append to applied, another store object (as another process)",
                    "across processes (here: store objects)",
                    50);
        }
    }

    /** The p50 and p99 rows of woken against polled, and the check of the p99 against {@code limitMs}. */
    private void report(double[][] woken, double[][] polled, String what, String where, double limitMs) {
        String baseline = "the same runner polling every 100 ms, no wake-ups";
        String[] percentiles = {"p50", "p99"};
        for (int i = 0; i < 2; i++) {
            results.compare(
                    "W10",
                    db,
                    what + ": " + percentiles[i],
                    "ms",
                    new Pair(new Side(woken[i]), new Side(polled[i])),
                    baseline,
                    false,
                    null,
                    "");
        }
        double p99 = new Side(woken[1]).median();
        results.check(
                "W10",
                db,
                String.format(Locale.ROOT, "p99 from append to applied under %.0f ms %s", limitMs, where),
                String.format(Locale.ROOT, "%.2f ms (p50 %.2f ms)", p99, new Side(woken[0]).median()),
                p99 < limitMs,
                "");
    }

    private static void record(double[][] into, int round, double[] p50p99) {
        into[0][round] = p50p99[0];
        into[1][round] = p50p99[1];
    }

    /** p50 and p99, in ms, of append-to-applied over {@code n} appends to a fresh stream each. */
    private static double[] latencies(JdbcEventStore store, boolean wake, int n) {
        return latencies(store, store, wake, n);
    }

    /** The same, appending through {@code writer} and reading through {@code reader}. */
    private static double[] latencies(JdbcEventStore writer, JdbcEventStore reader, boolean wake, int n) {
        JdbcEventStore store = writer;
        double[] ms = new double[n];
        try (ProjectionRunner runner = follower(reader, wake)) {
            runner.start();
            String first = "w10-" + UUID.randomUUID(); // the runner reads the whole log first: not measured
            AppendResult caughtUp = store.append(
                    first, ExpectedVersion.noStream(), List.of(EventData.of(Domain.TYPE, Domain.json(first, 1))));
            if (!runner.awaitPosition(Domain.Summaries.NAME, caughtUp.position(), Duration.ofSeconds(30))) {
                throw new IllegalStateException("the runner did not catch up within 30 s");
            }
            for (int i = 0; i < n; i++) {
                String stream = "w10-" + UUID.randomUUID();
                long began = System.nanoTime();
                AppendResult r = store.append(
                        stream, ExpectedVersion.noStream(), List.of(EventData.of(Domain.TYPE, Domain.json(stream, 1))));
                if (!runner.awaitPosition(Domain.Summaries.NAME, r.position(), Duration.ofSeconds(10))) {
                    throw new IllegalStateException("the event was not applied within 10 s");
                }
                ms[i] = (System.nanoTime() - began) / 1e6;
            }
        }
        Arrays.sort(ms);
        return new double[] {ms[(int) Math.floor(0.5 * (n - 1))], ms[(int) Math.ceil(0.99 * (n - 1))]};
    }

    /** A runner with a keyed read model in memory, polling every 100 ms. */
    private static ProjectionRunner follower(JdbcEventStore store, boolean wake) {
        return ProjectionRunner.builder(store)
                .add(new InMemoryProjector<>(new Domain.Summaries(), Domain.CODEC))
                .pollInterval(Duration.ofMillis(100))
                .wakeOnAppend(wake)
                .build();
    }

    private static Measure.Op appender(JdbcEventStore store) {
        String stream = "w10-writer-" + UUID.randomUUID();
        AtomicLong version = new AtomicLong();
        Supplier<EventData> next = () -> EventData.of(Domain.TYPE, Domain.json(stream, version.get() + 1));
        return () -> {
            store.append(stream, ExpectedVersion.exactly(version.get()), List.of(next.get()));
            version.incrementAndGet();
        };
    }
}
