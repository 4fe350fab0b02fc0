package io.annals.pricetracker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.pricetracker.api.ApiRequest;
import io.annals.pricetracker.api.ApiResponse;
import io.annals.pricetracker.api.PriceTrackerApi;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Opens the databases written by released versions (see {@link CompatibilityFixtures}) with
 * today's code, and checks that every aggregate, read model and HTTP answer is what that version
 * gave: once with the read models as that version left them, once rebuilt from the events.
 * Today's answers may carry fields that an old one did not; every old field must be there with
 * its old value.
 */
class CompatibilityTest {

    /** Reads decimals exactly, scale included: 6.50 is not 6.5 in an answer about money. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    @TempDir
    Path dir;

    static Stream<String> versions() {
        return Stream.of("0.1.0");
    }

    @ParameterizedTest(name = "written by {0}, read models as they were")
    @MethodSource("versions")
    void gives_the_answers_of_the_version_that_wrote_it(String version) throws IOException {
        check(version, false);
    }

    @ParameterizedTest(name = "written by {0}, read models rebuilt")
    @MethodSource("versions")
    void gives_the_same_answers_after_rebuilding_every_read_model(String version) throws IOException {
        check(version, true);
    }

    private void check(String version, boolean rebuild) throws IOException {
        Path db = copy(version);
        JsonNode expected = resource(version, "answers.json");
        try (PriceTracker tracker = new PriceTracker(JdbcEventStore.open("jdbc:sqlite:" + db))) {
            if (rebuild) {
                for (var status : tracker.projections().statuses()) {
                    tracker.projections().rebuild(status.name(), progress -> {});
                }
            }
            tracker.startProjections();
            assertThat(tracker.store().countEvents()).isEqualTo(138);
            String end = Long.toString(tracker.store().readAll(137, 10).get(0).position());
            PriceTrackerApi api = new PriceTrackerApi(tracker, Duration.ofSeconds(10));
            for (String path : CompatibilityFixtures.reads()) {
                ApiResponse r = api.handle(new ApiRequest("GET", path, Map.of("atLeast", end), ""));
                JsonNode then = expected.get(path);
                assertThat(r.status()).as(path).isEqualTo(then.get("status").asInt());
                assertContains(path, then.get("body"), JSON.readTree(r.body()));
            }
            for (String id : CompatibilityFixtures.PRODUCTS) {
                JsonNode now = JSON.valueToTree(tracker.product(id));
                assertContains("aggregate " + id, expected.get("aggregate:" + id), now);
            }
            // version 1 recorded no currency: every price was in euros
            assertThat(tracker.events("tea"))
                    .hasSize(131)
                    .allSatisfy(
                            e -> assertThat(e.event()).extracting("currency").isEqualTo("EUR"));
            assertThat(tracker.product("kettle").state().currency()).isEqualTo("EUR");
        }
    }

    /** Every field of {@code then} is in {@code now} with the same value; decimals keep their scale. */
    private static void assertContains(String where, JsonNode then, JsonNode now) {
        assertThat(now).as(where + ": missing").isNotNull();
        if (then.isNumber()) {
            assertThat(now.isNumber()).as(where + " is a number").isTrue();
            assertThat(now.decimalValue()).as(where).isEqualTo(then.decimalValue()); // the scale too
        } else if (then.isObject()) {
            assertThat(now.isObject()).as(where + " is an object").isTrue();
            for (Map.Entry<String, JsonNode> field : then.properties()) {
                assertContains(where + "." + field.getKey(), field.getValue(), now.get(field.getKey()));
            }
        } else if (then.isArray()) {
            assertThat(now.size()).as(where + " size").isEqualTo(then.size());
            for (int i = 0; i < then.size(); i++) {
                assertContains(where + "[" + i + "]", then.get(i), now.get(i));
            }
        } else {
            assertThat(now).as(where).isEqualTo(then);
        }
    }

    private Path copy(String version) throws IOException {
        Path db = dir.resolve("pricetracker-" + version + ".db");
        try (InputStream in = stream(version, "pricetracker.db")) {
            Files.copy(in, db);
        }
        return db;
    }

    private static JsonNode resource(String version, String name) throws IOException {
        try (InputStream in = stream(version, name)) {
            return JSON.readTree(in);
        }
    }

    private static InputStream stream(String version, String name) {
        InputStream in = CompatibilityTest.class.getResourceAsStream("/compat/" + version + "/" + name);
        assertThat(in).as("/compat/" + version + "/" + name).isNotNull();
        return in;
    }
}
