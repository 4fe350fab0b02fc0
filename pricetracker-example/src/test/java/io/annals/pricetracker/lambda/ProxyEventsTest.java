package io.annals.pricetracker.lambda;

import static io.annals.pricetracker.lambda.LambdaEvents.JSON;
import static io.annals.pricetracker.lambda.LambdaEvents.resource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.annals.pricetracker.api.ApiRequest;
import io.annals.pricetracker.api.ApiResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Proxy events to requests and responses to proxy responses, without a store. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProxyEventsTest {

    private static ApiRequest request(String event) {
        return ProxyEvents.request(event.getBytes(StandardCharsets.UTF_8));
    }

    @Nested
    class A_REST_API_event {

        @Test
        void gives_method_path_body_and_no_query() {
            ApiRequest r = ProxyEvents.request(resource("rest-v1-post-product.json"));

            assertThat(r)
                    .isEqualTo(new ApiRequest(
                            "POST",
                            "/products",
                            Map.of(),
                            "{\"productId\":\"green-tea\",\"name\":\"Green tea\",\"price\":3.50}"));
        }

        @Test
        void with_a_null_body_gives_an_empty_one() {
            ApiRequest r = ProxyEvents.request(resource("rest-v1-get-unknown-product.json"));

            assertThat(r).isEqualTo(new ApiRequest("GET", "/products/no-such-tea", Map.of(), ""));
        }

        @Test
        void takes_the_first_of_several_values_of_a_parameter() {
            ApiRequest r = request("""
                    {"httpMethod": "GET", "path": "/products",
                     "queryStringParameters": {"limit": "20"},
                     "multiValueQueryStringParameters": {"limit": ["10", "20"], "offset": ["5"]}}""");

            assertThat(r.query()).isEqualTo(Map.of("limit", "10", "offset", "5"));
        }

        @Test
        void without_multi_values_takes_the_single_values() {
            ApiRequest r = request("""
                    {"httpMethod": "GET", "path": "/products/green-tea",
                     "queryStringParameters": {"atLeast": "7"}}""");

            assertThat(r.query()).isEqualTo(Map.of("atLeast", "7"));
        }

        @Test
        void has_its_path_percent_decoded() {
            ApiRequest r = request("{\"httpMethod\": \"get\", \"path\": \"/products/green%2Dtea\"}");

            assertThat(r.method()).isEqualTo("GET");
            assertThat(r.path()).isEqualTo("/products/green-tea");
        }
    }

    @Nested
    class An_HTTP_API_event {

        @Test
        void gives_method_path_and_the_base64_body_decoded() {
            ApiRequest r = ProxyEvents.request(resource("http-v2-post-price-change-base64.json"));

            assertThat(r)
                    .isEqualTo(new ApiRequest(
                            "POST", "/products/green-tea/price-changes", Map.of(), "{\"variation\":0.25}"));
        }

        @Test
        void takes_the_query_from_rawQueryString() {
            ApiRequest r = ProxyEvents.request(resource("http-v2-get-product-at-least.json"));

            assertThat(r).isEqualTo(new ApiRequest("GET", "/products/green-tea", Map.of("atLeast", "2"), ""));
        }

        @Test
        void prefers_rawQueryString_and_its_first_value_to_queryStringParameters() {
            ApiRequest r = request("""
                    {"version": "2.0", "rawPath": "/products", "rawQueryString": "limit=10&limit=20&x=a%20b",
                     "queryStringParameters": {"limit": "10,20", "x": "a b"},
                     "requestContext": {"http": {"method": "GET"}, "stage": "$default"}}""");

            assertThat(r.query()).isEqualTo(Map.of("limit", "10", "x", "a b"));
        }

        @Test
        void without_rawQueryString_takes_queryStringParameters() {
            ApiRequest r = request("""
                    {"version": "2.0", "rawPath": "/products", "queryStringParameters": {"limit": "3"},
                     "requestContext": {"http": {"method": "GET"}}}""");

            assertThat(r.query()).isEqualTo(Map.of("limit", "3"));
        }

        @ParameterizedTest(name = "{0} on stage {1} is {2}")
        @CsvSource({
            "/dev/products/green-tea, dev,      /products/green-tea",
            "/dev,                    dev,      /",
            "/products/green-tea,     $default, /products/green-tea",
            "/devices,                dev,      /devices",
        })
        void loses_the_prefix_of_a_named_stage(String rawPath, String stage, String path) {
            ApiRequest r = request("""
                    {"version": "2.0", "rawPath": "%s", "rawQueryString": "",
                     "requestContext": {"http": {"method": "GET"}, "stage": "%s"}}""".formatted(rawPath, stage));

            assertThat(r.path()).isEqualTo(path);
        }

        @Test
        void with_an_empty_rawPath_is_for_the_root() {
            ApiRequest r = request("""
                    {"version": "2.0", "rawPath": "", "requestContext": {"http": {"method": "GET"}}}""");

            assertThat(r.path()).isEqualTo("/");
        }

        @Test
        void keeps_non_ASCII_text_in_a_base64_body() {
            String body = "{\"name\":\"Thé vert 緑茶\"}";
            String base64 = java.util.Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8));

            ApiRequest r = request("""
                    {"version": "2.0", "rawPath": "/products", "body": "%s", "isBase64Encoded": true,
                     "requestContext": {"http": {"method": "POST"}}}""".formatted(base64));

            assertThat(r.body()).isEqualTo(body);
        }
    }

    @Nested
    class A_malformed_event_is_refused_with_the_reason {

        @Test
        void when_it_has_no_method() {
            assertThatThrownBy(() -> ProxyEvents.request(resource("malformed-v2-without-method.json")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("requestContext.http");
        }

        @ParameterizedTest(name = "{0}")
        @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
                not JSON                     | {"httpMethod": "GET",             | not valid JSON
                trailing text                | {"httpMethod": "GET", "path": "/"} x | not valid JSON
                empty                        | ``                                | JSON object
                an array                     | []                                | JSON object
                a scheduled event            | {"version": "0", "source": "aws.events", "detail-type": "Scheduled Event"} | not an API Gateway proxy event
                a v1 event without path      | {"httpMethod": "GET"}             | 'path' is required
                a numeric method             | {"httpMethod": 7, "path": "/"}    | 'httpMethod' must be a string
                a method that is no word     | {"httpMethod": "GET /", "path": "/"} | must be letters
                a relative path              | {"httpMethod": "GET", "path": "products"} | must start with '/'
                a body that is not base64    | {"httpMethod": "POST", "path": "/products", "body": "{not base64}", "isBase64Encoded": true} | flagged base64 but is not
                a body that is not UTF-8     | {"httpMethod": "POST", "path": "/products", "body": "/w==", "isBase64Encoded": true} | not valid UTF-8
                a body that is an object     | {"httpMethod": "POST", "path": "/products", "body": {"price": 1}} | 'body' must be a string
                a flag that is a string      | {"httpMethod": "POST", "path": "/products", "body": "", "isBase64Encoded": "yes"} | 'isBase64Encoded' must be true or false
                a parameter that is a number | {"httpMethod": "GET", "path": "/products", "queryStringParameters": {"limit": 5}} | 'queryStringParameters.limit' must be a string
                a multi value not a list     | {"httpMethod": "GET", "path": "/products", "multiValueQueryStringParameters": {"limit": "5"}} | must be an array of strings
                a v2 event without rawPath   | {"version": "2.0", "requestContext": {"http": {"method": "GET"}}} | 'rawPath' is required
                a malformed rawQueryString   | {"version": "2.0", "rawPath": "/products", "rawQueryString": "limit=%zz", "requestContext": {"http": {"method": "GET"}}} | 'rawQueryString' is not a valid query string
                """)
        void when_it_is(String what, String event, String reason) {
            assertThatThrownBy(() -> request(event))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(reason);
        }
    }

    @Nested
    class A_response {

        @Test
        void is_written_in_the_proxy_shape() throws Exception {
            byte[] out = ProxyEvents.response(new ApiResponse(
                    201,
                    Map.of("Content-Type", "application/json; charset=utf-8", "Location", "/products/green-tea"),
                    "{\"productId\":\"green-tea\"}"));

            JsonNode r = JSON.readTree(out);
            assertThat(r.get("statusCode").intValue()).isEqualTo(201);
            assertThat(r.get("headers").get("Content-Type").textValue()).isEqualTo("application/json; charset=utf-8");
            assertThat(r.get("headers").get("Location").textValue()).isEqualTo("/products/green-tea");
            assertThat(r.get("headers").size()).isEqualTo(2);
            assertThat(r.get("body").textValue()).isEqualTo("{\"productId\":\"green-tea\"}");
            assertThat(r.get("isBase64Encoded").booleanValue()).isFalse();
            assertThat(r.size()).isEqualTo(4);
        }

        @Test
        void keeps_non_ASCII_text() throws Exception {
            byte[] out = ProxyEvents.response(new ApiResponse(200, Map.of(), "Thé vert 緑茶"));

            assertThat(JSON.readTree(out).get("body").textValue()).isEqualTo("Thé vert 緑茶");
        }
    }
}
