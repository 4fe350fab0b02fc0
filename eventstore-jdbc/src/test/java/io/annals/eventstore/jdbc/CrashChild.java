package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.ProjectionRunnerContract.Total;
import io.annals.eventstore.tck.ProjectionRunnerContract.Totals;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * The process the crash tests kill with SIGKILL. Modes:
 * <ul>
 *   <li>{@code append URL SEED}: appends batches of 5 events to 4 streams forever and prints
 *       {@code SEND batchId streamId eventIds} before and {@code ACK batchId streamId lastVersion}
 *       after each acknowledged batch. A failed append
 *       (the server is down) prints {@code ERR message} and is retried with the same event ids.</li>
 *   <li>{@code project URL}: runs the {@code totals} and {@code deposit-tables} projections until
 *       killed, printing {@code STARTED} once they run.</li>
 *   <li>{@code segments URL OWNED}: runs the {@code totals} projection split in
 *       {@link #SEGMENTS} segments, owning those listed (comma-separated) and taking the others
 *       over after {@link #TAKEOVER}, until killed; prints {@code STARTED} once it runs.</li>
 * </ul>
 */
final class CrashChild {

    static final int BATCH = 5;

    private CrashChild() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        switch (args[0]) {
            case "append" -> append(args[1], Long.parseLong(args[2]), out);
            case "project" -> project(args[1], out);
            case "segments" -> segments(args[1], args[2], out);
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    /** The payload of the i-th event of a batch: the test finds torn batches by these fields. */
    static String payload(UUID batch, int i) {
        return "{\"batch\":\"" + batch + "\",\"i\":" + i + "}";
    }

    private static void append(String url, long seed, PrintStream out) throws InterruptedException {
        Random random = new Random(seed);
        try (JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(2).open()) {
            out.println("STARTED");
            while (true) {
                UUID batch = new UUID(random.nextLong(), random.nextLong());
                List<EventData> events = new ArrayList<>();
                for (int i = 0; i < BATCH; i++) {
                    events.add(EventData.of("Batched", payload(batch, i)));
                }
                String stream = "crash-" + random.nextInt(4);
                StringBuilder ids = new StringBuilder();
                events.forEach(e -> ids.append(ids.length() == 0 ? "" : ",").append(e.eventId()));
                out.println("SEND " + batch + " " + stream + " " + ids);
                while (true) {
                    try {
                        AppendResult r = store.append(stream, ExpectedVersion.any(), events);
                        out.println("ACK " + batch + " " + stream + " " + r.version());
                        break;
                    } catch (RuntimeException e) {
                        out.println("ERR " + e.getClass().getSimpleName() + ": " + e.getMessage());
                        Thread.sleep(200);
                    }
                }
            }
        }
    }

    /** How the {@code segments} mode splits the {@code totals} projection. */
    static final Segments SEGMENTS = Segments.of(3).takeoverAfter(Duration.ofMillis(300));

    static final Duration TAKEOVER = SEGMENTS.takeoverAfter();

    /** Totals per stream, applied slowly enough that kills land inside batches. */
    static final class SlowTotals extends Totals {
        SlowTotals() {
            super("totals");
        }

        @Override
        public boolean rowsDeriveFromOneStream() {
            return true;
        }

        @Override
        public Total apply(Total current, io.annals.eventstore.Envelope<Deposited> e) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            return super.apply(current, e);
        }
    }

    private static void segments(String url, String owned, PrintStream out) throws Exception {
        JdbcEventStore store = JdbcEventStore.open(url);
        int[] own = java.util.Arrays.stream(owned.split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        ProjectionRunner.Builder b = ProjectionRunner.builder(store)
                .batchSize(5)
                .pollInterval(Duration.ofMillis(10))
                .maxBackoff(Duration.ofMillis(200));
        store.projectors()
                .segments(
                        new SlowTotals(),
                        ProjectionRunnerContract.CODEC,
                        ProjectionRunnerContract.TOTALS,
                        SEGMENTS.owning(own))
                .forEach(b::add);
        b.build().start();
        out.println("STARTED");
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void project(String url, PrintStream out) throws Exception {
        JdbcEventStore store = JdbcEventStore.open(url);
        DepositTables.create(store.dataSource());
        DepositTables tables = new DepositTables();
        tables.hook = (c, e) -> {
            try {
                Thread.sleep(1); // spread the batches over time, so that kills land inside them
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        };
        KeyedProjector<String, Total> totals = store.projectors()
                .keyed(new Totals("totals"), ProjectionRunnerContract.CODEC, ProjectionRunnerContract.TOTALS);
        ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(totals)
                .add(store.projectors().sql(tables, ProjectionRunnerContract.CODEC))
                .batchSize(5)
                .pollInterval(Duration.ofMillis(10))
                .maxBackoff(Duration.ofMillis(200))
                .build();
        runner.start();
        out.println("STARTED");
        Thread.sleep(Long.MAX_VALUE);
    }
}
