package io.annals.benchmarks;

import io.annals.benchmarks.Measure.Plan;
import io.annals.eventstore.jdbc.Durability;
import io.annals.eventstore.jdbc.JdbcEventStore;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The benchmarks of issue 5: every hot path of Annals against a raw-JDBC baseline on the same
 * schema and durability, in the same run, on SQLite and PostgreSQL.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar [--quick] [options]     (from the repository root)
 * </pre>
 * See {@code --help} and {@code docs/benchmarks.md}.
 */
public final class Bench {

    private static final List<String> ALL =
            List.of("W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10", "W11", "W12", "W13", "W14", "W15");

    /** The events W15 scans: 100,000, or 20,000 in quick mode. */
    private static final long W15_LOG = 100_000;

    private static final long W15_LOG_QUICK = 20_000;

    private static long started = System.nanoTime();

    private Bench() {}

    /** Prints a section title with the time since the run began. */
    static void section(String title) {
        long s = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        System.out.printf(Locale.ROOT, "-- [%d:%02d] %s%n", s / 60, s % 60, title);
    }

    /** The options of a run. */
    static final class Options {
        boolean quick;
        boolean large;
        Set<String> only = new LinkedHashSet<>(ALL);
        List<Target.Kind> dbs = new ArrayList<>(List.of(Target.Kind.SQLITE, Target.Kind.POSTGRES));
        String postgres = System.getenv()
                .getOrDefault("ANNALS_BENCH_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
        Path out;
        Boolean writeDocs;
        Path pricetrackerJar;
        long[] growthSizes;
        long scanSize;
        double roundSeconds;
        int rounds;
        double httpWarm;
        Path merge;
        Path reportOnly;
        int idleConnections;
        List<String> args = new ArrayList<>();
    }

    public static void main(String[] args) {
        // The library logs through System.Logger (java.util.logging by default): rebuild progress
        // at INFO would interleave with the figures.
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(java.util.logging.Level.WARNING);
        for (java.util.logging.Handler h : root.getHandlers()) {
            h.setLevel(java.util.logging.Level.WARNING);
        }
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            usage();
            System.exit(2);
            return;
        }
        if (o == null) {
            usage();
            return;
        }
        int status;
        try {
            status = run(o);
        } catch (Exception e) {
            e.printStackTrace();
            status = 1;
        } finally {
            Cleanup.all();
        }
        System.exit(status);
    }

    private static void usage() {
        System.out.println("""
                usage: java -jar benchmarks/target/benchmarks.jar [--quick] [options]
                  --quick               a short run (about 4 minutes): fewer and shorter rounds,
                                        W6 over 50,000 events, W8 at 10k and 50k events, W11 at 10k
                                        and 100k events
                  --only W1,W3,...      run only these workloads (W1..W15)
                  --db sqlite|postgres  one database only (default: both)
                  --postgres URL        the server (default jdbc:postgresql://127.0.0.1:5432/test?user=postgres,
                                        or $ANNALS_BENCH_POSTGRES_URL); each run works in schemas of its own
                                        (annals_bench_*) and drops them
                  --large               W11 also reads by tag in a log of 10,000,000 events (loading it
                                        takes minutes); W11 reads at 10k and 1M events (quick: 10k, 100k)
                  --sizes N,N,...       W8's history sizes (default 10000,1000000,10000000; quick 10000,50000)
                  --scan N              W6's history size, one of the sizes (default 1000000; quick 50000)
                  --round S, --rounds N the length and number of measured rounds of W1-W5, W8, W11, W15
                                        (default 0.3 s x 3 quick, 2 s x 5 full, W1 and W15 2 s x 11 full;
                                        W8 and W11's reads 1.5 s x 5 full)
                  --http-warm S         W7's load on each server before its measured rounds of price
                                        changes (default 90 s full, 1 s quick; before reads 30 s, 1 s)
                  --merge FILE          take the figures of the databases this run leaves out from an earlier
                                        run's results.json (to measure one database again)
                  --report-only FILE    measure nothing: write the report (and with --write-docs the docs)
                                        from a results.json
                  --out DIR             where results.md/.json and the charts go
                                        (default benchmarks/target/results)
                  --write-docs          also rewrite the generated part of docs/benchmarks.md and its charts
                                        (the default for a full run of every workload on both databases)
                  --no-docs             never touch docs/
                  --pricetracker-jar P  the example's jar for W7 (default pricetracker-example/target/pricetracker.jar)
                  --idle-connections N  keep N idle PostgreSQL sessions open during the run, as other
                                        applications' pools do (the read horizon scans every session)
                W7 needs wrk (Debian: apt-get install wrk); without it W7 is skipped and says so.""");
    }

    static Options parse(String[] args) {
        Options o = new Options();
        o.args = List.of(args);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick" -> o.quick = true;
                case "--large" -> o.large = true;
                case "--help", "-h" -> {
                    return null;
                }
                case "--only" -> {
                    o.only = new LinkedHashSet<>();
                    for (String w : value(args, ++i, a).toUpperCase(Locale.ROOT).split(",")) {
                        if (!ALL.contains(w.trim())) {
                            throw new IllegalArgumentException("no workload " + w);
                        }
                        o.only.add(w.trim());
                    }
                }
                case "--db" -> {
                    String v = value(args, ++i, a).toLowerCase(Locale.ROOT);
                    o.dbs = switch (v) {
                        case "sqlite" -> List.of(Target.Kind.SQLITE);
                        case "postgres", "postgresql" -> List.of(Target.Kind.POSTGRES);
                        case "both" -> List.of(Target.Kind.SQLITE, Target.Kind.POSTGRES);
                        default -> throw new IllegalArgumentException("--db is sqlite, postgres or both");
                    };
                }
                case "--postgres" -> o.postgres = value(args, ++i, a);
                case "--out" -> o.out = Path.of(value(args, ++i, a));
                case "--write-docs" -> o.writeDocs = true;
                case "--no-docs" -> o.writeDocs = false;
                case "--pricetracker-jar" -> o.pricetrackerJar = Path.of(value(args, ++i, a));
                case "--sizes" ->
                    o.growthSizes = Arrays.stream(value(args, ++i, a).split(","))
                            .mapToLong(s -> Long.parseLong(s.trim().replace("_", "")))
                            .sorted()
                            .toArray();
                case "--scan" -> o.scanSize = Long.parseLong(value(args, ++i, a).replace("_", ""));
                case "--merge" -> o.merge = Path.of(value(args, ++i, a));
                case "--report-only" -> o.reportOnly = Path.of(value(args, ++i, a));
                case "--round" -> o.roundSeconds = Double.parseDouble(value(args, ++i, a));
                case "--rounds" -> o.rounds = Integer.parseInt(value(args, ++i, a));
                case "--http-warm" -> o.httpWarm = Double.parseDouble(value(args, ++i, a));
                case "--idle-connections" -> o.idleConnections = Integer.parseInt(value(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (o.growthSizes == null) {
            o.growthSizes = o.quick ? new long[] {10_000, 50_000} : new long[] {10_000, 1_000_000, 10_000_000};
        }
        if (o.scanSize == 0) {
            o.scanSize = o.quick ? 50_000 : 1_000_000;
        }
        for (long n : o.growthSizes) {
            if (n < Loader.CHUNK || n % Loader.CHUNK != 0) {
                throw new IllegalArgumentException("history sizes are multiples of " + Loader.CHUNK + ", not " + n);
            }
        }
        if (Arrays.stream(o.growthSizes).noneMatch(n -> n == o.scanSize)) {
            throw new IllegalArgumentException("--scan must be one of the --sizes");
        }
        return o;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** How long each kind of measurement runs, by mode. */
    record Plans(
            Plan base,
            Plan threads,
            Plan slowLoad,
            Plan growth,
            int scanWarm,
            int scanRounds,
            int projectionWarm,
            int projectionRounds,
            double httpWarm,
            double httpReadsWarm,
            double httpSeconds,
            int httpRounds) {
        static Plans of(boolean quick) {
            return quick
                    ? new Plans(
                            Plan.of(0.2, 0.3, 3),
                            Plan.of(0.15, 0.3, 2),
                            Plan.of(0, 0, 1),
                            Plan.of(0.1, 0.25, 3),
                            1,
                            2,
                            0,
                            1,
                            1,
                            1,
                            2,
                            1)
                    : new Plans(
                            Plan.of(1, 2, 5),
                            Plan.of(1, 2, 3),
                            Plan.of(0, 0, 3),
                            Plan.of(0.5, 1.5, 5),
                            1,
                            3,
                            0,
                            2,
                            // Under price changes, on two cores shared with wrk and the database, the
                            // example's C2 compiler kept compiling for 80-90 s of load (the
                            // baseline's for about 40): measured before that, its rounds paid for
                            // the compiler's backlog. Reads come after and compile little.
                            90,
                            30,
                            8,
                            3);
        }

        /** The same plans with the base and growth rounds' length and number set by the options. */
        Plans override(double roundSeconds, int rounds, double httpWarmSeconds) {
            Plan b = base;
            Plan g = growth;
            if (roundSeconds > 0) {
                b = Plan.of(Math.min(1, roundSeconds / 2), roundSeconds, b.rounds());
                g = Plan.of(Math.min(1, roundSeconds / 2), roundSeconds, g.rounds());
            }
            if (rounds > 0) {
                b = b.rounds(rounds);
                g = g.rounds(rounds);
            }
            return new Plans(
                    b,
                    threads,
                    slowLoad,
                    g,
                    scanWarm,
                    scanRounds,
                    projectionWarm,
                    projectionRounds,
                    httpWarmSeconds > 0 ? httpWarmSeconds : httpWarm,
                    httpReadsWarm,
                    httpSeconds,
                    httpRounds);
        }
    }

    static int run(Options o) throws Exception {
        long began = System.nanoTime();
        started = began;
        Path root = Path.of("").toAbsolutePath();
        Path out = o.out != null
                ? o.out
                : Files.isDirectory(root.resolve("benchmarks"))
                        ? root.resolve("benchmarks/target/results")
                        : root.resolve("benchmark-results");
        if (o.reportOnly != null) {
            return reportOnly(o, root, out);
        }
        Plans plans = Plans.of(o.quick).override(o.roundSeconds, o.rounds, o.httpWarm);
        Results results = new Results(System.out);
        results.source =
                DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
                                .withZone(ZoneOffset.UTC)
                                .format(Instant.now()) + ", " + git();
        Path work = Files.createTempDirectory("annals-bench-");
        Cleanup.folder(work);

        List<Target.Kind> dbs = new ArrayList<>(o.dbs);
        if (dbs.contains(Target.Kind.POSTGRES) && !postgresReachable(o.postgres)) {
            String msg = "PostgreSQL at " + o.postgres + " cannot be reached: its figures are missing from this run "
                    + "(start the server, or --postgres URL, or --db sqlite)";
            System.err.println("WARNING: " + msg);
            results.note(msg);
            dbs.remove(Target.Kind.POSTGRES);
        }
        postgresUrl = o.postgres;
        if (dbs.contains(Target.Kind.POSTGRES) && o.idleConnections > 0) {
            for (int i = 0; i < o.idleConnections; i++) {
                Cleanup.connection(DriverManager.getConnection(o.postgres));
            }
            results.note(o.idleConnections + " idle PostgreSQL sessions were open during the run");
        }
        boolean wrk = Http.wrkAvailable();
        Path pricetracker = o.pricetrackerJar != null ? o.pricetrackerJar : findPricetrackerJar(root);
        Path self = selfJar();
        if (o.only.contains("W7")) {
            if (!wrk) {
                String msg = "W7 skipped: wrk is not installed (Debian: apt-get install wrk)";
                System.err.println("WARNING: " + msg);
                results.note(msg);
            } else if (pricetracker == null || !Files.exists(pricetracker)) {
                String msg = "W7 skipped: the example's jar was not found (build it: mvn -q -pl benchmarks -am package "
                        + "-DskipTests; or --pricetracker-jar PATH)";
                System.err.println("WARNING: " + msg);
                results.note(msg);
            } else if (self == null) {
                String msg = "W7 skipped: the baseline server needs the benchmarks jar (run java -jar benchmarks.jar)";
                System.err.println("WARNING: " + msg);
                results.note(msg);
            }
        }
        boolean httpReady = wrk && pricetracker != null && Files.exists(pricetracker) && self != null;

        System.out.printf(
                Locale.ROOT,
                "Annals benchmarks, %s mode: %s on %s%n",
                o.quick ? "quick" : "full",
                String.join(" ", o.only),
                dbs.stream().map(k -> k.label).toList());
        int failures = 0;
        for (Target.Kind kind : dbs) {
            System.out.println("== " + kind.label);
            if (o.only.stream()
                    .anyMatch(w -> List.of("W1", "W2", "W3", "W4", "W5").contains(w))) {
                failures += attempt(results, kind, "W1-W5", () -> writes(o, plans, kind, work, results));
            }
            if (o.only.contains("W6") || o.only.contains("W8")) {
                failures += attempt(results, kind, "W6/W8", () -> history(o, plans, kind, work, results));
            }
            if (o.only.contains("W9")) {
                failures += attempt(results, kind, "W9", () -> {
                    section("W9: reading events stored at an older schema version (two upcasts each)");
                    try (Target t = target(kind, work, "upcasts", o);
                            JdbcEventStore store = t.openStore(4)) {
                        new Upcasts(store, results, kind.label)
                                .run(
                                        plans.base(),
                                        1_000,
                                        100,
                                        o.quick ? 100 : 500,
                                        plans.scanWarm(),
                                        plans.scanRounds());
                    }
                });
            }
            if (o.only.contains("W10")) {
                failures += attempt(results, kind, "W10", () -> {
                    section(
                            "W10: from an append to a read model, in the same process and in another, woken or polling");
                    try (Target t = target(kind, work, "wakeups", o)) {
                        new WakeUps(t, results, work)
                                .run(plans.base(), plans.base().rounds(), o.quick ? 40 : 100);
                    }
                });
            }
            if (o.only.contains("W11")) {
                failures += attempt(results, kind, "W11", () -> decisions(o, plans, kind, work, results));
            }
            if (o.only.contains("W13")) {
                failures += attempt(results, kind, "W13", () -> {
                    section("W13: catching up a projection that needs 1% of the log");
                    try (Target t = target(kind, work, "filtered", o);
                            JdbcEventStore store = t.openStore(4)) {
                        Filtered filtered = new Filtered(store, results, kind.label);
                        filtered.run(o.quick ? 100_000 : 1_000_000, plans.scanWarm(), plans.scanRounds());
                        filtered.categories(o.quick ? 100_000 : 1_000_000, plans.scanWarm(), plans.scanRounds());
                    }
                    try (Target on = target(kind, work, "category_index_on", o);
                            Target off = target(kind, work, "category_index_off", o)) {
                        new CategoryCost(on, off, results, kind.label).run(1_000, o.quick ? 2 : 3, o.quick ? 5 : 9);
                    }
                });
            }
            if (o.only.contains("W14")) {
                failures += attempt(results, kind, "W14", () -> {
                    section("W14: catching up a projection split into segments");
                    try (Target t = target(kind, work, "segments", o);
                            JdbcEventStore store = t.openStore(12)) {
                        new Segmented(store, results, kind.label)
                                .run(
                                        o.quick ? 50_000 : 200_000,
                                        2_000,
                                        plans.scanWarm(),
                                        Math.max(3, plans.scanRounds()));
                    }
                });
            }
            if (o.only.contains("W12")) {
                failures += attempt(results, kind, "W12", () -> {
                    section("W12: reading sealed personal data, and deleting a long stream");
                    try (Target t = target(kind, work, "privacy", o);
                            JdbcEventStore store = t.openStore(4)) {
                        new Privacy(store, results, kind.label, "W12")
                                .run(
                                        o.quick ? 2_000 : 10_000,
                                        100,
                                        plans.scanWarm(),
                                        plans.scanRounds(),
                                        10_000,
                                        o.quick ? 3 : 5);
                    }
                });
            }
            if (o.only.contains("W15")) {
                failures += attempt(results, kind, "W15", () -> {
                    section("W15: side by side with Axon Framework 4.13 and a minimal table");
                    try (Target annals = target(kind, work, "w15_annals", o);
                            Target axon = target(kind, work, "w15_axon", o);
                            Target floor = target(kind, work, "w15_floor", o);
                            Target solo = target(kind, work, "w15_annals_solo", o)) {
                        Plan plan = w15Plan(o, plans);
                        new Peers(kind, results, plan, plan.rounds(), o.quick ? W15_LOG_QUICK : W15_LOG)
                                .run(annals, axon, floor, solo);
                    }
                });
            }
            if (o.only.contains("W7") && httpReady) {
                failures += attempt(results, kind, "W7", () -> {
                    section("W7: the price tracker's HTTP API under wrk");
                    // group commit on and off: on SQLite, where the tracker's tagged appends take it
                    try (Target annals = target(kind, work, "w7_annals", o);
                            Target baseline = target(kind, work, "w7_raw", o);
                            Target readModels = target(kind, work, "w7_readmodels", o);
                            Target off = kind == Target.Kind.SQLITE ? target(kind, work, "w7_nogroup", o) : null) {
                        new Http(work, pricetracker, self, results, o.quick ? 50 : 200, 16)
                                .run(
                                        annals,
                                        baseline,
                                        readModels,
                                        off,
                                        plans.httpWarm(),
                                        plans.httpReadsWarm(),
                                        plans.httpSeconds(),
                                        plans.httpRounds());
                    }
                });
            }
        }

        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began);
        Map<String, String> info = runInfo(o, dbs, seconds);
        if (o.merge != null) {
            Set<String> measured = new java.util.HashSet<>();
            results.rows.forEach(r -> measured.add(r.workload() + " " + r.db()));
            results.checks.forEach(c -> measured.add(c.workload() + " " + c.db()));
            results.calls.forEach(c -> measured.add("calls " + c.db()));
            Merge.into(results, o.merge, measured);
        }
        sources(results, info);
        Report.write(results, info, out);
        System.out.println();
        System.out.println("Results: " + out.resolve("results.md") + " (and results.json, ratios.svg, growth.svg)");
        boolean complete =
                o.only.size() == ALL.size() && dbs.size() == 2 && httpReady && failures == 0 && o.merge == null;
        boolean docs = o.writeDocs != null ? o.writeDocs : !o.quick && complete;
        if (docs) {
            Path d = root.resolve("docs");
            if (Files.isDirectory(d)) {
                Report.writeDocs(results, info, d);
                System.out.println("Updated " + d.resolve("benchmarks.md") + " and " + d.resolve("benchmarks/"));
            } else {
                System.out.println("No docs/ folder here: run from the repository root to update docs/benchmarks.md");
            }
        }
        System.out.printf(
                Locale.ROOT,
                "Done in %d min %02d s%s.%n",
                seconds / 60,
                seconds % 60,
                failures == 0 ? "" : ", " + failures + " part(s) failed (see the notes)");
        return failures == 0 ? 0 : 1;
    }

    /** Which figures come from which run and build (one run unless --merge took some from another). */
    private static void sources(Results results, Map<String, String> info) {
        Map<String, java.util.TreeSet<String>> bySource = new LinkedHashMap<>();
        for (Results.Row r : results.rows) {
            bySource.computeIfAbsent(r.source(), k -> new java.util.TreeSet<>()).add(r.db() + " " + r.workload());
        }
        if (bySource.size() > 1) {
            StringBuilder sources = new StringBuilder();
            bySource.forEach((source, which) -> sources.append(sources.length() == 0 ? "" : "; ")
                    .append(String.join(", ", which))
                    .append(": ")
                    .append(source));
            info.put("figures from", sources + " (why the runs were split: the notes of the run)");
        }
    }

    /** {@code --report-only}: the report of an earlier run's figures, nothing measured. */
    private static int reportOnly(Options o, Path root, Path out) throws IOException {
        Results results = new Results(System.out);
        Merge.into(results, o.reportOnly, Set.of());
        Map<String, String> info = new LinkedHashMap<>();
        com.fasterxml.jackson.databind.JsonNode run = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(o.reportOnly.toFile())
                .path("run");
        run.fieldNames().forEachRemaining(k -> info.put(k, run.path(k).asText()));
        sources(results, info);
        Report.write(results, info, out);
        System.out.println("Results: " + out.resolve("results.md"));
        if (Boolean.TRUE.equals(o.writeDocs)) {
            Report.writeDocs(results, info, root.resolve("docs"));
            System.out.println("Updated " + root.resolve("docs/benchmarks.md"));
        }
        return 0;
    }

    private interface Part {
        void run() throws Exception;
    }

    /** Runs one part; a failure (a server restarted under us...) is noted and the run goes on. */
    private static String postgresUrl = "";

    /**
     * Runs one part; a failure is noted and the run goes on. If PostgreSQL went away in the
     * middle (other developers' tests restart the local server), waits for it and runs the part
     * once more from the start.
     */
    private static int attempt(Results results, Target.Kind kind, String what, Part part) {
        for (int run = 1; ; run++) {
            int[] mark = results.mark();
            try {
                part.run();
                if (run > 1) {
                    results.note(what + " on " + kind.label + " was run a second time: the server restarted "
                            + "during its first run");
                }
                return 0;
            } catch (Exception e) {
                e.printStackTrace();
                results.rollback(mark);
                if (run <= 3 && kind == Target.Kind.POSTGRES && connectionLost(e)) {
                    // Other developers' tests restart the shared server, often several times in a row:
                    // wait until it has stayed up for a minute before starting the part again.
                    System.out.println("PostgreSQL went away during " + what + ": waiting for it to stay up for "
                            + "a minute (10 minutes at most), then running " + what + " again");
                    if (awaitStable(600, 60)) {
                        Cleanup.all(false);
                        continue;
                    }
                }
                results.note(what + " on " + kind.label + " failed, its figures are missing: " + e);
                return 1;
            }
        }
    }

    /** Waits until the server has answered without a break for {@code stableSeconds}. */
    private static boolean awaitStable(int maxSeconds, int stableSeconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        long upSince = -1;
        while (System.nanoTime() < deadline) {
            boolean up;
            try (Connection c = DriverManager.getConnection(postgresUrl)) {
                up = c.isValid(5);
            } catch (SQLException e) {
                up = false;
            }
            long now = System.nanoTime();
            if (!up) {
                upSince = -1;
            } else if (upSince < 0) {
                upSince = now;
            } else if (now - upSince >= TimeUnit.SECONDS.toNanos(stableSeconds)) {
                return true;
            }
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private static boolean connectionLost(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s
                    && s.getSQLState() != null
                    && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57P"))) {
                return true;
            }
            if (t instanceof java.net.SocketException) {
                return true;
            }
        }
        return false;
    }

    private static Target target(Target.Kind kind, Path work, String name, Options o) throws SQLException {
        return kind == Target.Kind.SQLITE ? Target.sqlite(work, name) : Target.postgres(o.postgres, name);
    }

    private static void writes(Options o, Plans plans, Target.Kind kind, Path work, Results results) throws Exception {
        try (Target t = target(kind, work, "writes", o)) {
            try (JdbcEventStore store = t.openStore(20)) {
                t.createBaselineSequences();
                Writes w = new Writes(t, store, results, plans.base());
                if (o.only.contains("W1")) {
                    section("W1: one event per append");
                    new Writes(t, store, results, w1Plan(o, plans)).w1();
                }
                if (o.only.contains("W2")) {
                    section("W2: ten events per append");
                    w.w2();
                }
                if (o.only.contains("W3")) {
                    section("W3: concurrent writers on distinct streams");
                    new Writes(t, store, results, plans.threads()).w3(new int[] {1, 4, 16});
                }
                if (o.only.contains("W4")) {
                    section("W4: the command loop on one hot aggregate");
                    w.w4(8);
                }
                if (o.only.contains("W5")) {
                    section("W5: loading aggregates");
                    new Reads(t, store, results).w5(new long[] {10, 1_000, 100_000}, plans.base(), plans.slowLoad());
                }
                section("JDBC calls per operation");
                Anatomy.run(t, results);
            }
        }
    }

    /**
     * The rounds of W1 in a full run, on both databases: more than the others' five, because
     * one-event appends on PostgreSQL move most from round to round on a shared machine. In four
     * W1-only runs of one build on PostgreSQL, medians of 5 rounds gave 0.63-0.99 of the baseline,
     * medians of 11 0.80-0.89.
     */
    static final int W1_ROUNDS = 11;

    private static Plan w1Plan(Options o, Plans plans) {
        return o.quick || o.rounds > 0 ? plans.base() : plans.base().rounds(W1_ROUNDS);
    }

    /**
     * The rounds of W15 in a full run: as many as W1's. Its three sides' appends all wait for a
     * flush of the same disk, and two full runs of one library with 5 rounds put their ratios
     * 6-51% apart, more than several targets' margins.
     */
    private static Plan w15Plan(Options o, Plans plans) {
        return w1Plan(o, plans);
    }

    private static void decisions(Options o, Plans plans, Target.Kind kind, Path work, Results results)
            throws Exception {
        try (Target t = target(kind, work, "decisions", o);
                JdbcEventStore store = t.openStore(20)) {
            Decisions d = new Decisions(t, store, results);
            section("W11: a decision across streams against a plain append, one writer");
            d.single(plans.base());
            section("W11: decisions on disjoint tags, 1 and 8 writers");
            d.scaling(plans.base(), 8);
            section("W11: what the consistency locks cost plain appends");
            d.lockCost(plans.base(), 8);
        }
        if (kind == Target.Kind.POSTGRES) {
            try (Target t = target(kind, work, "decisions_async", o);
                    JdbcEventStore store = JdbcEventStore.builder(t.url)
                            .maxPoolSize(20)
                            .durability(Durability.NORMAL)
                            .open()) {
                section("W11: what the consistency locks cost plain appends whose commits do not wait for the disk");
                new Decisions(t, store, results).lockCost(plans.base(), 8, true);
            }
        }
        long[] sizes = o.large
                ? new long[] {10_000, o.quick ? 100_000 : 1_000_000, 10_000_000}
                : new long[] {10_000, o.quick ? 100_000 : 1_000_000};
        try (Target t = target(kind, work, "tag_history", o);
                JdbcEventStore store = t.openStore(4)) {
            section("W11: read(query) by tag as the log grows (loaded with raw JDBC batches into the store's "
                    + "tables: setup, not measured)");
            new Decisions(t, store, results).tagReads(sizes, plans.growth());
        }
    }

    private static void history(Options o, Plans plans, Target.Kind kind, Path work, Results results) throws Exception {
        section("W6/W8: the history (bulk-loaded with raw JDBC batches; setup, not measured)");
        try (Target t = target(kind, work, "history", o);
                JdbcEventStore store = t.openStore(20)) {
            t.createBaselineSequences();
            Reads reads = new Reads(t, store, results);
            long loaded = 0;
            double[] first = null;
            double[] last = null;
            long lastSize = 0;
            for (long size : o.growthSizes) {
                long began = System.nanoTime();
                try (Loader loader = new Loader(t)) {
                    loader.history(loaded, size);
                }
                loaded = size;
                t.analyze();
                long lastPosition = t.sqlite() ? maxPosition(t) : t.loadPosition - 1;
                System.out.printf(
                        Locale.ROOT,
                        "   history of %,d events loaded in %.0f s (%,d MiB on disk; %s free)%n",
                        size,
                        (System.nanoTime() - began) / 1e9,
                        t.sizeBytes() >> 20,
                        freeSpace(work));
                if (o.only.contains("W6") && size == o.scanSize) {
                    section("W6: readAll and a projection over the history");
                    reads.w6(
                            size,
                            lastPosition,
                            plans.scanWarm(),
                            plans.scanRounds(),
                            plans.projectionWarm(),
                            plans.projectionRounds());
                }
                if (o.only.contains("W8")) {
                    section(String.format(Locale.ROOT, "W8: costs with %,d events stored", size));
                    double[] costs = reads.w8(size, size / 10, 1, lastPosition, plans.growth());
                    if (first == null) {
                        first = costs;
                    }
                    last = costs;
                    lastSize = size;
                }
            }
            if (first != null && lastSize > o.growthSizes[0]) {
                String[] names = {"append", "read a 10-event stream", "readAll page"};
                StringBuilder measured = new StringBuilder();
                boolean flat = true;
                for (int i = 0; i < 3; i++) {
                    double f = last[i] / first[i];
                    flat &= f <= 1.5;
                    measured.append(String.format(Locale.ROOT, "%s%s x%.2f", i == 0 ? "" : ", ", names[i], f));
                }
                boolean full = lastSize >= 10_000_000;
                results.check(
                        "W8",
                        kind.label,
                        String.format(
                                Locale.ROOT,
                                "flat: each cost at %s events within x1.5 of " + "its cost at %s%s",
                                Results.count(lastSize),
                                Results.count(o.growthSizes[0]),
                                full ? "" : " (the target is at 10M: full mode)"),
                        measured.toString(),
                        full ? flat : null,
                        "");
            }
        }
    }

    private static long maxPosition(Target t) throws SQLException {
        try (Connection c = t.raw();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT MAX(position) FROM annals_events")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String freeSpace(Path p) {
        try {
            return (Files.getFileStore(p).getUsableSpace() >> 30) + " GiB";
        } catch (IOException e) {
            return "?";
        }
    }

    private static boolean postgresReachable(String url) {
        try (Connection c = DriverManager.getConnection(url + (url.contains("?") ? "&" : "?") + "connectTimeout=5")) {
            return c.isValid(5);
        } catch (SQLException e) {
            System.err.println("PostgreSQL: " + e.getMessage());
            return false;
        }
    }

    private static Path findPricetrackerJar(Path root) {
        Path self = selfJar();
        List<Path> candidates = new ArrayList<>();
        candidates.add(root.resolve("pricetracker-example/target/pricetracker.jar"));
        if (self != null
                && self.getParent() != null
                && self.getParent().getParent() != null
                && self.getParent().getParent().getParent() != null) {
            candidates.add(
                    self.getParent().getParent().getParent().resolve("pricetracker-example/target/pricetracker.jar"));
        }
        return candidates.stream().filter(Files::exists).findFirst().orElse(null);
    }

    /** The benchmarks jar this runs from, or null when run from classes. */
    static Path selfJar() {
        try {
            Path p = Path.of(Bench.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            return p.toString().endsWith(".jar") ? p : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    private static Map<String, String> runInfo(Options o, List<Target.Kind> dbs, long seconds) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(
                "date",
                DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
                        .withZone(ZoneOffset.UTC)
                        .format(Instant.now()));
        Plans p = Plans.of(o.quick).override(o.roundSeconds, o.rounds, o.httpWarm);
        m.put(
                "mode",
                (o.quick ? "quick" : "full")
                        + String.format(
                                Locale.ROOT,
                                " (rounds of %.2f s after %.2f s of "
                                        + "warm-up, median of %d (W1 %d), Annals and baseline alternating; W3 %d rounds; W8 at %s"
                                        + " events; "
                                        + "W6 over %s events; W15 %d rounds after %.2f s of warm-up, its three sides in "
                                        + "rotating order, its log %s events; W7 %d rounds of %.0f s per server after %.0f s of "
                                        + "warm-up each (reads: %.0f s))",
                                p.base().roundNanos() / 1e9,
                                p.base().warmNanos() / 1e9,
                                p.base().rounds(),
                                w1Plan(o, p).rounds(),
                                p.threads().rounds(),
                                String.join(
                                        ", ",
                                        Arrays.stream(o.growthSizes)
                                                .mapToObj(Results::count)
                                                .toList()),
                                Results.count(o.scanSize),
                                Peers.plan(w15Plan(o, p)).rounds(),
                                Peers.plan(w15Plan(o, p)).warmNanos() / 1e9,
                                Results.count(o.quick ? W15_LOG_QUICK : W15_LOG),
                                p.httpRounds(),
                                p.httpSeconds(),
                                p.httpWarm(),
                                p.httpReadsWarm()));
        m.put(
                "command",
                "`java -jar benchmarks/target/benchmarks.jar" + (o.args.isEmpty() ? "" : " " + String.join(" ", o.args))
                        + "` (after `mvn -q -pl benchmarks -am package -DskipTests`)");
        m.put("duration", String.format(Locale.ROOT, "%d min %02d s", seconds / 60, seconds % 60));
        m.put(
                "machine",
                cpu() + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + memory()
                        + ", " + System.getProperty("os.name") + " " + System.getProperty("os.version")
                        + ", shared with other developers' builds");
        m.put("Java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("SQLite", sqliteInfo());
        if (dbs.contains(Target.Kind.POSTGRES)) {
            m.put("PostgreSQL", postgresInfo(o.postgres));
        }
        m.put("Annals", git());
        return m;
    }

    private static String cpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    private static String memory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return (kb >> 20) + " GiB RAM";
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return "? GiB RAM";
    }

    private static String sqliteInfo() {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT sqlite_version()")) {
            rs.next();
            return rs.getString(1) + " (sqlite-jdbc " + c.getMetaData().getDriverVersion()
                    + "), WAL, synchronous=FULL for Annals (its default durability) and the baseline";
        } catch (SQLException e) {
            return "?";
        }
    }

    private static String postgresInfo(String url) {
        try (Connection c = DriverManager.getConnection(url);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_setting('server_version'), "
                        + "current_setting('synchronous_commit'), current_setting('shared_buffers'), "
                        + "current_setting('fsync')")) {
            rs.next();
            return rs.getString(1) + " on 127.0.0.1 (pgjdbc " + c.getMetaData().getDriverVersion()
                    + "), synchronous_commit="
                    + rs.getString(2) + " (Annals' default durability leaves it as it is), shared_buffers="
                    + rs.getString(3) + ", fsync=" + rs.getString(4);
        } catch (SQLException e) {
            return "?";
        }
    }

    private static String git() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD")
                    .redirectErrorStream(true)
                    .start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                return "unknown";
            }
            Process d = new ProcessBuilder(
                            "git",
                            "status",
                            "--porcelain",
                            "--",
                            "eventstore-core/src",
                            "eventstore-jdbc/src/main",
                            "pricetracker-example/src/main")
                    .redirectErrorStream(true)
                    .start();
            String dirty = new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            d.waitFor();
            return "git " + v + (dirty.isEmpty() ? "" : " + uncommitted library changes");
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
