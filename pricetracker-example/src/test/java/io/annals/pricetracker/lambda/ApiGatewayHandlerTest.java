package io.annals.pricetracker.lambda;

import static io.annals.pricetracker.lambda.LambdaEvents.body;
import static io.annals.pricetracker.lambda.LambdaEvents.invoke;
import static io.annals.pricetracker.lambda.LambdaEvents.resource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.api.PriceTrackerApi;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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
 * The API handler driven by the sample proxy events, as the Lambda runtime would drive it, on a
 * tracker over a SQLite file whose projections are not started: as in a Lambda container, only
 * the projector handler and the API's reads with {@code atLeast} move the read models.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ApiGatewayHandlerTest {

    private static final String JSON_TYPE = "application/json; charset=utf-8";

    @TempDir
    Path dir;

    private PriceTracker tracker;
    private ApiGatewayHandler api;
    private ProjectorHandler projector;

    @BeforeEach
    void open() {
        tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("lambda.db"));
        // as the Lambda handler wires it (reads with atLeast catch the projections up), with a
        // short wait: the test of the 503 need not take 5 s
        api = new ApiGatewayHandler(new PriceTrackerApi(tracker, Duration.ofMillis(300), true));
        projector = new ProjectorHandler(tracker.projections());
    }

    @AfterEach
    void close() {
        tracker.close();
    }

    private JsonNode createGreenTea() {
        JsonNode r = invoke(api, resource("rest-v1-post-product.json"), null);
        assertThat(r.get("statusCode").intValue()).as(r.toString()).isEqualTo(201);
        return r;
    }

    private JsonNode changeGreenTeasPrice() {
        JsonNode r = invoke(api, resource("http-v2-post-price-change-base64.json"), null);
        assertThat(r.get("statusCode").intValue()).as(r.toString()).isEqualTo(200);
        return r;
    }

    private static void assertProxyResponse(JsonNode r, int status) {
        assertThat(r.get("statusCode").intValue()).as(r.toString()).isEqualTo(status);
        assertThat(r.get("headers").get("Content-Type").textValue()).isEqualTo(JSON_TYPE);
        assertThat(r.get("isBase64Encoded").booleanValue()).isFalse();
    }

    @Nested
    class Writes {

        @Test
        void a_REST_API_POST_creates_the_product_with_201_and_its_location() {
            JsonNode r = invoke(api, resource("rest-v1-post-product.json"), null);

            assertProxyResponse(r, 201);
            assertThat(r.get("headers").get("Location").textValue()).isEqualTo("/products/green-tea");
            // the router keeps the scale of the price: 3.50 stays 3.50
            assertThat(r.get("body").textValue())
                    .isEqualTo(
                            "{\"productId\":\"green-tea\",\"name\":\"Green tea\",\"price\":3.50,\"version\":1,\"position\":1}");
            assertThat(tracker.product("green-tea").state().price()).isEqualByComparingTo("3.50");
        }

        @Test
        void an_HTTP_API_POST_with_a_base64_body_changes_the_price() {
            createGreenTea();

            JsonNode r = invoke(api, resource("http-v2-post-price-change-base64.json"), null);

            assertProxyResponse(r, 200);
            JsonNode product = body(r);
            assertThat(product.get("price").decimalValue()).isEqualByComparingTo("3.75");
            assertThat(product.get("version").longValue()).isEqualTo(2);
            // the recorded GET asks for atLeast=2: this is the position it waits for
            assertThat(product.get("position").longValue()).isEqualTo(2);
        }

        @Test
        void a_refused_command_keeps_the_routers_status_and_changes_nothing() {
            createGreenTea();

            JsonNode r = invoke(api, resource("rest-v1-post-product.json"), null);

            assertProxyResponse(r, 409);
            assertThat(body(r).get("error").textValue()).isEqualTo("already_exists");
            assertThat(tracker.product("green-tea").version()).isEqualTo(1);
        }
    }

    @Nested
    class Reads {

        @Test
        void a_GET_with_atLeast_after_a_projector_pass_returns_the_product() {
            createGreenTea();
            changeGreenTeasPrice();
            invoke(projector, resource("eventbridge-scheduled.json"), null);

            JsonNode r = invoke(api, resource("http-v2-get-product-at-least.json"), null);

            assertProxyResponse(r, 200);
            assertThat(r.get("body").textValue())
                    .isEqualTo("{\"productId\":\"green-tea\",\"name\":\"Green tea\",\"price\":3.75,\"version\":2}");
        }

        @Test
        void a_GET_with_atLeast_before_any_projector_pass_catches_the_read_models_up_itself() {
            createGreenTea();
            changeGreenTeasPrice();

            JsonNode r = invoke(api, resource("http-v2-get-product-at-least.json"), null);

            assertProxyResponse(r, 200);
            assertThat(r.get("body").textValue())
                    .isEqualTo("{\"productId\":\"green-tea\",\"name\":\"Green tea\",\"price\":3.75,\"version\":2}");
            assertThat(tracker.projections().statuses())
                    .extracting(ProjectionStatus::checkpoint)
                    .containsOnly(2L);
        }

        @Test
        void a_GET_without_atLeast_answers_from_the_read_model_as_it_is() {
            createGreenTea();

            JsonNode r = invoke(api, atLeast(null), null);

            assertProxyResponse(r, 404); // the projector has not run, and the read did not ask
            assertThat(tracker.projections().statuses())
                    .extracting(ProjectionStatus::checkpoint)
                    .containsOnly(0L);
        }

        @Test
        void a_GET_with_atLeast_the_read_models_cannot_reach_answers_503_with_Retry_After() {
            createGreenTea();
            changeGreenTeasPrice();

            JsonNode r = invoke(api, atLeast(99L), null);

            assertProxyResponse(r, 503);
            assertThat(r.get("headers").get("Retry-After").textValue()).isEqualTo("1");
            assertThat(body(r).get("error").textValue()).isEqualTo("not_caught_up");
            // the pass went as far as the log goes
            assertThat(tracker.projections().statuses())
                    .extracting(ProjectionStatus::checkpoint)
                    .containsOnly(2L);
        }

        @Test
        void a_router_without_catch_up_waits_for_the_projector() {
            ApiGatewayHandler waiting = new ApiGatewayHandler(new PriceTrackerApi(tracker, Duration.ofMillis(300)));
            createGreenTea();
            changeGreenTeasPrice();

            assertProxyResponse(invoke(waiting, resource("http-v2-get-product-at-least.json"), null), 503);
            invoke(projector, resource("eventbridge-scheduled.json"), null);
            assertProxyResponse(invoke(waiting, resource("http-v2-get-product-at-least.json"), null), 200);
        }

        @Test
        void a_product_at_a_past_version_needs_no_projector_pass() {
            createGreenTea();
            changeGreenTeasPrice();

            // read from the product's stream, not from the read models, which no pass has moved
            JsonNode r = invoke(api, """
                    {"version": "2.0", "rawPath": "/products/green-tea/versions/1", "rawQueryString": "",
                     "requestContext": {"http": {"method": "GET"}, "stage": "$default"}}""");
            JsonNode events = invoke(api, """
                    {"httpMethod": "GET", "path": "/products/green-tea/events",
                     "queryStringParameters": {"from": "2"}}""");

            assertProxyResponse(r, 200);
            assertThat(body(r).get("state").get("price").decimalValue()).isEqualByComparingTo("3.50");
            assertThat(body(r).get("latestVersion").longValue()).isEqualTo(2);
            assertProxyResponse(events, 200);
            assertThat(body(events).get("events")).hasSize(1);
            assertThat(body(events)
                            .get("events")
                            .get(0)
                            .get("state")
                            .get("price")
                            .decimalValue())
                    .isEqualByComparingTo("3.75");
        }

        @Test
        void a_GET_of_an_unknown_product_answers_404() {
            JsonNode r = invoke(api, resource("rest-v1-get-unknown-product.json"), null);

            assertProxyResponse(r, 404);
            assertThat(body(r).get("error").textValue()).isEqualTo("not_found");
            assertThat(body(r).get("message").textValue()).contains("no-such-tea");
        }

        @Test
        void the_routers_headers_reach_the_proxy_response() {
            JsonNode r = invoke(api, """
                    {"version": "2.0", "rawPath": "/products/green-tea/price-changes", "rawQueryString": "",
                     "requestContext": {"http": {"method": "GET"}, "stage": "$default"}}""");

            assertProxyResponse(r, 405);
            assertThat(r.get("headers").get("Allow").textValue()).isEqualTo("POST");
        }

        @Test
        void an_HTTP_API_on_a_named_stage_is_routed_without_the_stage() {
            createGreenTea();
            invoke(projector, resource("eventbridge-scheduled.json"), null);

            JsonNode r = invoke(api, """
                    {"version": "2.0", "rawPath": "/dev/products/green-tea", "rawQueryString": "atLeast=1",
                     "requestContext": {"http": {"method": "GET"}, "stage": "dev"}}""");

            assertProxyResponse(r, 200);
            assertThat(body(r).get("name").textValue()).isEqualTo("Green tea");
        }
    }

    @Nested
    class Refusals {

        @Test
        void a_malformed_event_gets_a_400_proxy_response_and_a_log_line() {
            LambdaEvents.TinyContext context = new LambdaEvents.TinyContext();

            JsonNode r = invoke(api, resource("malformed-v2-without-method.json"), context);

            assertProxyResponse(r, 400);
            assertThat(body(r).get("error").textValue()).isEqualTo("invalid_event");
            assertThat(body(r).get("message").textValue()).contains("requestContext.http");
            assertThat(context.lines).singleElement().asString().contains("malformed proxy event");
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @ValueSource(
                strings = {
                    "",
                    "not json",
                    "{\"httpMethod\": \"GET\"",
                    "[1, 2]",
                    "null",
                    "{}",
                    "{\"version\": \"0\", \"source\": \"aws.events\", \"detail-type\": \"Scheduled Event\"}",
                })
        void anything_else_than_a_proxy_event_gets_400_not_an_exception(String event) {
            JsonNode r = invoke(api, event);

            assertProxyResponse(r, 400);
            assertThat(body(r).get("error").textValue()).isEqualTo("invalid_event");
        }

        @Test
        void a_malformed_event_changes_nothing() {
            invoke(api, """
                    {"httpMethod": "POST", "path": "/products", "isBase64Encoded": true,
                     "body": "{\\"productId\\":\\"green-tea\\",\\"name\\":\\"Green tea\\",\\"price\\":3.50}"}""");

            assertThat(tracker.store().readAll(0, 10)).isEmpty();
        }

        @Test
        void a_store_that_cannot_be_opened_answers_503_and_the_next_invocation_tries_again() {
            int[] attempts = {0};
            PriceTrackerApi router = new PriceTrackerApi(tracker, Duration.ofMillis(300));
            ApiGatewayHandler handler = new ApiGatewayHandler(() -> {
                if (attempts[0]++ == 0) {
                    throw new EventStoreException("cannot open jdbc:postgresql://db.invalid/pricetracker");
                }
                return router;
            });

            JsonNode first = invoke(handler, resource("rest-v1-get-unknown-product.json"), null);
            JsonNode second = invoke(handler, resource("rest-v1-get-unknown-product.json"), null);

            assertProxyResponse(first, 503);
            assertThat(first.get("headers").get("Retry-After").textValue()).isEqualTo("1");
            assertThat(body(first).get("error").textValue()).isEqualTo("unavailable");
            assertProxyResponse(second, 404);
        }
    }

    /** The sample GET of green tea, with {@code atLeast=position}, or without it for null. */
    private static byte[] atLeast(Long position) {
        String event = new String(resource("http-v2-get-product-at-least.json"), StandardCharsets.UTF_8);
        String query = position == null ? "" : "atLeast=" + position;
        event = event.replace("\"rawQueryString\": \"atLeast=2\"", "\"rawQueryString\": \"" + query + "\"");
        assertThat(event).contains("\"rawQueryString\": \"" + query + "\"");
        return event.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void a_SQLite_URL_is_refused_clearly_where_SQLites_native_library_is_missing() {
        ClassLoader withoutSqlite = new URLClassLoader(new URL[0], null);

        assertThatThrownBy(() -> LambdaEnvironment.checkSqlite("jdbc:sqlite:/tmp/pricetracker.db", withoutSqlite))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("jdbc:sqlite:/tmp/pricetracker.db")
                .hasMessageContaining("no SQLite native library")
                .hasMessageContaining("Set PRICETRACKER_DB_URL to jdbc:postgresql://");
        LambdaEnvironment.checkSqlite("jdbc:postgresql://db/pt", withoutSqlite);
        LambdaEnvironment.checkSqlite(
                "jdbc:sqlite:/tmp/pricetracker.db", getClass().getClassLoader());
    }

    @Test
    void the_store_comes_from_PRICETRACKER_DB_URL_or_a_file_in_tmp() {
        assertThat(LambdaEnvironment.dbUrl(Map.of("PRICETRACKER_DB_URL", "jdbc:postgresql://db/pt")))
                .isEqualTo("jdbc:postgresql://db/pt");
        assertThat(LambdaEnvironment.dbUrl(Map.of("PRICETRACKER_DB_URL", "  ")))
                .isEqualTo("jdbc:sqlite:/tmp/pricetracker.db");
        assertThat(LambdaEnvironment.dbUrl(Map.of())).isEqualTo("jdbc:sqlite:/tmp/pricetracker.db");
    }
}
