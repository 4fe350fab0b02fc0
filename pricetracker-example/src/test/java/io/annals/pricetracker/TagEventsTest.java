package io.annals.pricetracker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.pricetracker.api.ApiRequest;
import io.annals.pricetracker.api.ApiResponse;
import io.annals.pricetracker.api.PriceTrackerApi;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The database written by 0.1.0 holds events without tags: until they are tagged, the rule that
 * names are unique cannot see the products created then. {@code tag-events} tags them, a deleted
 * product's name included, once.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class TagEventsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path fixture() throws Exception {
        Path db = dir.resolve("pricetracker-0.1.0.db");
        try (InputStream in = getClass().getResourceAsStream("/compat/0.1.0/pricetracker.db")) {
            assertThat(in).isNotNull();
            Files.copy(in, db);
        }
        return db;
    }

    private static String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    private static ApiResponse create(PriceTrackerApi api, String id, String name) {
        return api.handle(new ApiRequest(
                "POST", "/products", Map.of(), "{\"productId\":\"" + id + "\",\"name\":\"" + name + "\",\"price\":2}"));
    }

    private static String error(ApiResponse r) throws Exception {
        JsonNode body = JSON.readTree(r.body());
        return r.status() + " " + body.path("error").asText();
    }

    @Test
    void makes_the_names_of_products_created_before_tags_taken_and_frees_those_of_deleted_ones() throws Exception {
        Path db = fixture();
        String url = "jdbc:sqlite:" + db;

        assertThat(run("tag-events", "--db", url)).contains("tagged 138 of 138 events");
        assertThat(run("tag-events", "--db", url)).as("twice").contains("tagged 0 of 138 events");

        try (PriceTracker tracker = new PriceTracker(JdbcEventStore.open(url))) {
            PriceTrackerApi api = new PriceTrackerApi(tracker, Duration.ofSeconds(10));
            long events = tracker.store().countEvents();

            assertThat(error(create(api, "tea-2", "  GREEN tea"))).isEqualTo("409 name-taken");
            assertThat(error(create(api, "mug-2", "mug"))).isEqualTo("409 name-taken");
            assertThat(tracker.store().countEvents()).isEqualTo(events);
            // Kettle was deleted by 0.1.0, whose deletions did not record the name
            assertThat(create(api, "kettle-2", "Kettle").status()).isEqualTo(201);
            assertThat(error(create(api, "kettle-3", "kettle"))).isEqualTo("409 name-taken");
        }
    }
}
