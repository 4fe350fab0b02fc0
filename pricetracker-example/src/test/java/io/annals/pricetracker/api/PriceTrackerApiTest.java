package io.annals.pricetracker.api;

import static io.annals.pricetracker.api.Answers.assertError;
import static io.annals.pricetracker.api.Answers.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.domain.ProductEvent.PriceChanged;
import io.annals.pricetracker.domain.ProductEvent.ProductCreated;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The router, request by request: every success and every refusal, on a SQLite file. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PriceTrackerApiTest {

    @TempDir
    Path dir;

    private PriceTracker tracker;
    private PriceTrackerApi api;

    @BeforeEach
    void open() {
        tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("api.db"));
        tracker.startProjections();
        api = new PriceTrackerApi(tracker, Duration.ofSeconds(10));
    }

    @AfterEach
    void close() {
        tracker.close();
    }

    private ApiResponse call(String method, String path, String body) {
        return call(method, path, Map.of(), body);
    }

    private ApiResponse call(String method, String path, Map<String, String> query, String body) {
        return api.handle(new ApiRequest(method, path, query, body));
    }

    private long create(String id, String price) {
        ApiResponse r = call(
                "POST",
                "/products",
                "{\"productId\":\"" + id + "\",\"name\":\"Tea " + id + "\",\"price\":" + price + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return json(r).get("position").asLong();
    }

    @Nested
    class Writes {

        @Test
        void create_returns_201_with_location_version_and_position() {
            ApiResponse r = call("POST", "/products", "{\"productId\":\"tea\",\"name\":\"Green tea\",\"price\":3.50}");

            assertThat(r.status()).isEqualTo(201);
            assertThat(r.headers()).containsEntry("Location", "/products/tea");
            assertThat(r.body())
                    .isEqualTo(
                            "{\"productId\":\"tea\",\"name\":\"Green tea\",\"price\":3.50,\"version\":1,\"position\":1}");
        }

        @Test
        void a_product_in_another_currency_shows_it_and_its_price_changes_keep_it() {
            ApiResponse created = call(
                    "POST", "/products", "{\"productId\":\"mug\",\"name\":\"Mug\",\"price\":9,\"currency\":\"CHF\"}");
            ApiResponse changed = call("POST", "/products/mug/price-changes", "{\"variation\":1}");
            ApiResponse read = call("GET", "/products/mug", Map.of("atLeast", "2"), "");

            assertThat(created.status()).isEqualTo(201);
            assertThat(json(created).get("currency").asText()).isEqualTo("CHF");
            assertThat(json(changed).get("currency").asText()).isEqualTo("CHF");
            assertThat(read.body())
                    .isEqualTo(
                            "{\"productId\":\"mug\",\"name\":\"Mug\",\"price\":10,\"currency\":\"CHF\",\"version\":2}");
            assertThat(tracker.events("mug").get(1).event())
                    .isEqualTo(
                            new PriceChanged("mug", new BigDecimal("9"), new BigDecimal("10"), BigDecimal.ONE, "CHF"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"\"eur\"", "\"EURO\"", "\"XYZ\"", "\"\"", "42"})
        void a_currency_that_is_not_an_iso_code_is_refused_and_nothing_is_written(String currency) {
            ApiResponse r = call(
                    "POST",
                    "/products",
                    "{\"productId\":\"mug\",\"name\":\"Mug\",\"price\":9,\"currency\":" + currency + "}");

            assertThat(r.status()).isEqualTo(400);
            assertThat(json(r).get("error").asText()).isIn("invalid_field");
            assertThat(tracker.store().currentVersion("product-mug")).isZero();
        }

        @Test
        void a_price_change_returns_the_new_price_and_accepts_a_decimal_string() {
            create("tea", "3.50");

            ApiResponse r = call("POST", "/products/tea/price-changes", "{\"variation\":\"-0.25\"}");

            assertThat(r.status()).isEqualTo(200);
            assertThat(json(r).get("price").decimalValue()).isEqualByComparingTo("3.25");
            assertThat(json(r).get("version").asLong()).isEqualTo(2);
        }

        @Test
        void delete_returns_200_and_the_product_is_gone_from_the_read_model() {
            create("tea", "3.50");

            ApiResponse r = call("DELETE", "/products/tea", "");

            assertThat(r.status()).isEqualTo(200);
            long position = json(r).get("position").asLong();
            assertError(call("GET", "/products/tea", Map.of("atLeast", "" + position), ""), 404, "not_found");
        }
    }

    /** A name is held by one product that is not deleted at most. */
    @Nested
    class Unique_names {

        private ApiResponse createNamed(String id, String name) {
            return call("POST", "/products", "{\"productId\":\"" + id + "\",\"name\":\"" + name + "\",\"price\":2}");
        }

        @Test
        void a_name_another_product_holds_is_409_name_taken_and_nothing_is_written() {
            assertThat(createNamed("tea", "Green tea").status()).isEqualTo(201);
            long events = tracker.store().countEvents();

            ApiResponse r = createNamed("tea-2", "Green tea");

            assertError(r, 409, "name-taken");
            assertThat(json(r).get("message").asText()).contains("Green tea").contains("product tea");
            assertThat(tracker.store().countEvents()).isEqualTo(events);
            assertThat(tracker.store().currentVersion("product-tea-2")).isZero();
        }

        @ParameterizedTest
        @ValueSource(strings = {"green tea", "GREEN TEA", "  Green tea", "Green tea  ", "\\tgreen TEA\\n"})
        void names_are_compared_whatever_their_case_and_the_white_space_around_them(String name) {
            assertThat(createNamed("tea", "Green tea").status()).isEqualTo(201);

            assertError(createNamed("tea-2", name), 409, "name-taken");
        }

        @Test
        void white_space_inside_a_name_makes_another_name() {
            assertThat(createNamed("tea", "Green tea").status()).isEqualTo(201);

            assertThat(createNamed("tea-2", "Green  tea").status()).isEqualTo(201);
        }

        @Test
        void a_deleted_product_frees_its_name() {
            assertThat(createNamed("tea", "Green tea").status()).isEqualTo(201);
            assertThat(call("DELETE", "/products/tea", "").status()).isEqualTo(200);

            ApiResponse r = createNamed("tea-2", "GREEN TEA");

            assertThat(r.status()).as(r.body()).isEqualTo(201);
            assertError(createNamed("tea-3", "green tea"), 409, "name-taken");
        }

        @Test
        void an_id_already_used_is_still_409_exists_whatever_the_name() {
            assertThat(createNamed("tea", "Green tea").status()).isEqualTo(201);

            assertError(createNamed("tea", "Green tea"), 409, "already_exists");
            assertError(createNamed("tea", "Black tea"), 409, "already_exists");
        }

        @Test
        void a_product_stored_before_events_had_tags_keeps_its_id() {
            EventData untagged = PriceTracker.CODEC
                    .encode(new ProductCreated("old", "Old tea", BigDecimal.ONE, "EUR"))
                    .withTags(Set.of());
            tracker.store().append("product-old", ExpectedVersion.noStream(), List.of(untagged));

            assertError(createNamed("old", "Another tea"), 409, "already_exists");
            assertThat(tracker.store().currentVersion("product-old")).isEqualTo(1);
        }

        @Test
        @Timeout(120)
        void of_sixteen_threads_creating_products_of_one_name_exactly_one_succeeds() throws Exception {
            int threads = 16;
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<ApiResponse>> responses = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String id = "tea-" + t;
                    String name = t % 2 == 0 ? "Green tea" : " green TEA";
                    responses.add(pool.submit(() -> {
                        start.await();
                        return createNamed(id, name);
                    }));
                }
                List<ApiResponse> done = new ArrayList<>();
                for (Future<ApiResponse> f : responses) {
                    done.add(f.get(60, TimeUnit.SECONDS));
                }

                assertThat(done).filteredOn(r -> r.status() == 201).hasSize(1);
                assertThat(done)
                        .filteredOn(r -> r.status() != 201)
                        .hasSize(threads - 1)
                        .allSatisfy(r -> assertError(r, 409, "name-taken"));
                assertThat(tracker.store().countEvents()).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Nested
    class Reads {

        @Test
        void a_read_with_at_least_sees_the_write_it_follows() {
            create("tea", "3.50");
            long position = json(call("POST", "/products/tea/price-changes", "{\"variation\":1.25}"))
                    .get("position")
                    .asLong();

            ApiResponse r = call("GET", "/products/tea", Map.of("atLeast", "" + position), "");

            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"productId\":\"tea\",\"name\":\"Tea tea\",\"price\":4.75,\"version\":2}");
        }

        @Test
        void history_lists_every_change_oldest_first() {
            create("tea", "3.50");
            call("POST", "/products/tea/price-changes", "{\"variation\":0.5}");
            long position = json(call("POST", "/products/tea/price-changes", "{\"variation\":-1}"))
                    .get("position")
                    .asLong();

            JsonNode h = json(call("GET", "/products/tea/history", Map.of("atLeast", "" + position), ""))
                    .get("history");

            assertThat(h).hasSize(3);
            assertThat(h.get(0).get("change").asText()).isEqualTo("created");
            assertThat(h.get(1).get("oldPrice").decimalValue()).isEqualByComparingTo("3.50");
            assertThat(h.get(1).get("newPrice").decimalValue()).isEqualByComparingTo("4.00");
            assertThat(h.get(2).get("variation").decimalValue()).isEqualByComparingTo("-1");
            assertThat(h.get(2).get("at").asText()).endsWith("Z");
        }

        @Test
        void monthly_statistics_count_and_average_the_variations() {
            create("a", "10");
            create("b", "10");
            call("POST", "/products/a/price-changes", "{\"variation\":1}");
            call("POST", "/products/b/price-changes", "{\"variation\":-2}");
            long position = json(call("POST", "/products/a/price-changes", "{\"variation\":4}"))
                    .get("position")
                    .asLong();

            JsonNode months = json(call("GET", "/stats/monthly", Map.of("atLeast", "" + position), ""))
                    .get("months");

            assertThat(months).hasSize(1);
            assertThat(months.get(0).get("changes").asLong()).isEqualTo(3);
            assertThat(months.get(0).get("averageVariation").decimalValue()).isEqualByComparingTo("1");
            assertThat(months.get(0).get("minVariation").decimalValue()).isEqualByComparingTo("-2");
            assertThat(months.get(0).get("maxVariation").decimalValue()).isEqualByComparingTo("4");
        }

        @Test
        void the_product_list_is_paged_in_id_order() {
            create("b", "1");
            create("c", "1");
            long position = create("a", "1");

            JsonNode page =
                    json(call("GET", "/products", Map.of("atLeast", "" + position, "offset", "1", "limit", "1"), ""));

            assertThat(page.get("products")).hasSize(1);
            assertThat(page.get("products").get(0).get("productId").asText()).isEqualTo("b");
        }

        @Test
        void a_read_that_cannot_catch_up_in_time_is_503_with_retry_after() {
            PriceTrackerApi impatient = new PriceTrackerApi(tracker, Duration.ofMillis(50));

            ApiResponse r =
                    impatient.handle(new ApiRequest("GET", "/products/tea", Map.of("atLeast", "999999999"), ""));

            assertError(r, 503, "not_caught_up");
            assertThat(r.headers()).containsEntry("Retry-After", "1");
        }
    }

    /** Each malformed request gets a JSON error and writes nothing. */
    @Nested
    class Bad_input {

        private long eventsBefore;

        @BeforeEach
        void aProductExists() {
            create("tea", "3.50");
            create("gone", "1.00");
            call("DELETE", "/products/gone", "");
            eventsBefore = tracker.store().countEvents();
        }

        @AfterEach
        void nothingWasWritten() {
            assertThat(tracker.store().countEvents()).isEqualTo(eventsBefore);
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "{", "not json", "[1,2]", "\"text\"", "{\"productId\":\"x\"} trailing"})
        void invalid_json_is_400(String body) {
            assertError(call("POST", "/products", body), 400, "invalid_json");
            assertError(call("POST", "/products/tea/price-changes", body), 400, "invalid_json");
        }

        @ParameterizedTest
        @CsvSource(
                delimiter = '|',
                value = {
                    "{\"name\":\"x\",\"price\":1}                       | missing_field",
                    "{\"productId\":\"x\",\"price\":1}                  | missing_field",
                    "{\"productId\":\"x\",\"name\":\"x\"}               | missing_field",
                    "{\"productId\":\"x\",\"name\":null,\"price\":1}    | missing_field",
                    "{\"productId\":42,\"name\":\"x\",\"price\":1}      | invalid_field",
                    "{\"productId\":\"x\",\"name\":[],\"price\":1}      | invalid_field",
                    "{\"productId\":\"x\",\"name\":\"x\",\"price\":\"abc\"} | invalid_field",
                    "{\"productId\":\"x\",\"name\":\"x\",\"price\":true}    | invalid_field",
                    "{\"productId\":\"x\",\"name\":\"x\",\"price\":\"1e3\"} | invalid_field",
                    "{\"productId\":\"x\",\"name\":\"x\",\"price\":-1}      | invalid_field",
                    "{\"productId\":\"x\",\"name\":\"x\",\"price\":0}       | invalid_field",
                    "{\"productId\":\"x\",\"name\":\"  \",\"price\":1}      | invalid_field",
                    "{\"productId\":\"x\",\"name\":\"a\\u0000b\",\"price\":1} | invalid_field",
                    "{\"productId\":\"x\",\"name\":\"a\\ud800b\",\"price\":1} | invalid_field",
                    "{\"productId\":\"a b\",\"name\":\"x\",\"price\":1}     | invalid_field",
                    "{\"productId\":\"\",\"name\":\"x\",\"price\":1}        | invalid_field"
                })
        void a_create_with_missing_or_mistyped_fields_is_400(String body, String code) {
            assertError(call("POST", "/products", body), 400, code);
        }

        @Test
        void an_id_over_the_length_limit_is_400() {
            String id = "p".repeat(65);
            assertError(
                    call("POST", "/products", "{\"productId\":\"" + id + "\",\"name\":\"x\",\"price\":1}"),
                    400,
                    "invalid_field");
            assertError(call("GET", "/products/" + id, ""), 400, "invalid_product_id");
            assertError(
                    call("POST", "/products/" + id + "/price-changes", "{\"variation\":1}"), 400, "invalid_product_id");
        }

        @Test
        void an_id_with_a_space_in_the_path_is_400() {
            assertError(call("GET", "/products/a b", ""), 400, "invalid_product_id");
            assertError(call("DELETE", "/products/a b", ""), 400, "invalid_product_id");
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "{}",
                    "{\"variation\":\"x\"}",
                    "{\"variation\":null}",
                    "{\"variation\":[1]}",
                    "{\"variation\":\"1.2.3\"}"
                })
        void a_price_change_without_a_numeric_variation_is_400(String body) {
            assertError(
                    call("POST", "/products/tea/price-changes", body),
                    400,
                    body.equals("{}") || body.contains("null") ? "missing_field" : "invalid_field");
        }

        @ParameterizedTest
        @ValueSource(strings = {"-3.50", "-3.5000", "-10"})
        void a_variation_that_makes_the_price_zero_or_negative_is_422(String variation) {
            assertError(
                    call("POST", "/products/tea/price-changes", "{\"variation\":" + variation + "}"),
                    422,
                    "price_not_positive");
        }

        @Test
        void an_unknown_product_is_404() {
            assertError(call("POST", "/products/nope/price-changes", "{\"variation\":1}"), 404, "not_found");
            assertError(call("DELETE", "/products/nope", ""), 404, "not_found");
            assertError(call("GET", "/products/nope", ""), 404, "not_found");
            assertError(call("GET", "/products/nope/history", ""), 404, "not_found");
        }

        @Test
        void a_deleted_product_is_409() {
            assertError(call("POST", "/products/gone/price-changes", "{\"variation\":1}"), 409, "deleted");
            assertError(call("DELETE", "/products/gone", ""), 409, "deleted");
        }

        @Test
        void a_product_id_already_used_is_409_even_when_deleted() {
            assertError(
                    call("POST", "/products", "{\"productId\":\"tea\",\"name\":\"x\",\"price\":1}"),
                    409,
                    "already_exists");
            assertError(
                    call("POST", "/products", "{\"productId\":\"gone\",\"name\":\"x\",\"price\":1}"),
                    409,
                    "already_exists");
        }

        @Test
        void an_unknown_route_is_404_and_a_wrong_method_is_405_with_allow() {
            assertError(call("GET", "/nothing/here", ""), 404, "no_route");
            assertError(call("GET", "/products/tea/nothing", ""), 404, "no_route");
            ApiResponse r = call("PUT", "/products/tea", "{}");
            assertError(r, 405, "method_not_allowed");
            assertThat(r.headers()).containsEntry("Allow", "GET, DELETE");
            assertError(call("GET", "/products/tea/price-changes", ""), 405, "method_not_allowed");
        }

        @Test
        void an_oversize_body_is_413() {
            String big = "{\"productId\":\"x\",\"name\":\"" + "n".repeat(70_000) + "\",\"price\":1}";
            assertError(call("POST", "/products", big), 413, "body_too_large");
        }

        @Test
        void bad_query_parameters_are_400() {
            assertError(call("GET", "/products/tea", Map.of("atLeast", "soon"), ""), 400, "invalid_parameter");
            assertError(call("GET", "/products/tea", Map.of("atLeast", "-1"), ""), 400, "invalid_parameter");
            assertError(call("GET", "/products", Map.of("limit", "0"), ""), 400, "invalid_parameter");
        }
    }
}
