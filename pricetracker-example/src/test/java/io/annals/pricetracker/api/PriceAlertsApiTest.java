package io.annals.pricetracker.api;

import static io.annals.pricetracker.api.Answers.assertError;
import static io.annals.pricetracker.api.Answers.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.alerts.AlertTrigger;
import io.annals.pricetracker.alerts.AlertsView;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Price alerts through the router: watching, alerts recorded once, forgetting, erasing. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PriceAlertsApiTest {

    @TempDir
    Path dir;

    private PriceTracker tracker;
    private PriceTrackerApi api;

    @BeforeEach
    void open() {
        tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("alerts.db"));
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

    private long ok(ApiResponse r, int status) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        return json(r).path("position").asLong();
    }

    private long create(String id, String price) {
        return ok(
                call(
                        "POST",
                        "/products",
                        "{\"productId\":\"" + id + "\",\"name\":\"Tea " + id + "\",\"price\":" + price + "}"),
                201);
    }

    private long change(String id, String variation) {
        return ok(call("POST", "/products/" + id + "/price-changes", "{\"variation\":" + variation + "}"), 200);
    }

    private long watch(String id, String email, String target) {
        return ok(
                call(
                        "POST",
                        "/products/" + id + "/watchers",
                        "{\"email\":\"" + email + "\",\"targetPrice\":" + target + "}"),
                201);
    }

    /** The alerts once the read models, and the reactions to what came before, caught up. */
    private JsonNode alerts(String id, long atLeast) {
        ApiResponse r = call("GET", "/products/" + id + "/alerts", Map.of("atLeast", Long.toString(atLeast)), "");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return json(r).get("alerts");
    }

    private long lastPosition() {
        return tracker.store().lastPosition().orElseThrow();
    }

    @Test
    void a_watch_returns_201_with_the_normalised_address_and_its_target() {
        create("tea", "10");
        ApiResponse r =
                call("POST", "/products/tea/watchers", "{\"email\":\" Ann@Example.COM \",\"targetPrice\":\"8.50\"}");

        assertThat(r.status()).as(r.body()).isEqualTo(201);
        JsonNode body = json(r);
        assertThat(body.get("productId").asText()).isEqualTo("tea");
        assertThat(body.get("email").asText()).isEqualTo("ann@example.com");
        assertThat(body.get("targetPrice").decimalValue()).isEqualByComparingTo("8.50");
        assertThat(body.get("version").asLong()).isEqualTo(1);
    }

    @Test
    void a_change_that_reaches_the_target_records_one_alert_and_later_changes_none() {
        create("tea", "10");
        watch("tea", "ann@example.com", "8");
        watch("tea", "bob@example.com", "5");
        change("tea", "-1"); // 9: nobody's target
        long reached = change("tea", "-2"); // 7: Ann's

        JsonNode alerts = alerts("tea", reached);
        assertThat(alerts).hasSize(1);
        assertThat(alerts.get(0).get("email").asText()).isEqualTo("ann@example.com");
        assertThat(alerts.get(0).get("forgotten").asBoolean()).isFalse();
        assertThat(alerts.get(0).get("targetPrice").decimalValue()).isEqualByComparingTo("8");
        assertThat(alerts.get(0).get("price").decimalValue()).isEqualByComparingTo("7");
        assertThat(alerts.get(0).get("version").asLong()).isEqualTo(3);

        change("tea", "-1"); // 6: Ann's alert was recorded once, Bob's target not reached
        change("tea", "2"); // 8
        long lower = change("tea", "-4"); // 4: Bob's, and Ann's no more
        alerts = alerts("tea", lower);
        assertThat(alerts).hasSize(2);
        assertThat(alerts.get(1).get("email").asText()).isEqualTo("bob@example.com");
        assertThat(alerts.get(1).get("version").asLong()).isEqualTo(6);
    }

    @Test
    void watching_again_arms_the_watch_again_with_the_new_target() {
        create("tea", "10");
        watch("tea", "ann@example.com", "9");
        long first = change("tea", "-1");
        assertThat(alerts("tea", first)).hasSize(1);

        watch("tea", "ANN@example.com", "7"); // the same person: one watch, a new target
        change("tea", "-1"); // 8
        long second = change("tea", "-1"); // 7
        JsonNode alerts = alerts("tea", second);
        assertThat(alerts).hasSize(2);
        assertThat(alerts.get(1).get("targetPrice").decimalValue()).isEqualByComparingTo("7");
        assertThat(alerts.get(1).get("version").asLong()).isEqualTo(4);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"targetPrice\":5}|400|missing_field",
                "{\"email\":\"ann@example.com\"}|400|missing_field",
                "{\"email\":\"not an address\",\"targetPrice\":5}|400|invalid_email",
                "{\"email\":\"ann@\",\"targetPrice\":5}|400|invalid_email",
                "{\"email\":\"@example.com\",\"targetPrice\":5}|400|invalid_email",
                "{\"email\":\"a/b@example.com\",\"targetPrice\":5}|400|invalid_email",
                "{\"email\":\"a\\\\b@example.com\",\"targetPrice\":5}|400|invalid_email",
                "{\"email\":42,\"targetPrice\":5}|400|invalid_field",
                "{\"email\":\"ann@example.com\",\"targetPrice\":\"cheap\"}|400|invalid_field",
                "{\"email\":\"ann@example.com\",\"targetPrice\":0}|422|target_not_positive",
                "{\"email\":\"ann@example.com\",\"targetPrice\":-3}|422|target_not_positive",
                "[1]|400|invalid_json",
            })
    void bad_input_is_refused_and_nothing_is_written(String body, int status, String code) {
        create("tea", "10");
        long before = lastPosition();

        assertError(call("POST", "/products/tea/watchers", body), status, code);
        assertThat(lastPosition()).isEqualTo(before);
    }

    @Test
    void an_address_that_is_too_long_is_refused_without_being_repeated() {
        create("tea", "10");
        String email = "a".repeat(250) + "@example.com";
        ApiResponse r = call("POST", "/products/tea/watchers", "{\"email\":\"" + email + "\",\"targetPrice\":5}");

        assertError(r, 400, "invalid_email");
        assertThat(r.body()).doesNotContain(email);
    }

    @Test
    void an_unknown_product_is_404_and_a_deleted_one_409_with_nothing_written() {
        create("tea", "10");
        ok(call("DELETE", "/products/tea", ""), 200);
        long before = lastPosition();

        assertError(
                call("POST", "/products/nope/watchers", "{\"email\":\"ann@example.com\",\"targetPrice\":5}"),
                404,
                "not_found");
        assertError(
                call("POST", "/products/tea/watchers", "{\"email\":\"ann@example.com\",\"targetPrice\":5}"),
                409,
                "deleted");
        assertError(call("GET", "/products/nope/alerts", ""), 404, "not_found");
        assertThat(lastPosition()).isEqualTo(before);
        // a deleted product still shows its alerts
        assertThat(alerts("tea", 0)).isEmpty();
    }

    @Test
    void forgetting_a_person_shows_their_alerts_as_forgotten_and_stops_their_watches() {
        create("tea", "10");
        create("mug", "10");
        watch("tea", "ann@example.com", "9");
        watch("mug", "ann@example.com", "5");
        watch("tea", "bob@example.com", "9");
        long alerted = change("tea", "-2");
        assertThat(alerts("tea", alerted)).hasSize(2);

        ApiResponse forgot = call("DELETE", "/watchers/Ann@Example.com", "");
        assertThat(forgot.status()).as(forgot.body()).isEqualTo(200);
        assertThat(json(forgot).get("watches").asInt()).isEqualTo(2);
        assertThat(json(forgot).get("position").asLong()).isEqualTo(lastPosition());

        List<String> shown = new ArrayList<>();
        for (JsonNode a : alerts("tea", lastPosition())) {
            shown.add(
                    a.get("forgotten").asBoolean()
                            ? "(forgotten)"
                            : a.get("email").asText());
            if (a.get("forgotten").asBoolean()) {
                assertThat(a.get("email").isNull()).isTrue();
            }
        }
        assertThat(shown).containsExactlyInAnyOrder("(forgotten)", "bob@example.com");

        // Ann's watch on the mug was stopped: its price reaching her target alerts nobody
        long mug = change("mug", "-6");
        assertThat(alerts("mug", mug)).isEmpty();

        // forgetting again does no harm; an address never seen is 404; a malformed one 400
        assertThat(call("DELETE", "/watchers/ann@example.com", "").status()).isEqualTo(200);
        assertError(call("DELETE", "/watchers/carol@example.com", ""), 404, "not_found");
        assertError(call("DELETE", "/watchers/carol", ""), 400, "invalid_email");
        // a slash would split the path: such an address is refused when watching
        ApiResponse split = call("DELETE", "/watchers/a/b@example.com", "");
        assertError(split, 404, "no_route");
        assertThat(split.body()).doesNotContain("example.com");
    }

    @Test
    void a_person_forgotten_who_watches_again_is_shown_in_new_alerts_only() {
        create("tea", "10");
        watch("tea", "ann@example.com", "9");
        assertThat(alerts("tea", change("tea", "-1"))).hasSize(1);
        ok(call("DELETE", "/watchers/ann@example.com", ""), 200);

        watch("tea", "ann@example.com", "8");
        long again = change("tea", "-1");
        JsonNode alerts = alerts("tea", again);
        assertThat(alerts).hasSize(2);
        assertThat(alerts.get(0).get("forgotten").asBoolean()).isTrue();
        assertThat(alerts.get(1).get("email").asText()).isEqualTo("ann@example.com");
    }

    @Test
    void erasing_a_product_deletes_its_streams_and_read_models_and_frees_its_name() {
        create("tea", "10");
        watch("tea", "ann@example.com", "9");
        long alerted = change("tea", "-2");
        assertThat(alerts("tea", alerted)).hasSize(1);

        ApiResponse erased = call("DELETE", "/products/tea", Map.of("erase", "true"), "");
        assertThat(erased.status()).as(erased.body()).isEqualTo(200);
        assertThat(json(erased).get("watchesErased").asInt()).isEqualTo(1);
        long tombstone = json(erased).get("position").asLong();

        Map<String, String> atTombstone = Map.of("atLeast", Long.toString(tombstone));
        assertError(call("GET", "/products/tea", atTombstone, ""), 404, "not_found");
        assertError(call("GET", "/products/tea/alerts", atTombstone, ""), 404, "not_found");
        assertError(call("GET", "/products/tea/history", atTombstone, ""), 404, "not_found");
        assertError(call("GET", "/products/tea/events", ""), 410, "stream_deleted");
        assertThat(AlertsCount.of(tracker)).isZero();
        // its name is free, its id is not
        assertThat(call("POST", "/products", "{\"productId\":\"tea2\",\"name\":\"Tea tea\",\"price\":3}")
                        .status())
                .isEqualTo(201);
        assertError(
                call("POST", "/products", "{\"productId\":\"tea\",\"name\":\"Other\",\"price\":3}"),
                409,
                "already_exists");
        // erasing again does no harm; the watcher is unknown now
        assertThat(call("DELETE", "/products/tea", Map.of("erase", "true"), "").status())
                .isEqualTo(200);
        assertError(call("DELETE", "/watchers/ann@example.com", ""), 404, "not_found");
    }

    @Test
    void erasing_an_unknown_product_is_404_and_a_bad_flag_400() {
        create("tea", "10");
        long before = lastPosition();

        assertError(call("DELETE", "/products/nope", Map.of("erase", "true"), ""), 404, "not_found");
        assertError(call("DELETE", "/products/tea", Map.of("erase", "yes"), ""), 400, "invalid_parameter");
        assertThat(lastPosition()).isEqualTo(before);
    }

    @Test
    void rebuilding_the_alerts_and_the_trigger_records_no_alert_twice() throws Exception {
        create("tea", "10");
        watch("tea", "ann@example.com", "9");
        watch("tea", "bob@example.com", "8");
        change("tea", "-1");
        long last = change("tea", "-1");
        assertThat(alerts("tea", last)).hasSize(2);
        long before = lastPosition();

        tracker.projections().rebuild(AlertTrigger.NAME, p -> {});
        tracker.projections().rebuild(AlertsView.NAME, p -> {});

        assertThat(alerts("tea", lastPosition())).hasSize(2);
        assertThat(lastPosition()).isEqualTo(before);
    }

    /** Counts the rows of the alerts' table. */
    static final class AlertsCount {
        static long of(PriceTracker tracker) {
            try (var c = tracker.store().dataSource().getConnection();
                    var st = c.createStatement();
                    var rs = st.executeQuery("SELECT COUNT(*) FROM price_alerts")) {
                rs.next();
                return rs.getLong(1);
            } catch (java.sql.SQLException e) {
                throw new AssertionError(e);
            }
        }
    }
}
