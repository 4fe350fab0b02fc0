package io.annals.pricetracker.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.pricetracker.PriceTracker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Time travel through a product's events: {@code GET /products/{id}/events} and
 * {@code GET /products/{id}/versions/{n}}, on a SQLite file. The rows each event writes are
 * checked against the read models the projection runner really wrote.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProductEventsApiTest {

    /** Decimals as written, so that a price's scale is checked too (3.50 is not 3.5). */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    @TempDir
    Path dir;

    private PriceTracker tracker;
    private PriceTrackerApi api;

    @BeforeEach
    void open() {
        tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("events.db"));
        tracker.startProjections();
        api = new PriceTrackerApi(tracker, Duration.ofSeconds(10));
    }

    @AfterEach
    void close() {
        tracker.close();
    }

    private ApiResponse get(String path) {
        return get(path, Map.of());
    }

    private ApiResponse get(String path, Map<String, String> query) {
        return api.handle(new ApiRequest("GET", path, query, ""));
    }

    private long post(String path, String body) {
        ApiResponse r = api.handle(new ApiRequest("POST", path, Map.of(), body));
        assertThat(r.status()).as(r.body()).isBetween(200, 201);
        return json(r).get("position").asLong();
    }

    private static JsonNode json(ApiResponse r) {
        try {
            return JSON.readTree(r.body());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    private static JsonNode ok(ApiResponse r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return json(r);
    }

    private static void assertError(ApiResponse r, int status, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(json(r).get("error").asText()).isEqualTo(code);
        assertThat(json(r).get("message").asText()).isNotBlank();
    }

    /** Tea at 3.50, +0.25, -1.00, deleted: four events; returns the last position. */
    private long teaLifetime() {
        post("/products", "{\"productId\":\"tea\",\"name\":\"Green tea\",\"price\":3.50}");
        post("/products/tea/price-changes", "{\"variation\":0.25}");
        post("/products/tea/price-changes", "{\"variation\":-1.00}");
        ApiResponse deleted = api.handle(new ApiRequest("DELETE", "/products/tea", Map.of(), ""));
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        return json(deleted).get("position").asLong();
    }

    private static JsonNode rows(JsonNode event, String projection) {
        for (JsonNode readModel : event.get("readModels")) {
            if (readModel.get("projection").asText().equals(projection)) {
                return readModel.get("rows");
            }
        }
        throw new AssertionError("no read model " + projection + " in " + event);
    }

    @Nested
    class The_events {

        @Test
        void list_each_event_as_stored_with_the_product_folded_up_to_it() {
            teaLifetime();

            JsonNode page = ok(get("/products/tea/events"));

            assertThat(page.get("streamId").asText()).isEqualTo("product-tea");
            assertThat(page.get("latestVersion").asLong()).isEqualTo(4);
            JsonNode events = page.get("events");
            assertThat(events).hasSize(4);
            List<String> types = new ArrayList<>();
            List<String> prices = new ArrayList<>();
            List<String> statuses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                JsonNode e = events.get(i);
                assertThat(e.get("version").asLong()).isEqualTo(i + 1);
                types.add(e.get("type").asText());
                prices.add(e.get("state").get("price").decimalValue().toPlainString());
                statuses.add(e.get("state").get("status").asText());
            }
            assertThat(types).containsExactly("ProductCreated", "PriceChanged", "PriceChanged", "ProductDeleted");
            assertThat(prices).containsExactly("3.50", "3.75", "2.75", "2.75");
            assertThat(statuses).containsExactly("active", "active", "active", "deleted");
            JsonNode change = events.get(1);
            assertThat(change.get("data").get("oldPrice").decimalValue()).isEqualByComparingTo("3.50");
            assertThat(change.get("data").get("variation").decimalValue()).isEqualByComparingTo("0.25");
            assertThat(change.get("schemaVersion").asInt()).isEqualTo(2);
            assertThat(change.get("recordedAt").asText()).endsWith("Z");
            assertThat(change.get("position").asLong()).isEqualTo(2);
            assertThat(events.get(0).get("tags"))
                    .extracting(JsonNode::asText)
                    .containsExactly("name:green tea", "product:tea");
            // the schema version lives in reserved metadata: shown on its own, not as metadata
            events.forEach(
                    e -> assertThat(e.get("metadata").fieldNames()).toIterable().isEmpty());
        }

        @Test
        void say_which_rows_of_the_read_models_each_event_writes() {
            teaLifetime();

            JsonNode events = ok(get("/products/tea/events")).get("events");

            JsonNode created = rows(events.get(0), "product-view");
            assertThat(created).hasSize(1);
            assertThat(created.get(0).get("key").asText()).isEqualTo("tea");
            assertThat(created.get(0).get("change").asText()).isEqualTo("insert");
            assertThat(created.get(0).get("before").isNull()).isTrue();
            assertThat(created.get(0).get("after").get("price").decimalValue()).isEqualByComparingTo("3.50");
            JsonNode changed = rows(events.get(1), "product-view").get(0);
            assertThat(changed.get("change").asText()).isEqualTo("update");
            assertThat(changed.get("before").get("version").asLong()).isEqualTo(1);
            assertThat(changed.get("after").get("version").asLong()).isEqualTo(2);
            assertThat(changed.get("after").get("price").decimalValue()).isEqualByComparingTo("3.75");
            JsonNode deleted = rows(events.get(3), "product-view").get(0);
            assertThat(deleted.get("change").asText()).isEqualTo("delete");
            assertThat(deleted.get("before").get("price").decimalValue()).isEqualByComparingTo("2.75");
            assertThat(deleted.get("after").isNull()).isTrue();
            for (JsonNode e : events) {
                JsonNode history = rows(e, "price-history");
                assertThat(history).hasSize(1);
                assertThat(history.get(0).get("change").asText()).isEqualTo("insert");
                assertThat(history.get(0).get("key").asText())
                        .isEqualTo(e.get("position").asText());
            }
            assertThat(rows(events.get(0), "monthly-stats")).isEmpty();
            assertThat(rows(events.get(3), "monthly-stats")).isEmpty();
            JsonNode month = rows(events.get(2), "monthly-stats").get(0);
            assertThat(month.get("key").asText())
                    .isEqualTo(events.get(2).get("recordedAt").asText().substring(0, 7));
            assertThat(month.get("change").asText()).isEqualTo("add");
            assertThat(month.get("added").get("changes").asLong()).isEqualTo(1);
            assertThat(month.get("added").get("sumVariation").decimalValue()).isEqualByComparingTo("-1.00");
        }

        @Test
        void rows_are_those_the_projection_runner_writes() {
            post("/products", "{\"productId\":\"tea\",\"name\":\"Green tea\",\"price\":3.50}");
            post("/products/tea/price-changes", "{\"variation\":0.25}");
            long position = post("/products/tea/price-changes", "{\"variation\":-1.00}");
            Map<String, String> caughtUp = Map.of("atLeast", Long.toString(position));

            JsonNode events = ok(get("/products/tea/events")).get("events");

            // the product view after the last event is the read model's row
            JsonNode view = ok(get("/products/tea", caughtUp));
            JsonNode lastView = rows(events.get(2), "product-view").get(0).get("after");
            assertThat(lastView.get("version")).isEqualTo(view.get("version"));
            assertThat(lastView.get("price").decimalValue())
                    .isEqualByComparingTo(view.get("price").decimalValue());
            assertThat(lastView.get("name")).isEqualTo(view.get("name"));
            // each price-history row is the read model's row for that event
            JsonNode history = ok(get("/products/tea/history", caughtUp)).get("history");
            for (int i = 0; i < 3; i++) {
                JsonNode row = rows(events.get(i), "price-history").get(0).get("after");
                assertThat(row).isEqualTo(history.get(i));
            }
            // with one product, the month's row is the sum of what its events add
            JsonNode months = ok(get("/stats/monthly", caughtUp)).get("months");
            assertThat(months).hasSize(1);
            JsonNode added = rows(events.get(1), "monthly-stats").get(0).get("added");
            JsonNode addedToo = rows(events.get(2), "monthly-stats").get(0).get("added");
            assertThat(months.get(0).get("changes").asLong())
                    .isEqualTo(added.get("changes").asLong()
                            + addedToo.get("changes").asLong());
            assertThat(months.get(0).get("maxVariation").decimalValue())
                    .isEqualByComparingTo(added.get("maxVariation").decimalValue());
            assertThat(months.get(0).get("minVariation").decimalValue())
                    .isEqualByComparingTo(addedToo.get("minVariation").decimalValue());
        }

        @Test
        void a_page_from_a_later_version_still_folds_from_the_first_event() {
            teaLifetime();

            JsonNode page = ok(get("/products/tea/events", Map.of("from", "3", "limit", "1")));

            assertThat(page.get("latestVersion").asLong()).isEqualTo(4);
            assertThat(page.get("events")).hasSize(1);
            JsonNode third = page.get("events").get(0);
            assertThat(third.get("version").asLong()).isEqualTo(3);
            assertThat(third.get("state").get("price").decimalValue()).isEqualByComparingTo("2.75");
            JsonNode view = rows(third, "product-view").get(0);
            assertThat(view.get("before").get("price").decimalValue()).isEqualByComparingTo("3.75");
            assertThat(ok(get("/products/tea/events", Map.of("from", "5"))).get("events"))
                    .isEmpty();
        }

        @Test
        void an_event_stored_at_an_older_schema_shows_as_stored_and_folds_as_upcast() {
            EventData v1 = new EventData(
                    UUID.randomUUID(),
                    "ProductCreated",
                    "{\"productId\":\"old\",\"name\":\"Old tea\",\"price\":2.00}",
                    Map.of(),
                    Set.of("product:old"));
            tracker.store().append("product-old", ExpectedVersion.noStream(), List.of(v1));

            JsonNode first = ok(get("/products/old/versions/1"));

            assertThat(first.get("schemaVersion").asInt()).isEqualTo(1);
            assertThat(first.get("data").has("currency")).isFalse();
            assertThat(first.get("state").get("currency").asText()).isEqualTo("EUR");
            assertThat(first.get("state").get("price").decimalValue()).isEqualByComparingTo("2.00");
        }
    }

    @Nested
    class One_version {

        @Test
        void is_the_product_after_that_event_with_the_event_and_its_rows() {
            teaLifetime();

            JsonNode second = ok(get("/products/tea/versions/2"));

            assertThat(second.get("productId").asText()).isEqualTo("tea");
            assertThat(second.get("latestVersion").asLong()).isEqualTo(4);
            assertThat(second.get("version").asLong()).isEqualTo(2);
            assertThat(second.get("type").asText()).isEqualTo("PriceChanged");
            assertThat(second.get("state").get("price").decimalValue()).isEqualByComparingTo("3.75");
            assertThat(second.get("state").get("name").asText()).isEqualTo("Green tea");
            assertThat(rows(second, "product-view").get(0).get("change").asText())
                    .isEqualTo("update");
            JsonNode fromList = ok(get("/products/tea/events")).get("events").get(1);
            fromList.fieldNames()
                    .forEachRemaining(
                            field -> assertThat(second.get(field)).as(field).isEqualTo(fromList.get(field)));
        }

        @Test
        void of_a_deleted_product_is_readable_while_its_stream_is_kept() {
            long deleted = teaLifetime();

            JsonNode last = ok(get("/products/tea/versions/4"));

            assertThat(last.get("state").get("status").asText()).isEqualTo("deleted");
            assertThat(last.get("state").get("price").decimalValue()).isEqualByComparingTo("2.75");
            // gone from the read model
            assertError(get("/products/tea", Map.of("atLeast", Long.toString(deleted))), 404, "not_found");
        }

        @ParameterizedTest
        @ValueSource(strings = {"0", "-1", "abc", "1.5", "+2", "99999999999999999999", " 1"})
        void that_is_not_a_version_is_400_invalid_version(String version) {
            teaLifetime();

            assertError(get("/products/tea/versions/" + version), 400, "invalid_version");
        }

        @Test
        void past_the_last_event_is_400_version_out_of_range() {
            teaLifetime();

            ApiResponse r = get("/products/tea/versions/5");

            assertError(r, 400, "version_out_of_range");
            assertThat(json(r).get("message").asText()).contains("1 to 4");
        }
    }

    @Nested
    class Refusals {

        @Test
        void an_unknown_product_is_404() {
            assertError(get("/products/nothing/events"), 404, "not_found");
            assertError(get("/products/nothing/versions/1"), 404, "not_found");
        }

        @Test
        void a_product_whose_stream_was_deleted_is_410_stream_deleted() {
            teaLifetime();
            tracker.store().deleteStream("product-tea", ExpectedVersion.any());

            assertError(get("/products/tea/events"), 410, "stream_deleted");
            assertError(get("/products/tea/versions/1"), 410, "stream_deleted");
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "from=0",
                    "from=-1",
                    "from=x",
                    "limit=0",
                    "limit=1001",
                    "limit=x",
                    "limit=+5",
                    "limit=\u0665",
                    "limit= 5",
                    "from=\u0661"
                })
        void bad_paging_parameters_are_400(String parameter) {
            teaLifetime();
            String[] kv = parameter.split("=");

            assertError(get("/products/tea/events", Map.of(kv[0], kv[1])), 400, "invalid_parameter");
        }

        @Test
        void a_bad_id_is_400_and_a_write_method_is_405() {
            assertError(get("/products/bad id/events"), 400, "invalid_product_id");
            ApiResponse post = api.handle(new ApiRequest("POST", "/products/tea/events", Map.of(), "{}"));
            assertError(post, 405, "method_not_allowed");
            assertThat(post.headers()).containsEntry("Allow", "GET");
            assertError(
                    api.handle(new ApiRequest("DELETE", "/products/tea/versions/1", Map.of(), "")),
                    405,
                    "method_not_allowed");
        }
    }
}
