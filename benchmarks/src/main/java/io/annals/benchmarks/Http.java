package io.annals.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.benchmarks.Measure.Pair;
import io.annals.benchmarks.Measure.Side;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * W7: the price tracker's HTTP API under load from a second process ({@code wrk}) on loopback,
 * against the same routes written by hand on raw JDBC ({@link BaselineServer}). Both servers run
 * in JVMs of their own with the same heap; each is measured in turns with the other idle. Beside
 * the rates and latencies, each round reports what a request cost the machine: the CPU time of the
 * server's process (on SQLite the database works in it too) and, on PostgreSQL, of the server
 * processes serving its connections, and the bytes of WAL it wrote. The two cores run wrk, the
 * server and the database together, so the rates follow these costs.
 */
final class Http {

    /** What wrk measured in one run. */
    record Load(
            double requestsPerSecond,
            long requests,
            long errors,
            double p50,
            double p90,
            double p99,
            double p999,
            Cost cost) {}

    /** What one run of wrk cost per request: CPU microseconds, and bytes of PostgreSQL's WAL. */
    record Cost(
            double serverCpuMicros,
            double databaseCpuMicros,
            double walBytes,
            double contextSwitches,
            double jvmThreadsCpuMicros) {}

    /**
     * A server under test, in its own process; on PostgreSQL its connections carry {@code
     * application} as their name, and {@code admin} reads the server's counters.
     */
    private record Server(String label, Process process, int port, Path log, String application, String admin) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The projections that keep the read models the baseline writes in its transaction. */
    static final String BASELINE_READ_MODELS = "product-view,price-history";

    /** Where each server's loads are: [0] Annals and [1] the baseline, then these. */
    private static final int READ_MODELS = 2;

    private static final int NO_GROUP_COMMIT = 3;

    private static final String READ_MODELS_LABEL = "read-models";

    private final Path work;
    private final Path pricetrackerJar;
    private final Path benchmarksJar;
    private final Results results;
    private final int products;
    private final int connections;
    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Http(Path work, Path pricetrackerJar, Path benchmarksJar, Results results, int products, int connections) {
        this.work = work;
        this.pricetrackerJar = pricetrackerJar;
        this.benchmarksJar = benchmarksJar;
        this.results = results;
        this.products = products;
        this.connections = connections;
    }

    /** Whether wrk is on the PATH. */
    static boolean wrkAvailable() {
        try {
            Process p = new ProcessBuilder("wrk", "--version")
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS);
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs the phases against Annals, the baseline and the tracker running only the projections
     * of the baseline's read models ({@code PROJECTIONS=product-view,price-history}), and, when
     * {@code withoutGroupCommit} is given, against the tracker on a store with group commit off
     * ({@link TrackerServer}), all in the same rounds. Each phase first loads every server in
     * turn, for {@code warmSeconds} before the price changes and {@code readsWarmSeconds} before
     * the reads, so that the rounds measure compiled code.
     */
    void run(
            Target annalsTarget,
            Target baselineTarget,
            Target baselineReadModels,
            Target withoutGroupCommit,
            double warmSeconds,
            double readsWarmSeconds,
            double seconds,
            int rounds)
            throws Exception {
        String db = annalsTarget.kind.label;
        Path post = script("post", true);
        Path get = script("get", false);
        List<Server> servers = new ArrayList<>();
        try {
            List<String> tracker = List.of("-jar", pricetrackerJar.toString(), "serve");
            Server annals = start("Annals", tracker, annalsTarget, Map.of());
            servers.add(annals);
            Server baseline = start(
                    "baseline",
                    List.of("-cp", benchmarksJar.toString(), BaselineServer.class.getName()),
                    baselineTarget,
                    Map.of());
            servers.add(baseline);
            servers.add(
                    start(READ_MODELS_LABEL, tracker, baselineReadModels, Map.of("PROJECTIONS", BASELINE_READ_MODELS)));
            if (withoutGroupCommit != null) {
                servers.add(start(
                        "no-group-commit",
                        List.of(
                                "-cp",
                                pricetrackerJar + java.io.File.pathSeparator + benchmarksJar,
                                TrackerServer.class.getName()),
                        withoutGroupCommit,
                        Map.of()));
            }
            for (Server s : servers) {
                awaitUp(s);
            }
            for (Server s : servers) {
                seed(s);
            }
            for (Server s : servers) {
                if (s != baseline) {
                    awaitReadModels(s);
                }
            }

            // Price changes, then (read models caught up) product reads.
            Load[][] changes = phase(servers, post, warmSeconds, seconds, rounds);
            long lag = awaitReadModels(annals);
            for (Server s : servers.subList(2, servers.size())) {
                awaitReadModels(s);
            }
            Load[][] reads = phase(servers, get, readsWarmSeconds, seconds, rounds);

            report(
                    db,
                    "POST /products/{id}/price-changes",
                    "price changes/s",
                    true,
                    changes,
                    0.9,
                    String.format(Locale.ROOT, "read models caught up %d ms after the load stopped", lag));
            report(db, "GET /products/{id}", "reads/s", false, reads, null, "");
        } finally {
            for (Server s : servers) {
                Cleanup.stop(s.process());
            }
        }
    }

    /**
     * Reports a route's throughput (against {@code target}, if any), its latencies and its costs
     * (the WAL only for a route that {@code writes}).
     */
    private void report(
            String db, String route, String unit, boolean writes, Load[][] loads, Double target, String note) {
        String what = route + ", " + connections + " connections";
        boolean sqlite = db.equals(Target.Kind.SQLITE.label);
        String errors = errors(loads);
        results.compare(
                "W7",
                db,
                what,
                unit,
                pair(loads, Load::requestsPerSecond),
                BASELINE,
                true,
                target,
                note.isEmpty() || errors.isEmpty() ? note + errors : note + "; " + errors);
        Rows annals = new Rows(db, what + ": ", loads, 0, 1, BASELINE, "");
        annals.add("latency p50", "ms", l -> l.p50() / 1000);
        annals.add("latency p99", "ms", l -> l.p99() / 1000);
        String same = "Annals running only the projections of the baseline's read models (" + "PROJECTIONS="
                + BASELINE_READ_MODELS + "), the same rounds";
        Rows alone = new Rows(db, what + ": the baseline's read models alone", loads, READ_MODELS, 1, BASELINE, same);
        alone.rate("", unit, Load::requestsPerSecond);
        alone.add(", latency p99", "ms", l -> l.p99() / 1000);
        alone.add(
                ", CPU of the server's process per request", "µs", l -> l.cost().serverCpuMicros());
        if (!sqlite) {
            alone.add(
                    ", CPU of the database's processes per request",
                    "µs",
                    l -> l.cost().databaseCpuMicros());
        }
        if (loads.length > NO_GROUP_COMMIT) {
            Rows off = new Rows(
                    db,
                    what + ": group commit on and off",
                    loads,
                    0,
                    NO_GROUP_COMMIT,
                    "Annals with groupCommit(false) (TrackerServer), the same rounds",
                    "");
            off.rate("", unit, Load::requestsPerSecond);
            off.add(", latency p99", "ms", l -> l.p99() / 1000);
        }
        annals.add(
                "CPU of the server's process per request" + (sqlite ? " (the database's work in it)" : ""),
                "µs",
                l -> l.cost().serverCpuMicros());
        annals.add(
                "context switches of the server's threads per request",
                "switches",
                l -> l.cost().contextSwitches());
        annals.add(
                "CPU of the server's JIT compiler and GC threads per request",
                "µs",
                l -> l.cost().jvmThreadsCpuMicros());
        alone.add(
                ", CPU of the server's JIT compiler and GC threads per request",
                "µs",
                l -> l.cost().jvmThreadsCpuMicros());
        alone.add(
                ", context switches of the server's threads per request",
                "switches",
                l -> l.cost().contextSwitches());
        if (!sqlite) {
            annals.add(
                    "CPU of the database's processes per request",
                    "µs",
                    l -> l.cost().databaseCpuMicros());
            if (writes) {
                annals.add("WAL per request", "bytes", l -> l.cost().walBytes());
            }
        }
    }

    private static final String BASELINE = "the same route by hand on raw JDBC (BaselineServer)";

    /**
     * Rows of W7 that put the server at {@code side} against the one at {@code other}, their
     * names starting with {@code prefix}; a rate is better higher, a cost lower.
     */
    private final class Rows {
        private final String db;
        private final String prefix;
        private final Load[][] loads;
        private final int side;
        private final int other;
        private final String against;
        private final String note;

        Rows(String db, String prefix, Load[][] loads, int side, int other, String against, String note) {
            this.db = db;
            this.prefix = prefix;
            this.loads = loads;
            this.side = side;
            this.other = other;
            this.against = against;
            this.note = note;
        }

        void rate(String name, String unit, Figure f) {
            results.compare("W7", db, prefix + name, unit, pair(loads, side, other, f), against, true, null, note);
        }

        void add(String name, String unit, Figure f) {
            results.compare("W7", db, prefix + name, unit, pair(loads, side, other, f), against, false, null, note);
        }
    }

    private static String errors(Load[][] loads) {
        long[] e = new long[loads.length];
        for (int i = 0; i < loads.length; i++) {
            for (Load l : loads[i]) {
                e[i] += l.errors();
            }
        }
        if (java.util.Arrays.stream(e).sum() == 0) {
            return "";
        }
        return String.format(
                        Locale.ROOT,
                        "errors or non-2xx answers: Annals %d, baseline %d, the baseline's read models alone %d",
                        e[0],
                        e[1],
                        e[READ_MODELS])
                + (loads.length > NO_GROUP_COMMIT ? ", without group commit " + e[NO_GROUP_COMMIT] : "");
    }

    private interface Figure {
        double of(Load l);
    }

    private static Pair pair(Load[][] loads, Figure f) {
        return pair(loads, 0, 1, f);
    }

    /** The figures of the server at {@code side} beside those of the server at {@code other}. */
    private static Pair pair(Load[][] loads, int side, int other, Figure f) {
        double[] a = new double[loads[side].length];
        double[] b = new double[loads[other].length];
        for (int i = 0; i < a.length; i++) {
            a[i] = f.of(loads[side][i]);
            b[i] = f.of(loads[other][i]);
        }
        return new Pair(new Side(a), new Side(b));
    }

    /**
     * Warm-up of each, then rounds in which each server runs once, the order rotating; the loads
     * in the servers' order ([0] Annals, [1] baseline, then any other).
     */
    private Load[][] phase(List<Server> servers, Path script, double warm, double seconds, int rounds)
            throws Exception {
        for (Server s : servers) {
            wrk(s, script, warm);
        }
        int n = servers.size();
        Load[][] out = new Load[n][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < n; k++) {
                int i = (r + k) % n;
                out[i][r] = wrk(servers.get(i), script, seconds);
            }
        }
        return out;
    }

    private Path script(String name, boolean post) throws IOException {
        String postRequest = """
                  local v = (math.random(2) == 1) and "0.01" or "-0.01"
                  return wrk.format("POST", "/products/p-" .. math.random(%d) .. "/price-changes",
                      {["Content-Type"] = "application/json"}, '{"variation":' .. v .. '}')
                  """;
        String getRequest = """
                  return wrk.format("GET", "/products/p-" .. math.random(%d))
                  """;
        String request = (post ? postRequest : getRequest).formatted(products);
        String lua = "request = function()\n" + request + "end\n" + """
                done = function(summary, latency, requests)
                  local e = summary.errors
                  io.write(string.format('WRKJSON {"requests":%d,"duration":%d,"errors":%d,' ..
                      '"p50":%d,"p90":%d,"p99":%d,"p999":%d}\\n',
                      summary.requests, summary.duration,
                      e.connect + e.read + e.write + e.status + e.timeout,
                      latency:percentile(50), latency:percentile(90), latency:percentile(99),
                      latency:percentile(99.9)))
                end
                """;
        Path p = work.resolve(name + ".lua");
        Files.writeString(p, lua);
        return p;
    }

    private Load wrk(Server s, Path script, double seconds) throws Exception {
        int secs = Math.max(1, (int) Math.round(seconds));
        Reading before = Reading.take(s);
        Process p = new ProcessBuilder(
                        "wrk",
                        "-t2",
                        "-c" + connections,
                        "-d" + secs + "s",
                        "--timeout",
                        "10s",
                        "-s",
                        script.toString(),
                        "http://127.0.0.1:" + s.port())
                .redirectErrorStream(true)
                .start();
        Cleanup.process(p);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(secs + 60L, TimeUnit.SECONDS)) {
            Cleanup.stop(p);
            throw new IllegalStateException("wrk did not finish");
        }
        int at = out.indexOf("WRKJSON ");
        if (at < 0) {
            throw new IllegalStateException("wrk printed no summary (exit " + p.exitValue() + "): " + out);
        }
        Reading after = Reading.take(s);
        String line = out.substring(at + 8, out.indexOf('\n', at));
        JsonNode n = JSON.readTree(line);
        long requests = n.get("requests").asLong();
        return new Load(
                requests / (n.get("duration").asLong() / 1e6),
                requests,
                n.get("errors").asLong(),
                n.get("p50").asDouble(),
                n.get("p90").asDouble(),
                n.get("p99").asDouble(),
                n.get("p999").asDouble(),
                after.since(before, Math.max(1, requests)));
    }

    /**
     * The counters of one moment: the CPU time of the server's process and of the database's
     * processes serving it (PostgreSQL), and the WAL's insert position. A database process that
     * started in between counts from zero; one that ended takes its time with it (the servers'
     * pools keep theirs open).
     */
    private record Reading(
            long serverCpuNanos, Map<Long, Long> databaseCpuNanos, long wal, long switches, long jvmTicks) {

        static Reading take(Server s) throws SQLException, IOException {
            long server = cpuNanos(s.process().pid());
            Map<Long, Long> database = Map.of();
            long wal = 0;
            if (s.admin() != null) {
                try (Connection c = DriverManager.getConnection(s.admin())) {
                    database = Backends.cpuNanos(c, s.application());
                    try (Statement st = c.createStatement();
                            ResultSet rs = st.executeQuery(
                                    "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")) {
                        rs.next();
                        wal = rs.getLong(1);
                    }
                }
            }
            long pid = s.process().pid();
            return new Reading(server, database, wal, contextSwitches(pid), jvmThreadTicks(pid));
        }

        /** A process's CPU time, all its threads (those that ended too), or 0 if it is gone. */
        private static long cpuNanos(long pid) {
            return ProcessHandle.of(pid)
                    .flatMap(h -> h.info().totalCpuDuration())
                    .map(Duration::toNanos)
                    .orElse(0L);
        }

        /**
         * The context switches of a process's threads alive now, voluntary and not, from Linux's
         * {@code /proc}. A thread that ended takes its count with it.
         */
        private static long contextSwitches(long pid) {
            return sumOverThreads(pid, thread -> {
                long n = 0;
                for (String line : Files.readAllLines(thread.resolve("status"))) {
                    if (line.contains("ctxt_switches:")) { // voluntary and not
                        n += Long.parseLong(
                                line.substring(line.indexOf(':') + 1).trim());
                    }
                }
                return n;
            });
        }

        /**
         * The CPU time, in clock ticks (1/100 s on Linux), of a process's JIT compiler and garbage
         * collector threads alive now ({@code /proc/PID/task/TID/stat}, by thread name): the
         * JVM's own work, beside the application's.
         */
        private static long jvmThreadTicks(long pid) {
            return sumOverThreads(pid, thread -> {
                String stat = Files.readString(thread.resolve("stat"));
                int close = stat.lastIndexOf(')');
                String name = stat.substring(stat.indexOf('(') + 1, close);
                if (!name.contains("CompilerThre") && !name.startsWith("GC Thread") && !name.startsWith("G1 ")) {
                    return 0;
                }
                String[] f = stat.substring(close + 2).split(" ");
                return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
            });
        }

        /** What a thread's files under {@code /proc/PID/task/TID} count. */
        private interface ThreadCount {
            long of(Path thread) throws IOException;
        }

        /**
         * {@code count} summed over a process's threads alive now; 0 where there is no {@code
         * /proc}, and for a thread that ends while it is read.
         */
        private static long sumOverThreads(long pid, ThreadCount count) {
            Path tasks = Path.of("/proc", Long.toString(pid), "task");
            if (!Files.isDirectory(tasks)) {
                return 0;
            }
            long sum = 0;
            try (var threads = Files.list(tasks)) {
                for (Path t : (Iterable<Path>) threads::iterator) {
                    try {
                        sum += count.of(t);
                    } catch (IOException | RuntimeException e) {
                        // the thread ended meanwhile
                    }
                }
            } catch (IOException e) {
                return 0;
            }
            return sum;
        }

        Cost since(Reading start, long requests) {
            long database = Backends.spent(start.databaseCpuNanos, databaseCpuNanos);
            return new Cost(
                    (serverCpuNanos - start.serverCpuNanos) / 1e3 / requests,
                    database / 1e3 / requests,
                    (wal - start.wal) / (double) requests,
                    Math.max(0, switches - start.switches) / (double) requests,
                    Math.max(0, jvmTicks - start.jvmTicks) * 10_000.0 / requests);
        }
    }

    private Server start(String label, List<String> command, Target target, Map<String, String> env)
            throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xms256m");
        cmd.add("-Xmx1g");
        // Without TCP_NODELAY the JDK's HTTP server answers each keep-alive request 40 ms late
        // (Nagle's algorithm against the client's delayed ACK: headers and body go out in two
        // writes), on both servers alike; the figures would measure that stall, not the servers.
        cmd.add("-Dsun.net.httpserver.nodelay=true");
        String extra = System.getenv("ANNALS_BENCH_SERVER_JVM_OPTS"); // e.g. to profile a server with JFR
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(
                    extra.trim().replace("{name}", label + "-" + target.name).split("\\s+")));
        }
        cmd.addAll(command);
        String application = target.sqlite()
                ? null
                : "annals-bench-w7-" + label + "-"
                        + UUID.randomUUID().toString().substring(0, 8);
        String url = target.sqlite() ? target.url : target.url + "&ApplicationName=" + application;
        cmd.addAll(List.of("--port", Integer.toString(port), "--db", url));
        Path log = work.resolve(label + "-" + target.name + ".log");
        ProcessBuilder builder = new ProcessBuilder(cmd)
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        // settings of the example in the run's own environment would change the trackers, not the baseline
        builder.environment().keySet().removeAll(List.of("PROJECTIONS", "PRODUCT_VIEW_SEGMENTS", "PRODUCT_VIEW_OWN"));
        builder.environment().putAll(env);
        Process p = builder.start();
        Cleanup.process(p);
        return new Server(label, p, port, log, application, target.sqlite() ? null : target.url);
    }

    private static void awaitUp(Server s) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!s.process().isAlive()) {
                throw new IllegalStateException(s.label() + " server exited: " + Files.readString(s.log()));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", s.port()), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException(s.label() + " server did not start: " + Files.readString(s.log()));
    }

    private HttpResponse<String> send(Server s, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
                .timeout(Duration.ofSeconds(30));
        b = body == null
                ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.method(method, HttpRequest.BodyPublishers.ofString(body))
                        .header("Content-Type", "application/json");
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private void seed(Server s) throws Exception {
        for (int i = 1; i <= products; i++) {
            HttpResponse<String> r = send(
                    s,
                    "POST",
                    "/products",
                    "{\"productId\":\"p-" + i + "\",\"name\":\"Product " + i + "\",\"price\":1000.00}");
            if (r.statusCode() != 201) {
                throw new IllegalStateException(
                        s.label() + ": creating p-" + i + " answered " + r.statusCode() + " " + r.body());
            }
        }
    }

    /**
     * Writes one more change and waits until every read model the server keeps has it, reading
     * each with {@code atLeast} on a route that reads it (each route waits for its own read
     * models); returns the wait in ms.
     */
    private long awaitReadModels(Server s) throws Exception {
        long began = System.nanoTime();
        HttpResponse<String> r = send(s, "POST", "/products/p-1/price-changes", "{\"variation\":0.01}");
        if (r.statusCode() != 200) {
            throw new IllegalStateException(s.label() + ": a price change answered " + r.statusCode() + " " + r.body());
        }
        long position = JSON.readTree(r.body()).get("position").asLong();
        List<String> routes = s.label().equals(READ_MODELS_LABEL)
                ? List.of("/products/p-1", "/products/p-1/history")
                : List.of("/products/p-1", "/products/p-1/history", "/stats/monthly", "/products/p-1/alerts");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        for (String route : routes) {
            while (true) {
                HttpResponse<String> g = send(s, "GET", route + "?atLeast=" + position, null);
                if (g.statusCode() == 200) {
                    break;
                }
                if (g.statusCode() != 503) {
                    throw new IllegalStateException(
                            s.label() + ": reading " + route + " answered " + g.statusCode() + " " + g.body());
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(s.label() + ": the read models did not catch up in 300 s");
                }
            }
        }
        return (System.nanoTime() - began) / 1_000_000;
    }
}
