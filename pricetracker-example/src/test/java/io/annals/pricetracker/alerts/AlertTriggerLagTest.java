package io.annals.pricetracker.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process manager runs behind the log (a poll interval, or only on read behind a Lambda):
 * a watch started again, or stopped, between a price change and the trigger's reaction to it.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AlertTriggerLagTest {

    private static final String EMAIL = "lag.person@example.com";

    @TempDir
    Path dir;

    private PriceTracker tracker;

    @BeforeEach
    void open() {
        tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("lag.db"));
        tracker.handle(new CreateProduct("tea", "Tea", new BigDecimal("10")));
    }

    @AfterEach
    void close() {
        tracker.close();
    }

    private void change(String variation) {
        tracker.handle(new UpdateProduct("tea", new BigDecimal(variation)));
    }

    private List<AlertsView.Alert> alerts() {
        tracker.projections().catchUp();
        tracker.projections().catchUp();
        return tracker.alerts("tea");
    }

    @Test
    void a_watch_started_again_after_a_change_is_not_used_up_by_that_change() {
        tracker.watch("tea", EMAIL, new BigDecimal("9"));
        change("-2"); // 8: reaches the first watch's target
        tracker.watch("tea", EMAIL, new BigDecimal("9")); // started again, after the change: armed
        tracker.projections().catchUp(); // the trigger reacts to the change only now

        change("-1"); // 7: reaches the second watch's target

        assertThat(alerts())
                .as("one alert for the first watch (price 8), one for the watch started after it (price 7)")
                .extracting(AlertsView.Alert::price)
                .usingElementComparator(BigDecimal::compareTo)
                .containsExactly(new BigDecimal("8"), new BigDecimal("7"));
    }

    @Test
    void a_watch_armed_when_its_target_was_reached_is_alerted_even_if_restarted_lower_before_the_trigger_ran() {
        tracker.watch("tea", EMAIL, new BigDecimal("9"));
        change("-2"); // 8: reaches the watch's target 9 while it is armed
        tracker.watch("tea", EMAIL, new BigDecimal("5")); // a new target, after the change

        assertThat(alerts())
                .as("the change to 8 reached the target 9 of the watch armed at the time")
                .extracting(AlertsView.Alert::price)
                .usingElementComparator(BigDecimal::compareTo)
                .containsExactly(new BigDecimal("8"));
    }

    @Test
    void a_person_forgotten_then_watching_again_is_not_alerted_for_a_change_before_the_new_watch() {
        tracker.watch("tea", EMAIL, new BigDecimal("9"));
        change("-2"); // 8, before the trigger runs
        tracker.priceAlerts().forget(EMAIL); // stops the watch: no alert for it any more
        tracker.watch("tea", EMAIL, new BigDecimal("9")); // a new watch, after the change

        List<AlertsView.Alert> alerts = alerts();
        assertThat(alerts)
                .as("the only change happened before the new watch started, and the old watch was forgotten")
                .isEmpty();
    }
}
