package io.annals.pricetracker.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.amazonaws.services.lambda.runtime.api.client.AWSLambda;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Lambda jar ({@code target/pricetracker-lambda.jar}, built by {@code package}) run as AWS
 * runs it: in a JVM of its own under the runtime interface client (the program of Lambda's Java
 * runtimes and of a container image built on the client), which takes each invocation from the
 * Lambda runtime API, here a fake served by the test ({@link FakeRuntimeApi}). The child's class
 * path is what a container image has: the client, its two libraries (aws-lambda-java-core and the
 * serialization library) and the jar; with SQLite, also the SQLite driver's jar, which brings the
 * native libraries the Lambda jar leaves out.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class LambdaRuntimeIT {

    private static final Duration ANSWER = Duration.ofSeconds(60);
    private static final String API = "io.annals.pricetracker.lambda.ApiGatewayHandler";
    private static final String PROJECTOR = "io.annals.pricetracker.lambda.ProjectorHandler";

    @TempDir
    Path dir;

    @Test
    @Timeout(180)
    void on_SQLite_a_create_then_a_read_of_ones_own_write_answer_through_the_runtime() throws Exception {
        createThenReadYourWrite("jdbc:sqlite:" + dir.resolve("lambda.db"), true);
    }

    @Test
    @Tag("postgres")
    @Timeout(180)
    void on_PostgreSQL_the_Lambda_jar_alone_creates_then_reads_ones_own_write() throws Exception {
        String url =
                System.getProperty("annals.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
        String schema =
                "lambda_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(url);
                Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        try {
            createThenReadYourWrite(url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema, false);
        } finally {
            try (Connection c = DriverManager.getConnection(url);
                    Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    private void createThenReadYourWrite(String dbUrl, boolean sqliteDriver) throws Exception {
        Map<String, String> env = Map.of("PRICETRACKER_DB_URL", dbUrl);
        long position;
        try (FakeRuntimeApi runtime = new FakeRuntimeApi();
                Function api = Function.start(dir, "api", API, runtime, env, sqliteDriver)) {
            JsonNode created = proxy(api, api.invoke(runtime, sample("create-product.json")));
            assertThat(created.get("statusCode").intValue()).as(api.log()).isEqualTo(201);
            assertThat(created.get("headers").get("Location").textValue()).isEqualTo("/products/green-tea");
            JsonNode product = LambdaEvents.JSON.readTree(created.get("body").textValue());
            assertThat(product.get("price").decimalValue()).isEqualByComparingTo("3.50");
            position = product.get("position").longValue();
            assertThat(position).isPositive();

            // no projector has run: the read catches the read models up itself
            JsonNode read = proxy(api, api.invoke(runtime, readAtLeast(position)));

            assertThat(read.get("statusCode").intValue()).as(api.log()).isEqualTo(200);
            assertThat(read.get("body").textValue())
                    .isEqualTo("{\"productId\":\"green-tea\",\"name\":\"Green tea\",\"price\":3.50,\"version\":1}");
        }
        try (FakeRuntimeApi runtime = new FakeRuntimeApi();
                Function projector = Function.start(dir, "projector", PROJECTOR, runtime, env, sqliteDriver)) {
            FakeRuntimeApi.Outcome outcome = projector.invoke(runtime, sample("scheduled.json"));

            assertThat(outcome.kind()).as(projector.log()).isEqualTo("response");
            JsonNode summary = LambdaEvents.JSON.readTree(outcome.body());
            assertThat(summary.get("projections"))
                    .extracting(p ->
                            p.get("name").textValue() + " " + p.get("state").textValue() + " "
                                    + p.get("checkpoint").longValue())
                    .containsExactly(
                            "product-view STOPPED " + position,
                            "price-history STOPPED " + position,
                            "monthly-stats STOPPED " + position,
                            "price-alerts STOPPED " + position,
                            "price-alert-trigger STOPPED " + position);
        }
    }

    @Test
    @Timeout(180)
    void the_Lambda_jar_alone_refuses_SQLite_and_says_what_to_set() throws Exception {
        Map<String, String> env = Map.of(); // PRICETRACKER_DB_URL unset: the SQLite default
        try (FakeRuntimeApi runtime = new FakeRuntimeApi();
                Function api = Function.start(dir, "api", API, runtime, env, false)) {
            JsonNode refused = proxy(api, api.invoke(runtime, sample("create-product.json")));

            assertThat(refused.get("statusCode").intValue()).isEqualTo(503);
            assertThat(refused.get("body").textValue()).contains("\"error\":\"unavailable\"");
            api.awaitLog("no SQLite native library");
        }
        try (FakeRuntimeApi runtime = new FakeRuntimeApi();
                Function projector = Function.start(dir, "projector", PROJECTOR, runtime, env, false)) {
            FakeRuntimeApi.Outcome outcome = projector.invoke(runtime, sample("scheduled.json"));

            assertThat(outcome.kind()).as(projector.log()).isEqualTo("error");
            JsonNode error = LambdaEvents.JSON.readTree(outcome.body());
            assertThat(error.get("errorType").textValue()).isEqualTo("java.lang.IllegalStateException");
            assertThat(error.get("errorMessage").textValue())
                    .contains("jdbc:sqlite:/tmp/pricetracker.db", "no SQLite native library", "jdbc:postgresql://");
        }
    }

    /** A proxy response, which the API function must always give (never an error). */
    private static JsonNode proxy(Function function, FakeRuntimeApi.Outcome outcome) throws IOException {
        assertThat(outcome.kind()).as(function.log()).isEqualTo("response");
        return LambdaEvents.JSON.readTree(outcome.body());
    }

    /** A sample event of the jar ({@code src/main/resources/events/}). */
    private static byte[] sample(String name) throws IOException {
        try (InputStream in = LambdaRuntimeIT.class.getResourceAsStream("/events/" + name)) {
            assertThat(in).as("sample event " + name).isNotNull();
            return in.readAllBytes();
        }
    }

    /** The sample read of green tea, asking for {@code position}. */
    private static byte[] readAtLeast(long position) throws IOException {
        String event = new String(sample("get-product-at-least.json"), StandardCharsets.UTF_8);
        String asked =
                event.replace("\"rawQueryString\": \"atLeast=2\"", "\"rawQueryString\": \"atLeast=" + position + "\"");
        assertThat(asked).isNotEqualTo(event);
        return asked.getBytes(StandardCharsets.UTF_8);
    }

    /** A Lambda function: a JVM running the runtime interface client on the Lambda jar. */
    private static final class Function implements AutoCloseable {
        private final Process process;
        private final Path log;

        private Function(Process process, Path log) {
            this.process = process;
            this.log = log;
        }

        static Function start(
                Path dir,
                String name,
                String handler,
                FakeRuntimeApi runtime,
                Map<String, String> env,
                boolean sqliteDriver)
                throws IOException {
            String built = System.getProperty("annals.test.lambda.jar");
            // Surefire's lambda-runtime execution, after package, names the jar; the test phase
            // runs before the jar is built, and reaches this class only through -Dtest.
            assumeTrue(built != null, "runs after package, in the lambda-runtime execution");
            Path jar = Path.of(built);
            assertThat(jar).as("the Lambda jar, built by mvn package").exists();
            List<String> classPath = new ArrayList<>(List.of(jar.toString()));
            // the client and the libraries it brings (aws-lambda-java-core, the serialization
            // library, the AWS SDK's utils-lite), from the test's class path
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                String path = entry.replace(File.separatorChar, '/');
                if (path.contains("/com/amazonaws/") || path.contains("/software/amazon/awssdk/")) {
                    classPath.add(entry);
                }
            }
            assertThat(classPath)
                    .as("the runtime interface client on the class path")
                    .anyMatch(e -> e.equals(jarOf(AWSLambda.class)));
            if (sqliteDriver) {
                classPath.add(jarOf(org.sqlite.JDBC.class));
            }
            Path taskRoot = Files.createDirectories(dir.resolve("task-" + name));
            Path log = dir.resolve(name + ".log");
            ProcessBuilder pb = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-cp",
                            String.join(File.pathSeparator, classPath),
                            AWSLambda.class.getName(),
                            handler)
                    .directory(taskRoot.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            Map<String, String> environment = pb.environment();
            environment.remove("PRICETRACKER_DB_URL");
            environment.putAll(lambdaEnvironment(name, handler, runtime, taskRoot));
            environment.putAll(env);
            return new Function(pb.start(), log);
        }

        private static Map<String, String> lambdaEnvironment(
                String name, String handler, FakeRuntimeApi runtime, Path taskRoot) {
            Map<String, String> env = new HashMap<>();
            env.put("AWS_LAMBDA_RUNTIME_API", runtime.address());
            env.put("_HANDLER", handler);
            env.put("LAMBDA_TASK_ROOT", taskRoot.toString());
            env.put("AWS_LAMBDA_FUNCTION_NAME", "pricetracker-dev-" + name);
            env.put("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
            env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024");
            env.put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/pricetracker-dev-" + name);
            env.put("AWS_LAMBDA_LOG_STREAM_NAME", "2026/01/01/[$LATEST]0123456789abcdef");
            env.put("AWS_REGION", "eu-west-1");
            return env;
        }

        private static String jarOf(Class<?> type) {
            try {
                return Path.of(type.getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toURI())
                        .toString();
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Invokes the function through {@code runtime}; its log goes with a failure. */
        FakeRuntimeApi.Outcome invoke(FakeRuntimeApi runtime, byte[] event) throws InterruptedException {
            try {
                return runtime.invoke(event, ANSWER);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\n" + log(), e);
            }
        }

        /** What the function wrote (its CloudWatch log on AWS). */
        String log() {
            try {
                return "function log:\n" + Files.readString(log, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "function log unreadable: " + e;
            }
        }

        /** Waits for {@code text} in the log: the function writes it asynchronously. */
        void awaitLog(String text) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!log().contains(text)) {
                assertThat(System.nanoTime() - deadline)
                        .as("%s in the %s", text, log())
                        .isNegative();
                Thread.sleep(50);
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
