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
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * W10: from an append to its event applied in a read model, in the same process and in another
 * JVM on the same database, with the runner woken by the append (heard across processes through
 * SQLite's change check or PostgreSQL's notifications) and with the runner polling (every 100 ms,
 * the default) in the same run; and what a following runner with wake-ups costs the appends.
 */
final class WakeUps {

    private final Target target;
    private final Results results;
    private final String db;
    /** Where the other processes' logs go. */
    private final Path work;

    WakeUps(Target target, Results results, Path work) {
        this.target = target;
        this.results = results;
        this.db = target.kind.label;
        this.work = work;
    }

    void run(Plan plan, int rounds, int appendsPerRound) throws Exception {
        try (JdbcEventStore store = target.openStore(4)) {
            Wait[] sides = Wait.values();
            double[][][] figures = new double[sides.length][2][rounds];
            for (Wait side : sides) {
                latencies(store, side, side == Wait.POLLED ? 5 : 20); // warm-up
            }
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < sides.length; i++) {
                    Wait side = sides[(i + r) % sides.length]; // each side first in turn
                    record(figures[side.ordinal()], r, latencies(store, side, appendsPerRound));
                }
            }
            double[][] polled = figures[Wait.POLLED.ordinal()];
            report(
                    figures[Wait.WATCHED.ordinal()],
                    polled,
                    "append to applied in a read model, same process, woken by the append",
                    "in the same process, woken by the append",
                    10);
            report(
                    figures[Wait.AWAITED.ordinal()],
                    polled,
                    "append to applied in a read model, same process, the writer in awaitPosition",
                    "in the same process, the writer in awaitPosition",
                    10);
        }
        acrossProcesses(plan, rounds, appendsPerRound);
        try (JdbcEventStore waking = target.openStore(4);
                JdbcEventStore polling = JdbcEventStore.builder(target.url)
                        .maxPoolSize(4)
                        .notifyAppends(false)
                        .open()) {
            // Each side's runner follows the log during that side's rounds alone: a runner left
            // running beside the other side's rounds would hear those appends too (on SQLite
            // through the change check, which sees every connection's commits).
            Pair appends = Measure.compare(
                    plan, 1, t -> followedAppender(waking, true), t -> followedAppender(polling, false));
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
     * An appender for one round while a runner in this process follows the log, woken by the
     * store's appends or polling: started, and caught up with the log, before the round begins;
     * closed after it.
     */
    private static Measure.Op followedAppender(JdbcEventStore store, boolean wake) {
        ProjectionRunner runner = follower(store, wake);
        runner.start();
        String first = "w10-" + UUID.randomUUID();
        AppendResult caughtUp = store.append(
                first, ExpectedVersion.noStream(), List.of(EventData.of(Domain.TYPE, Domain.json(first, 1))));
        if (!runner.awaitPosition(Domain.Summaries.NAME, caughtUp.position(), Duration.ofSeconds(30))) {
            runner.close();
            throw new IllegalStateException("the runner did not catch up within 30 s");
        }
        Measure.Op append = appender(store);
        return new Measure.Op() {
            @Override
            public void run() throws Exception {
                append.run();
            }

            @Override
            public void close() {
                runner.close();
            }
        };
    }

    /**
     * Across processes: another JVM ({@link FollowerProcess}) follows the log on the same database
     * with the store's machinery for hearing other processes on (SQLite's change check,
     * PostgreSQL's notifications, this store sending them) or off (polling every 100 ms, this
     * store not notifying); this process appends one event at a time and times each from before
     * the append until the other process's line saying it has applied it arrives (this process's
     * clock alone: the time includes a round trip through the pipes, measured and noted apart).
     * Then the appends/s of one writer here while such a process follows, on against off in
     * alternating rounds (on PostgreSQL also this store notifying while the other polls). One
     * other process serves every round, a new store and runner in it for each, so that its JIT is
     * as warm for one side as for the other.
     */
    private void acrossProcesses(Plan plan, int rounds, int appendsPerRound) throws Exception {
        String heard = target.sqlite() ? "its change check every 10 ms" : "notifications";
        try (JdbcEventStore notifying = target.openStore(4);
                JdbcEventStore silent = JdbcEventStore.builder(target.url)
                        .maxPoolSize(4)
                        .notifyAppends(false)
                        .open()) {
            double[][] woken = new double[2][rounds];
            double[][] polled = new double[2][rounds];
            double[] pipe = new double[rounds];
            try (Follower follower = Follower.start(target, work)) {
                for (int r = 0; r < rounds; r++) {
                    pipe[r] = follower.pipeMillis(50);
                    for (int side = 0; side < 2; side++) {
                        boolean wake = (side + r) % 2 == 0;
                        follower.follow(wake);
                        record(
                                wake ? woken : polled,
                                r,
                                latencies(wake ? notifying : silent, follower, wake ? 20 : 3, appendsPerRound));
                    }
                }
                report(
                        woken,
                        polled,
                        "append to applied in another process (a second JVM; " + heard + ")",
                        "across processes (a second JVM)",
                        50);
                results.note(String.format(
                        Locale.ROOT,
                        "W10 %s: the times across processes include a round trip through the pipes to the other JVM,"
                                + " %.3f ms at the median (a line each way, measured beside them)",
                        db,
                        new Side(pipe).median()));
                String off = "the same with the other process polling (" + heard + " off"
                        + (target.sqlite() ? ")" : ", this store not notifying)");
                if (target.sqlite()) {
                    Pair appends = Measure.compare(
                            plan,
                            1,
                            t -> followedAppender(notifying, follower, true),
                            t -> followedAppender(silent, follower, false));
                    results.compare("W10", db, heardAppends(heard), "appends/s", appends, off, true, 0.97, "");
                } else {
                    // A third side apart: the notifications sent, the other process polling, so
                    // that the cost of sending them is seen apart from the cost of the reads they cause.
                    Side[] sides = Measure.rotate(
                            plan,
                            1,
                            t -> followedAppender(notifying, follower, true),
                            t -> followedAppender(notifying, follower, false),
                            t -> followedAppender(silent, follower, false));
                    results.compare(
                            "W10",
                            db,
                            heardAppends(heard),
                            "appends/s",
                            new Pair(sides[0], sides[2]),
                            off,
                            true,
                            0.97,
                            "");
                    results.compare(
                            "W10",
                            db,
                            "append 1 event while another process follows the log, polling; this store notifying",
                            "appends/s",
                            new Pair(sides[1], sides[2]),
                            off,
                            true,
                            null,
                            "");
                }
            }
        }
    }

    private static String heardAppends(String heard) {
        return "append 1 event while another process follows the log, hearing each append (" + heard + ")";
    }

    /**
     * p50 and p99, in ms, of append-to-applied in another process over {@code n} appends to a
     * fresh stream each, each after a pause of 0 to 100 ms (at random, not timed), after
     * {@code warm} that are not timed (the first also waits for the other process to read the
     * whole log).
     */
    private static double[] latencies(JdbcEventStore writer, Follower follower, int warm, int n) throws IOException {
        double[] ms = new double[n];
        for (int i = 0; i < warm + n; i++) {
            if (i >= warm) {
                // An append comes at a random moment of the other process's checks and polls, as
                // another process's would: appended as soon as the last was applied, it would
                // fall into step with them and always wait most of an interval.
                LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(TimeUnit.MILLISECONDS.toNanos(100)));
            }
            String stream = "w10-" + UUID.randomUUID();
            long began = System.nanoTime();
            AppendResult r = writer.append(
                    stream, ExpectedVersion.noStream(), List.of(EventData.of(Domain.TYPE, Domain.json(stream, 1))));
            follower.await(r.position());
            if (i >= warm) {
                ms[i - warm] = (System.nanoTime() - began) / 1e6;
            }
        }
        return percentiles(ms);
    }

    /**
     * An appender for one round while the other process follows the log, with its machinery for
     * hearing other processes on or off: it has read the log and applied 10 appends before the
     * round begins.
     */
    private Measure.Op followedAppender(JdbcEventStore store, Follower follower, boolean wake) throws IOException {
        follower.follow(wake);
        latencies(store, follower, 10, 0);
        return appender(store);
    }

    /** The other process of the measurements across processes, and the pipes to it. */
    private static final class Follower implements AutoCloseable {

        private final Process process;
        private final BufferedReader answers;
        private final Writer questions;
        private final Path log;

        private Follower(Process process, Path log) {
            this.process = process;
            this.log = log;
            this.answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.questions = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        /** Starts a {@link FollowerProcess} on the target's database and waits until it is up. */
        static Follower start(Target target, Path work) throws IOException {
            Path log = Files.createTempFile(work, "w10-follower-", ".log");
            List<String> command = List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xms64m",
                    "-Xmx512m",
                    "-cp",
                    System.getProperty("java.class.path"), // the benchmarks jar, or the same classes
                    FollowerProcess.class.getName(),
                    "--db",
                    target.url);
            Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
            Cleanup.process(p);
            Follower f = new Follower(p, log);
            String first = f.answers.readLine();
            if (!"ready".equals(first)) {
                f.close();
                throw new IllegalStateException("the other process did not start (" + first + "): " + f.logText());
            }
            return f;
        }

        /** Makes the other process follow the log with a new store and runner, hearing other processes or not. */
        void follow(boolean wake) throws IOException {
            String answer = ask(wake ? "follow on" : "follow off");
            if (!answer.equals("following")) {
                throw new IllegalStateException("the other process answered " + answer + " to: follow");
            }
        }

        /** Returns once the other process has applied {@code position}. */
        void await(long position) throws IOException {
            String answer = ask("at " + position);
            if (!answer.equals(Long.toString(position))) {
                throw new IllegalStateException("the other process answered " + answer + " to: at " + position);
            }
        }

        /** The median of {@code n} round trips through the pipes (a line each way), in ms. */
        double pipeMillis(int n) throws IOException {
            double[] ms = new double[n];
            for (int i = 0; i < n; i++) {
                long began = System.nanoTime();
                ask("ping");
                ms[i] = (System.nanoTime() - began) / 1e6;
            }
            return new Side(ms).median();
        }

        private String ask(String question) throws IOException {
            questions.write(question);
            questions.write('\n');
            questions.flush();
            String answer = answers.readLine();
            if (answer == null) {
                throw new IllegalStateException("the other process ended: " + logText());
            }
            return answer;
        }

        private String logText() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "(its log cannot be read: " + e.getMessage() + ")";
            }
        }

        /** Ends the other process's input (it closes its runner and store and exits), by force after 15 s. */
        @Override
        public void close() {
            try {
                questions.close();
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    Cleanup.stop(process);
                }
                Files.deleteIfExists(log);
            } catch (IOException e) {
                Cleanup.stop(process);
            } catch (InterruptedException e) {
                Cleanup.stop(process);
                Thread.currentThread().interrupt();
            }
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

    /** How the same-process rounds wait for an append to be applied. */
    private enum Wait {
        /**
         * The runner woken by the append, watched from outside: no caller in {@code
         * awaitPosition}, which would bring the read forward itself.
         */
        WATCHED,
        /** The runner woken by the append, the writer waiting in {@code awaitPosition}. */
        AWAITED,
        /** The runner polling every 100 ms, wake-ups off, watched from outside. */
        POLLED
    }

    /** p50 and p99, in ms, of append-to-applied over {@code n} appends to a fresh stream each. */
    private static double[] latencies(JdbcEventStore store, Wait wait, int n) {
        double[] ms = new double[n];
        Watched watched = new Watched(new InMemoryProjector<>(new Domain.Summaries(), Domain.CODEC));
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(watched)
                .pollInterval(Duration.ofMillis(100))
                .wakeOnAppend(wait != Wait.POLLED)
                .build()) {
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
                boolean applied = wait == Wait.AWAITED
                        ? runner.awaitPosition(Domain.Summaries.NAME, r.position(), Duration.ofSeconds(10))
                        : watched.awaitApplied(r.position(), 10_000);
                if (!applied) {
                    throw new IllegalStateException("the event was not applied within 10 s");
                }
                ms[i] = (System.nanoTime() - began) / 1e6;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return percentiles(ms);
    }

    /** p50 and p99 of {@code ms} (sorted in place). */
    private static double[] percentiles(double[] ms) {
        if (ms.length == 0) {
            return new double[] {0, 0};
        }
        Arrays.sort(ms);
        int n = ms.length;
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
