package io.annals.pricetracker.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Reading the router's answers in its tests: the JSON body, and the shape of every error. */
final class Answers {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Answers() {}

    /** The body as JSON; fails the test if it is not JSON. */
    static JsonNode json(ApiResponse r) {
        try {
            return JSON.readTree(r.body());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    /** An error answer: the status, a JSON body with that code and a message for people. */
    static void assertError(ApiResponse r, int status, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.headers()).containsEntry("Content-Type", "application/json; charset=utf-8");
        assertThat(json(r).get("error").asText()).as(r.body()).isEqualTo(code);
        assertThat(json(r).get("message").asText()).isNotBlank();
    }
}
