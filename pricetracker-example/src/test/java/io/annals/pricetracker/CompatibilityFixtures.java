package io.annals.pricetracker;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.pricetracker.api.ApiRequest;
import io.annals.pricetracker.api.ApiResponse;
import io.annals.pricetracker.api.PriceTrackerApi;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.DeleteProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * The price tracker databases written by a released version, kept in
 * {@code src/test/resources/compat/<version>/} with the answers that version gave from them: every
 * later build opens them and must give the same answers ({@code CompatibilityTest}), however the
 * events have changed since. Each release adds its own and never rewrites an earlier one. To write
 * this version's, from the repository root:
 *
 * <pre>
 * mvn -q -pl pricetracker-example -am test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.annals.pricetracker.CompatibilityFixtures
 * </pre>
 */
public final class CompatibilityFixtures {

    /** The version whose fixture this class writes. */
    static final String VERSION = "0.1.0";

    /** The products of the scenario. */
    static final List<String> PRODUCTS = List.of("tea", "kettle", "mug", "never-created");

    /** The reads whose answers are kept, in the order they are made. */
    static List<String> reads() {
        List<String> paths = new java.util.ArrayList<>(List.of("/products", "/stats/monthly"));
        for (String id : PRODUCTS) {
            paths.add("/products/" + id);
            paths.add("/products/" + id + "/history");
        }
        return paths;
    }

    private CompatibilityFixtures() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of("pricetracker-example/src/test/resources/compat", VERSION);
        Files.createDirectories(dir);
        Path db = dir.resolve("pricetracker.db");
        if (Files.exists(db)) {
            throw new IllegalStateException(db + " exists: a release's fixture is never rewritten");
        }
        SettableClock clock = new SettableClock(Instant.parse("2026-09-03T09:00:00Z"));
        ObjectMapper json = JsonMapper.builder()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS) // 6.50 stays 6.50
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
                .build();
        ObjectNode answers = json.createObjectNode();
        try (PriceTracker tracker = new PriceTracker(
                JdbcEventStore.builder("jdbc:sqlite:" + db).clock(clock).open())) {
            long last = write(tracker, clock);
            tracker.startProjections();
            if (!tracker.projections().awaitPosition(last, Duration.ofSeconds(30))) {
                throw new IllegalStateException("the read models did not catch up");
            }
            PriceTrackerApi api = new PriceTrackerApi(tracker, Duration.ofSeconds(10));
            for (String path : reads()) {
                ApiResponse r = api.handle(new ApiRequest("GET", path, Map.of(), ""));
                ObjectNode answer = answers.putObject(path);
                answer.put("status", r.status());
                answer.set("body", json.readTree(r.body()));
            }
            for (String id : PRODUCTS) {
                answers.putPOJO("aggregate:" + id, tracker.product(id));
            }
        }
        Files.writeString(dir.resolve("answers.json"), json.writeValueAsString(answers) + "\n");
        for (String leftover : List.of("pricetracker.db-wal", "pricetracker.db-shm")) {
            if (Files.exists(dir.resolve(leftover))) {
                throw new IllegalStateException(leftover + " was left beside the database");
            }
        }
        System.out.println("wrote " + db + " and " + dir.resolve("answers.json"));
    }

    /** Tea changes price 130 times (a snapshot at 100), the kettle is deleted, the mug lives on. */
    private static long write(PriceTracker tracker, SettableClock clock) {
        tracker.handle(new CreateProduct("tea", "Green tea", new BigDecimal("4.20")));
        tracker.handle(new CreateProduct("kettle", "Kettle", new BigDecimal("35.00")));
        clock.set(Instant.parse("2026-09-10T12:00:00Z"));
        tracker.handle(new CreateProduct("mug", "Mug", new BigDecimal("8.50")));
        Instant at = Instant.parse("2026-09-20T08:00:00Z");
        for (int i = 0; i < 130; i++) {
            clock.set(at.plus(Duration.ofHours(7L * i))); // from September into November
            tracker.handle(new UpdateProduct("tea", new BigDecimal(i % 3 == 0 ? "0.15" : "-0.05")));
        }
        clock.set(Instant.parse("2026-10-02T10:30:00Z"));
        tracker.handle(new UpdateProduct("kettle", new BigDecimal("-5.00")));
        clock.set(Instant.parse("2026-10-15T16:45:00Z"));
        tracker.handle(new UpdateProduct("kettle", new BigDecimal("2.50")));
        tracker.handle(new UpdateProduct("mug", new BigDecimal("0.49")));
        clock.set(Instant.parse("2026-11-01T00:00:00Z"));
        tracker.handle(new DeleteProduct("kettle"));
        return tracker.handle(new UpdateProduct("mug", new BigDecimal("-1.00"))).position();
    }

    /** A clock that stays where it is set. */
    static final class SettableClock extends Clock {
        private volatile Instant now;

        SettableClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
