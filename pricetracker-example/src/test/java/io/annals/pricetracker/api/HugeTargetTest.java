package io.annals.pricetracker.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.alerts.AlertTrigger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Targets written in exponent notation, far beyond any price. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HugeTargetTest {

    @TempDir
    Path dir;

    private PriceTracker tracker;
    private PriceTrackerApi api;

    @BeforeEach
    void open() {
        tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("huge.db"));
        api = new PriceTrackerApi(tracker, Duration.ofSeconds(10));
        assertThat(call("POST", "/products", "{\"productId\":\"tea\",\"name\":\"Tea\",\"price\":10}")
                        .status())
                .isEqualTo(201);
    }

    @AfterEach
    void close() {
        tracker.close();
    }

    private ApiResponse call(String method, String path, String body) {
        return api.handle(new ApiRequest(method, path, Map.of(), body));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e30", "1e100000", "1e-100000", "1e2000000000", "-1e2000000000"})
    @Timeout(60)
    void a_target_in_exponent_notation_is_refused_or_watched_and_alerts_keep_working(String target) {
        long before = tracker.store().lastPosition().orElseThrow();
        ApiResponse r;
        try {
            r = call(
                    "POST", "/products/tea/watchers", "{\"email\":\"big@example.com\",\"targetPrice\":" + target + "}");
        } catch (Throwable t) {
            throw new AssertionError("the API threw " + t, t);
        }
        assertThat(r.status()).as(r.body()).isIn(201, 400, 422);
        if (r.status() != 201) {
            assertThat(tracker.store().lastPosition().orElseThrow())
                    .as("nothing is written on an error")
                    .isEqualTo(before);
        }

        assertThat(call("POST", "/products/tea/watchers", "{\"email\":\"small@example.com\",\"targetPrice\":9}")
                        .status())
                .isEqualTo(201);
        assertThat(call("POST", "/products/tea/price-changes", "{\"variation\":-2}")
                        .status())
                .isEqualTo(200);
        try {
            tracker.projections().catchUp(); // the trigger records the alert
            tracker.projections().catchUp(); // the view shows it
        } catch (Throwable t) {
            throw new AssertionError("the projections threw " + t, t);
        }
        ProjectionStatus trigger = tracker.projections().status(AlertTrigger.NAME);
        assertThat(trigger.lastError()).as("the process manager is stuck").isEmpty();
        assertThat(tracker.alerts("tea")).as("the other person's alert").isNotEmpty();
    }
}
