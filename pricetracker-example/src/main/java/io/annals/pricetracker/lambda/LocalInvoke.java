package io.annals.pricetracker.lambda;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.api.PriceTrackerApi;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a Lambda handler on this machine on sample events, as one Lambda container would: one
 * handler, the events one after the other, each answer on a line of standard output.
 *
 * <pre>{@code
 * java -cp pricetracker-example/target/pricetracker.jar io.annals.pricetracker.lambda.LocalInvoke \
 *     --db jdbc:sqlite:local.db api events/create-product.json events/change-price.json \
 *     events/get-product-at-least.json
 * }</pre>
 *
 * <p>Arguments: {@code [--db JDBC_URL] FUNCTION EVENT...}, where {@code FUNCTION} is {@code api}
 * ({@link ApiGatewayHandler}) or {@code projector} ({@link ProjectorHandler}), and each {@code
 * EVENT} a JSON file, or else a sample event of the jar ({@code events/NAME.json}, or just
 * {@code NAME}: {@code create-product}, {@code change-price}, {@code get-product-at-least}, {@code scheduled}).
 * The store is the one at {@code --db}, else at {@code PRICETRACKER_DB_URL}, else
 * {@code jdbc:sqlite:/tmp/pricetracker.db}, wired as in Lambda: the API's reads with {@code
 * atLeast} catch the projections up themselves; nothing runs in the background. A handler that
 * throws is reported as Lambda reports it ({@code {"errorType", "errorMessage"}}), and the exit
 * status is then 1; a usage error exits with 2.
 */
public final class LocalInvoke {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LocalInvoke() {}

    /**
     * Runs the handler on the events.
     *
     * @param args {@code [--db JDBC_URL] FUNCTION EVENT...}
     */
    public static void main(String[] args) {
        int status = run(List.of(args), System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs the command; returns the exit status. */
    static int run(List<String> args, PrintStream out, PrintStream err) {
        List<String> rest = new ArrayList<>(args);
        String url = LambdaEnvironment.dbUrl(System.getenv());
        if (rest.size() >= 2 && rest.get(0).equals("--db")) {
            url = rest.get(1);
            rest = rest.subList(2, rest.size());
        }
        if (rest.size() < 2 || !List.of("api", "projector").contains(rest.get(0))) {
            err.println("usage: LocalInvoke [--db JDBC_URL] api|projector EVENT...");
            err.println("  EVENT: a JSON file, or a sample event of the jar: events/create-product.json,");
            err.println("  events/change-price.json, events/get-product-at-least.json, events/scheduled.json");
            return 2;
        }
        List<byte[]> events = new ArrayList<>();
        for (String name : rest.subList(1, rest.size())) {
            try {
                events.add(event(name));
            } catch (IOException | IllegalArgumentException e) {
                err.println("cannot read the event " + name + ": " + e.getMessage());
                return 2;
            }
        }
        LambdaEnvironment.checkSqlite(url, LocalInvoke.class.getClassLoader());
        try (PriceTracker tracker = PriceTracker.open(url)) {
            RequestStreamHandler handler = rest.get(0).equals("api")
                    ? new ApiGatewayHandler(new PriceTrackerApi(tracker, ApiGatewayHandler.READ_WAIT, true))
                    : new ProjectorHandler(tracker.projections());
            int status = 0;
            for (byte[] event : events) {
                ByteArrayOutputStream response = new ByteArrayOutputStream();
                try {
                    handler.handleRequest(new ByteArrayInputStream(event), response, null);
                    out.println(response.toString(StandardCharsets.UTF_8));
                } catch (IOException | RuntimeException e) {
                    ObjectNode error = JSON.createObjectNode();
                    error.put("errorType", e.getClass().getName());
                    error.put("errorMessage", e.getMessage());
                    out.println(error);
                    status = 1;
                }
            }
            return status;
        }
    }

    /** A file, or a resource of the jar. */
    private static byte[] event(String name) throws IOException {
        Path file = Path.of(name);
        if (Files.isRegularFile(file)) {
            return Files.readAllBytes(file);
        }
        String resource =
                (name.startsWith("events/") ? name : "events/" + name) + (name.endsWith(".json") ? "" : ".json");
        try (InputStream in = LocalInvoke.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no such file, and no sample event " + resource + " in the jar");
            }
            return in.readAllBytes();
        }
    }
}
