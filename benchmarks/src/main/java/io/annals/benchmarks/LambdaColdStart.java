package io.annals.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The cold start of the price tracker's API function: the time from starting a fresh JVM to its
 * first response, for the sample read with {@code atLeast} (docs/lambda.md). The JVM runs what
 * AWS runs, the runtime interface client, on {@code pricetracker-lambda.jar}, against a fake of
 * the Lambda runtime API served here, on PostgreSQL. Three settings, measured turn by turn in the
 * same run:
 *
 * <ul>
 *   <li>{@code default}: the JVM as it comes (the JDK's own class-data archive for its classes);
 *   <li>{@code appcds}: with an application class-data archive of the classes a first invocation
 *       loads, made first by a training run with {@code -XX:ArchiveClassesAtExit};
 *   <li>{@code appcds+c1}: the same with {@code -XX:TieredStopAtLevel=1}, as Lambda's Java
 *       runtimes set by default.
 * </ul>
 *
 * <pre>{@code
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar io.annals.benchmarks.LambdaColdStart [--runs 10] [--postgres URL]
 * }</pre>
 */
public final class LambdaColdStart {

    private static final String HANDLER = "io.annals.pricetracker.lambda.ApiGatewayHandler";

    private LambdaColdStart() {}

    /** One cold start: the time to the first response, and to the second on the same JVM. */
    private record Start(double firstMillis, double secondMillis) {}

    /**
     * Runs the benchmark and prints the table.
     *
     * @param args {@code [--runs N] [--postgres URL] [--jar PATH] [--runtime DIR] [--events DIR]}
     */
    public static void main(String[] args) throws Exception {
        int runs = 10;
        String url = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
        Path root = Path.of("").toAbsolutePath();
        Path jar = root.resolve("pricetracker-example/target/pricetracker-lambda.jar");
        Path runtimeDir = root.resolve("benchmarks/target/lambda-runtime");
        Path events = root.resolve("pricetracker-example/src/main/resources/events");
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(value);
                case "--postgres" -> url = value;
                case "--jar" -> jar = Path.of(value);
                case "--runtime" -> runtimeDir = Path.of(value);
                case "--events" -> events = Path.of(value);
                default -> {
                    System.err.println("usage: LambdaColdStart [--runs N] [--postgres URL] [--jar PATH]"
                            + " [--runtime DIR] [--events DIR]");
                    System.exit(2);
                }
            }
            i++;
        }
        for (Path p : List.of(jar, runtimeDir, events)) {
            if (!Files.exists(p)) {
                System.err.println(p + " is missing: run from the repository root after"
                        + " mvn -q -pl benchmarks -am package -DskipTests");
                System.exit(2);
            }
        }
        List<String> classPath = new ArrayList<>();
        classPath.add(jar.toString());
        try (Stream<Path> jars = Files.list(runtimeDir)) {
            jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> classPath.add(p.toString()));
        }
        byte[] create = Files.readAllBytes(events.resolve("create-product.json"));
        String read = Files.readString(events.resolve("get-product-at-least.json"), StandardCharsets.UTF_8);

        String schema = "annals_bench_lambda_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        execute(url, "CREATE SCHEMA " + schema);
        String dbUrl = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        Path work = Files.createTempDirectory("annals-lambda-cold-start");
        try {
            // The schema, and the product the reads ask for; its position is what they wait for.
            String created = RuntimeApi.once(classPath, List.of(), work, dbUrl, create);
            long position = Long.parseLong(created.replaceAll(".*\\\\\"position\\\\\":(\\d+).*", "$1"));
            byte[] readEvent = read.replace(
                            "\"rawQueryString\": \"atLeast=2\"", "\"rawQueryString\": \"atLeast=" + position + "\"")
                    .getBytes(StandardCharsets.UTF_8);

            Path archive = work.resolve("pricetracker-lambda.jsa");
            RuntimeApi.once(classPath, List.of("-XX:ArchiveClassesAtExit=" + archive), work, dbUrl, readEvent);
            if (!Files.exists(archive)) {
                throw new IllegalStateException("the training run wrote no archive " + archive);
            }
            Map<String, List<String>> settings = new LinkedHashMap<>();
            settings.put("default", List.of());
            settings.put("appcds", List.of("-XX:SharedArchiveFile=" + archive));
            settings.put("appcds+c1", List.of("-XX:SharedArchiveFile=" + archive, "-XX:TieredStopAtLevel=1"));
            Map<String, List<Start>> starts = new LinkedHashMap<>();
            settings.keySet().forEach(k -> starts.put(k, new ArrayList<>()));
            RuntimeApi.start(classPath, List.of(), work, dbUrl, readEvent); // warms the disk cache
            for (int i = 0; i < runs; i++) {
                for (Map.Entry<String, List<String>> s : settings.entrySet()) {
                    starts.get(s.getKey()).add(RuntimeApi.start(classPath, s.getValue(), work, dbUrl, readEvent));
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "Cold start of the API function (%d runs each, %d CPUs, %s, archive %.1f MB):%n",
                    runs,
                    Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.vm.version"),
                    Files.size(archive) / 1e6);
            System.out.printf(
                    Locale.ROOT,
                    "%-11s %12s %12s %12s %14s%n",
                    "setting",
                    "first p50",
                    "first min",
                    "first max",
                    "second p50");
            for (Map.Entry<String, List<Start>> e : starts.entrySet()) {
                List<Double> first =
                        e.getValue().stream().map(Start::firstMillis).sorted().toList();
                List<Double> second =
                        e.getValue().stream().map(Start::secondMillis).sorted().toList();
                System.out.printf(
                        Locale.ROOT,
                        "%-11s %9.0f ms %9.0f ms %9.0f ms %11.1f ms%n",
                        e.getKey(),
                        median(first),
                        first.get(0),
                        first.get(first.size() - 1),
                        median(second));
            }
        } finally {
            execute(url, "DROP SCHEMA " + schema + " CASCADE");
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    private static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static void execute(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /**
     * A fake of the Lambda runtime API: hands one queued event to each {@code /next} and passes
     * each response back, with when it arrived.
     */
    private static final class RuntimeApi implements AutoCloseable {
        private final HttpServer server;
        private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "lambda-runtime-api");
            t.setDaemon(true);
            return t;
        });
        private final BlockingQueue<byte[]> events = new LinkedBlockingQueue<>();
        private final SynchronousQueue<Arrival> responses = new SynchronousQueue<>();

        private record Arrival(long nanos, String body) {}

        RuntimeApi() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/2018-06-01/runtime/", this::handle);
            server.setExecutor(executor);
            server.start();
        }

        /**
         * A fresh JVM: the times to its first and second responses to {@code event}. Each JVM
         * has a runtime API of its own, so that the call a stopped JVM left waiting cannot take
         * the next JVM's event.
         */
        static Start start(List<String> classPath, List<String> options, Path work, String dbUrl, byte[] event)
                throws IOException, InterruptedException {
            try (RuntimeApi api = new RuntimeApi()) {
                api.events.add(event);
                api.events.add(event);
                long began = System.nanoTime();
                Process p = api.launch(classPath, options, work, dbUrl);
                try {
                    Arrival first = api.arrival(p, work);
                    Arrival second = api.arrival(p, work);
                    return new Start((first.nanos() - began) / 1e6, (second.nanos() - first.nanos()) / 1e6);
                } finally {
                    stop(p);
                }
            }
        }

        /** A fresh JVM answers {@code event} once, then stops (writing its class archive, if asked). */
        static String once(List<String> classPath, List<String> options, Path work, String dbUrl, byte[] event)
                throws IOException, InterruptedException {
            try (RuntimeApi api = new RuntimeApi()) {
                api.events.add(event);
                Process p = api.launch(classPath, options, work, dbUrl);
                try {
                    return api.arrival(p, work).body();
                } finally {
                    stop(p);
                }
            }
        }

        private Process launch(List<String> classPath, List<String> options, Path work, String dbUrl)
                throws IOException {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(options);
            command.addAll(List.of(
                    "-cp",
                    String.join(File.pathSeparator, classPath),
                    "com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
                    HANDLER));
            ProcessBuilder pb = new ProcessBuilder(command)
                    .directory(work.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(work.resolve("function.log").toFile());
            Map<String, String> env = pb.environment();
            env.put("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:" + server.getAddress().getPort());
            env.put("PRICETRACKER_DB_URL", dbUrl);
            env.put("_HANDLER", HANDLER);
            env.put("AWS_LAMBDA_FUNCTION_NAME", "pricetracker-bench-api");
            env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
            env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024");
            env.put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/pricetracker-bench-api");
            env.put("AWS_LAMBDA_LOG_STREAM_NAME", "bench");
            return pb.start();
        }

        private Arrival arrival(Process p, Path work) throws InterruptedException, IOException {
            Arrival a = responses.poll(120, TimeUnit.SECONDS);
            if (a == null || !a.body().contains("\"statusCode\":20")) {
                throw new IllegalStateException("the function gave "
                        + (a == null ? "no response" : a.body())
                        + (p.isAlive() ? "" : " and exited with " + p.exitValue())
                        + "; its log:\n" + Files.readString(work.resolve("function.log")));
            }
            return a;
        }

        /** Stops the JVM as Lambda does (SIGTERM), and waits: the class archive is written at exit. */
        private static void stop(Process p) throws InterruptedException {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }

        private void handle(HttpExchange exchange) throws IOException {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                byte[] body = exchange.getRequestBody().readAllBytes();
                if (path.endsWith("/invocation/next")) {
                    byte[] event;
                    try {
                        event = events.take(); // waits, as the real API does, until the JVM is stopped
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    // every header the real API sends: the client's native code reads them all
                    var headers = exchange.getResponseHeaders();
                    headers.set("Content-Type", "application/json");
                    headers.set("Lambda-Runtime-Trace-Id", "Root=1-65f2a1b0-2c8e0d5a7f3b4e6d1a9c0b12;Sampled=0");
                    headers.set(
                            "Lambda-Runtime-Aws-Request-Id", UUID.randomUUID().toString());
                    exchange.getResponseHeaders()
                            .set("Lambda-Runtime-Deadline-Ms", String.valueOf(System.currentTimeMillis() + 30_000));
                    exchange.getResponseHeaders()
                            .set(
                                    "Lambda-Runtime-Invoked-Function-Arn",
                                    "arn:aws:lambda:eu-west-1:123456789012:function:pricetracker-bench-api");
                    exchange.sendResponseHeaders(200, event.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(event);
                    }
                    return;
                }
                if (path.endsWith("/response") || path.endsWith("/error")) {
                    try {
                        responses.put(new Arrival(System.nanoTime(), new String(body, StandardCharsets.UTF_8)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                exchange.sendResponseHeaders(202, -1);
            }
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
