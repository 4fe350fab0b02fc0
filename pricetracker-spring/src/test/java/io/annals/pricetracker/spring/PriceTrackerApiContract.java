package io.annals.pricetracker.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.RequestEntity;
import org.springframework.http.ResponseEntity;

/**
 * The HTTP API of the Spring Boot price tracker over real HTTP, on whichever database the
 * subclass's application context uses. The context is shared by the tests: each works on
 * products of its own.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class PriceTrackerApiContract {

    /** A client of the running application, with its address as root. */
    abstract TestRestTemplate rest();

    private static String newId() {
        return "p" + UUID.randomUUID().toString().substring(0, 8);
    }

    private ResponseEntity<String> text(HttpMethod method, String path, @Nullable String json) {
        RequestEntity.BodyBuilder request = RequestEntity.method(method, URI.create(path));
        return rest().exchange(
                        json == null
                                ? request.build()
                                : request.contentType(MediaType.APPLICATION_JSON)
                                        .body(json),
                        String.class);
    }

    private ResponseEntity<Map<String, Object>> json(HttpMethod method, String path, @Nullable String json) {
        ResponseEntity<String> response = text(method, path, json);
        return ResponseEntity.status(response.getStatusCode())
                .body(JsonParserFactory.getJsonParser().parseMap(response.getBody()));
    }

    private long create(String id, String price) {
        ResponseEntity<Map<String, Object>> created = json(
                HttpMethod.POST,
                "/products",
                "{\"productId\":\"" + id + "\",\"name\":\"Tea " + id + "\",\"price\":" + price + "}");
        assertThat(created.getStatusCode()).isEqualTo(HttpStatus.CREATED);
        return position(created);
    }

    private static long position(ResponseEntity<Map<String, Object>> response) {
        return ((Number) response.getBody().get("position")).longValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> at(Map<String, Object> json, String... path) {
        Map<String, Object> node = json;
        for (String key : path) {
            assertThat(node).containsKey(key);
            node = (Map<String, Object>) node.get(key);
        }
        return node;
    }

    @Test
    void a_product_is_created_its_price_changed_and_it_is_deleted() {
        String id = newId();
        // as curl -d sends it, declared a form
        ResponseEntity<String> created = rest().exchange(
                        RequestEntity.post(URI.create("/products"))
                                .contentType(MediaType.APPLICATION_FORM_URLENCODED)
                                .body("{\"productId\":\"" + id + "\",\"name\":\"Green tea\",\"price\":3.50}"),
                        String.class);
        assertThat(created.getStatusCode()).isEqualTo(HttpStatus.CREATED);
        assertThat(created.getHeaders().getLocation()).hasToString("/products/" + id);
        assertThat(created.getBody()).contains("\"price\":3.50").contains("\"version\":1");

        ResponseEntity<String> changed =
                text(HttpMethod.POST, "/products/" + id + "/price-changes", "{\"variation\":-0.25}");
        assertThat(changed.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(changed.getBody()).contains("\"price\":3.25").contains("\"version\":2");

        ResponseEntity<Map<String, Object>> deleted = json(HttpMethod.DELETE, "/products/" + id, null);
        assertThat(deleted.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(deleted.getBody()).containsEntry("deleted", true).containsEntry("version", 3);

        ResponseEntity<Map<String, Object>> gone =
                json(HttpMethod.GET, "/products/" + id + "?atLeast=" + position(deleted), null);
        assertThat(gone.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        assertThat(gone.getBody()).containsEntry("error", "not_found");
    }

    @Test
    void a_read_with_atLeast_sees_the_write_whose_position_it_names() {
        String id = newId();
        create(id, "10.00");
        long position = position(json(HttpMethod.POST, "/products/" + id + "/price-changes", "{\"variation\":2.5}"));

        ResponseEntity<String> product = text(HttpMethod.GET, "/products/" + id + "?atLeast=" + position, null);
        assertThat(product.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(product.getBody()).contains("\"price\":12.50").contains("\"version\":2");

        ResponseEntity<Map<String, Object>> history =
                json(HttpMethod.GET, "/products/" + id + "/history?atLeast=" + position, null);
        assertThat(history.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat((List<?>) history.getBody().get("history")).hasSize(2);

        ResponseEntity<Map<String, Object>> stats = json(HttpMethod.GET, "/stats/monthly?atLeast=" + position, null);
        assertThat(stats.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat((List<?>) stats.getBody().get("months")).isNotEmpty();
    }

    @Test
    void a_refused_request_answers_the_code_of_the_JDK_server_version_and_writes_nothing() {
        String id = newId();
        long position = create(id, "1.00");

        assertThat(json(HttpMethod.POST, "/products", "{\"productId\":\"" + id + "\",\"name\":\"Other\",\"price\":1}")
                        .getBody())
                .containsEntry("error", "already_exists");
        ResponseEntity<Map<String, Object>> tooLow =
                json(HttpMethod.POST, "/products/" + id + "/price-changes", "{\"variation\":-1.00}");
        assertThat(tooLow.getStatusCode()).isEqualTo(HttpStatus.UNPROCESSABLE_ENTITY);
        assertThat(tooLow.getBody()).containsEntry("error", "price_not_positive");
        ResponseEntity<Map<String, Object>> unknown =
                json(HttpMethod.POST, "/products/" + newId() + "/price-changes", "{\"variation\":1}");
        assertThat(unknown.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
        ResponseEntity<Map<String, Object>> broken = json(HttpMethod.POST, "/products", "{\"productId\":");
        assertThat(broken.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(broken.getBody()).containsEntry("error", "invalid_json");
        ResponseEntity<Map<String, Object>> noPrice =
                json(HttpMethod.POST, "/products", "{\"productId\":\"" + newId() + "\",\"name\":\"x\"}");
        assertThat(noPrice.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(noPrice.getBody()).containsEntry("error", "invalid_field");

        ResponseEntity<String> product = text(HttpMethod.GET, "/products/" + id + "?atLeast=" + position, null);
        assertThat(product.getBody()).contains("\"price\":1.00").contains("\"version\":1");
    }

    @Test
    void health_shows_the_store_and_the_running_projections() {
        ResponseEntity<Map<String, Object>> health = json(HttpMethod.GET, "/actuator/health", null);
        assertThat(health.getStatusCode()).isEqualTo(HttpStatus.OK);
        Map<String, Object> annals = at(health.getBody(), "components", "annals");
        assertThat(annals).containsEntry("status", "UP");
        Map<String, Object> projections = at(annals, "details", "projections");
        assertThat(projections).containsOnlyKeys("product-view", "price-history", "monthly-stats");
        assertThat(at(projections, "product-view")).containsEntry("state", "RUNNING");
    }

    @Test
    void info_shows_each_projection_s_state_checkpoint_and_lag() {
        String id = newId();
        long position = create(id, "2.00");
        assertThat(text(HttpMethod.GET, "/products/" + id + "?atLeast=" + position, null)
                        .getStatusCode())
                .isEqualTo(HttpStatus.OK);

        ResponseEntity<Map<String, Object>> info = json(HttpMethod.GET, "/actuator/info", null);
        assertThat(info.getStatusCode()).isEqualTo(HttpStatus.OK);
        Map<String, Object> view = at(info.getBody(), "annals", "projections", "product-view");
        assertThat(view).containsEntry("state", "RUNNING").containsEntry("lagAtLeast", false);
        assertThat(((Number) view.get("checkpoint")).longValue()).isGreaterThanOrEqualTo(position);
        assertThat(((Number) view.get("lag")).longValue()).isZero();
    }
}
