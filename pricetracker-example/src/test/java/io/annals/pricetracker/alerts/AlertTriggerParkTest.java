package io.annals.pricetracker.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.DeadLetter;
import io.annals.eventstore.projection.ErrorPolicy;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trigger under a park policy: a price change it fails on is parked while it goes on with
 * other products, and retrying the dead letter later still reacts to it.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AlertTriggerParkTest {

    @TempDir
    Path dir;

    @Test
    void a_parked_price_change_retried_after_other_products_moved_on_still_records_its_alert() throws Exception {
        try (PriceTracker tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("park.db"))) {
            tracker.handle(new CreateProduct("tea", "Tea", new BigDecimal("10")));
            tracker.handle(new CreateProduct("coffee", "Coffee", new BigDecimal("10")));
            tracker.watch("tea", "tea.person@example.com", new BigDecimal("9"));
            tracker.watch("coffee", "coffee.person@example.com", new BigDecimal("9"));
            // the trigger fails on tea's change: disarming tea's watch is refused for a while
            try (Connection c = tracker.store().dataSource().getConnection();
                    Statement st = c.createStatement()) {
                st.execute("CREATE TRIGGER refuse_tea BEFORE DELETE ON alert_watches WHEN OLD.product_id = 'tea' "
                        + "BEGIN SELECT RAISE(ABORT, 'tea is refused'); END");
            }
            tracker.handle(new UpdateProduct("tea", new BigDecimal("-2"))); // 8: reaches tea's target
            tracker.handle(new UpdateProduct("coffee", new BigDecimal("-2"))); // 8: reaches coffee's target

            PriceAlerts alerts = tracker.priceAlerts();
            try (ProjectionRunner runner = ProjectionRunner.builder(tracker.store())
                    .add(tracker.store().projectors().sql(alerts.trigger(), alerts.triggerCodec()))
                    .onError(AlertTrigger.NAME, ErrorPolicy.parkAfter(0))
                    .build()) {
                runner.catchUp();
                assertThat(runner.deadLetters(AlertTrigger.NAME))
                        .extracting(DeadLetter::streamId)
                        .containsExactly("product-tea");
                assertThat(alertsFor(tracker, "coffee")).hasSize(1);
                assertThat(alertsFor(tracker, "tea")).isEmpty();

                try (Connection c = tracker.store().dataSource().getConnection();
                        Statement st = c.createStatement()) {
                    st.execute("DROP TRIGGER refuse_tea");
                }
                assertThat(runner.retryDeadLetters(AlertTrigger.NAME)).isEmpty();

                assertThat(alertsFor(tracker, "tea"))
                        .as("the parked change reached tea's target: its retry records the alert")
                        .hasSize(1);
                assertThat(alertsFor(tracker, "coffee")).hasSize(1);

                // a rebuild reacts to neither change again
                runner.rebuild(AlertTrigger.NAME, p -> {});
                assertThat(alertsFor(tracker, "tea")).hasSize(1);
                assertThat(alertsFor(tracker, "coffee")).hasSize(1);
            }
        }
    }

    /** The AlertRecorded events of a product's watches, read from the log. */
    private static List<RecordedEvent> alertsFor(PriceTracker tracker, String productId) {
        List<RecordedEvent> found = new ArrayList<>();
        long after = 0;
        while (true) {
            List<RecordedEvent> page = tracker.store().readAll(after, 100);
            if (page.isEmpty()) {
                return found;
            }
            for (RecordedEvent r : page) {
                if (r.type().equals("AlertRecorded") && r.json().contains("\"productId\":\"" + productId + "\"")) {
                    found.add(r);
                }
            }
            after = page.get(page.size() - 1).position();
        }
    }
}
