package io.annals.benchmarks;

import com.sun.management.ThreadMXBean;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.jdbc.JdbcEventStore;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A diagnostic for profiling, not part of the benchmark run: one operation in a loop, in a
 * process of its own, so that a tracer (strace -c, perf, JFR) sees one side at a time, with the
 * time and the bytes allocated per operation.
 *
 * <pre>
 * java -cp benchmarks.jar io.annals.benchmarks.Probe sqlite|postgres append-annals|append-raw[-new] N
 * java -cp benchmarks.jar io.annals.benchmarks.Probe sqlite|postgres reads N    (readAll pages and
 *     10-event streams, Annals then raw, over a history of 100,000 events)
 * </pre>
 */
public final class Probe {

    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Probe() {}

    public static void main(String[] args) throws Exception {
        boolean sqlite = args[0].equals("sqlite");
        String mode = args[1];
        int n = Integer.parseInt(args[2]);
        String pg = args.length > 3 ? args[3] : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
        Path dir = Files.createTempDirectory("annals-probe-");
        Cleanup.folder(dir);
        try (Target t = sqlite ? Target.sqlite(dir, "probe") : Target.postgres(pg, "probe");
                JdbcEventStore store = t.openStore(4)) {
            t.createBaselineSequences();
            if (mode.startsWith("append")) {
                appends(t, store, mode.startsWith("append-annals"), mode.endsWith("-new"), n);
            } else {
                reads(t, store, n);
            }
        } finally {
            Cleanup.all();
        }
    }

    private static void appends(Target t, JdbcEventStore store, boolean annals, boolean newStreams, int n)
            throws Exception {
        long id = Thread.currentThread().getId();
        try (Raw raw = new Raw(t)) {
            for (int pass = 0; pass < 2; pass++) {
                int count = pass == 0 ? Math.min(n, 500) : n; // the first pass warms up
                long began = System.nanoTime();
                long cpu = THREADS.getCurrentThreadCpuTime();
                long bytes = THREADS.getThreadAllocatedBytes(id);
                for (int i = 1; i <= count; i++) {
                    String stream = newStreams ? "probe-" + pass + "-" + i : "probe-" + pass;
                    long v = newStreams ? 1 : i;
                    if (annals) {
                        store.append(
                                stream,
                                ExpectedVersion.exactly(v - 1),
                                List.of(EventData.of(Domain.TYPE, Domain.json(stream, v))));
                    } else {
                        raw.insert(stream, v, Domain.json(stream, v));
                    }
                }
                if (pass == 1) {
                    double k = Math.max(1, count);
                    System.out.printf(
                            Locale.ROOT,
                            "%s %s: %d appends to %s, %.1f µs each (%.1f µs of CPU in "
                                    + "this thread), %.0f bytes allocated each%n",
                            t.kind.label,
                            annals ? "Annals" : "raw",
                            count,
                            newStreams ? "new streams" : "one stream",
                            (System.nanoTime() - began) / 1e3 / k,
                            (THREADS.getCurrentThreadCpuTime() - cpu) / 1e3 / k,
                            (THREADS.getThreadAllocatedBytes(id) - bytes) / k);
                }
            }
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void reads(Target t, JdbcEventStore store, int n) throws Exception {
        long events = 100_000;
        try (Loader loader = new Loader(t)) {
            loader.history(0, events);
        }
        t.analyze();
        try (Raw raw = new Raw(t)) {
            SplittableRandom random = new SplittableRandom(1);
            long[] count = {0};
            for (int pass = 0; pass < 3; pass++) {
                int k = pass == 0 ? Math.max(1, n / 5) : n;
                boolean report = pass > 0;
                time(report, "readAll page of 500, Annals", k, 500, () -> {
                    List<RecordedEvent> page = store.readAll(1 + random.nextLong(events - 600), 500);
                    if (page.size() != 500) {
                        throw new IllegalStateException();
                    }
                });
                time(
                        report,
                        "readAll page of 500, raw",
                        k,
                        500,
                        () -> raw.readAllPage(1 + random.nextLong(events - 600), 500, count, Long.MAX_VALUE));
                time(
                        report,
                        "readStream of 10 events, Annals",
                        k * 10,
                        10,
                        () -> store.readStream(Loader.historyStream(random.nextLong(events / 10)), 1, 100));
                time(
                        report,
                        "readStream of 10 events, raw",
                        k * 10,
                        10,
                        () -> raw.readStream(Loader.historyStream(random.nextLong(events / 10)), 100));
            }
        }
    }

    private static void time(boolean report, String what, int times, int eventsPerOp, Step step) throws Exception {
        long id = Thread.currentThread().getId();
        long bytes = THREADS.getThreadAllocatedBytes(id);
        long began = System.nanoTime();
        for (int i = 0; i < times; i++) {
            step.run();
        }
        long nanos = System.nanoTime() - began;
        bytes = THREADS.getThreadAllocatedBytes(id) - bytes;
        if (report) {
            System.out.printf(
                    Locale.ROOT,
                    "%-34s %8.1f µs per op, %6.0f bytes allocated per event%n",
                    what,
                    nanos / 1e3 / times,
                    bytes / (double) times / eventsPerOp);
        }
    }
}
