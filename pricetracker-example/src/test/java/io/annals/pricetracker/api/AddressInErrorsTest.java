package io.annals.pricetracker.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.pricetracker.PriceTracker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** An email address in a path that no route takes is personal data all the same. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AddressInErrorsTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"//watchers/", "/Watchers/", "/watchers%2F", "/products/tea/watchers/"})
    void a_path_holding_an_address_is_not_repeated_in_the_error(String prefix) {
        try (PriceTracker tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("errors.db"))) {
            PriceTrackerApi api = new PriceTrackerApi(tracker, Duration.ofSeconds(10));
            ApiResponse r = api.handle(new ApiRequest("DELETE", prefix + "secret.person@example.com", Map.of(), ""));
            assertThat(r.status()).isIn(400, 404, 405);
            assertThat(r.body()).doesNotContain("secret.person");
        }
    }
}
