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
            refuseTea(tracker, true);
            tracker.handle(new UpdateProduct("tea", new BigDecimal("-2"))); // 8: reaches tea's target
            tracker.handle(new UpdateProduct("coffee", new BigDecimal("-2"))); // 8: reaches coffee's target

            try (ProjectionRunner runner = parkingTrigger(tracker)) {
                runner.catchUp();
                assertThat(runner.deadLetters(AlertTrigger.NAME))
                        .extracting(DeadLetter::streamId)
                        .containsExactly("product-tea");
                assertThat(alertsFor(tracker, "coffee")).hasSize(1);
                assertThat(alertsFor(tracker, "tea")).isEmpty();

                refuseTea(tracker, false);
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

    @Test
    void a_parked_price_change_retried_later_never_uses_up_a_watch_started_after_it() throws Exception {
        try (PriceTracker tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("park-later.db"))) {
            tracker.handle(new CreateProduct("tea", "Tea", new BigDecimal("10")));
            tracker.watch("tea", "first@example.com", new BigDecimal("9"));
            refuseTea(tracker, true);
            tracker.handle(new UpdateProduct("tea", new BigDecimal("-2"))); // 8: reaches the first watch

            try (ProjectionRunner runner = parkingTrigger(tracker)) {
                runner.catchUp();
                assertThat(runner.deadLetters(AlertTrigger.NAME)).hasSize(1);

                // a second watch starts after the change, while the change is parked
                tracker.watch("tea", "second@example.com", new BigDecimal("9"));
                runner.catchUp();
                refuseTea(tracker, false);
                assertThat(runner.retryDeadLetters(AlertTrigger.NAME)).isEmpty();

                tracker.handle(new UpdateProduct("tea", new BigDecimal("-1"))); // 7: reaches the second
                runner.catchUp();
            }
            tracker.projections().catchUp();
            assertThat(tracker.alerts("tea"))
                    .as("the change to 8 alerts the watch armed before it; the one started after waits for 7")
                    .extracting(AlertsView.Alert::price)
                    .usingElementComparator(BigDecimal::compareTo)
                    .containsExactlyInAnyOrder(new BigDecimal("8"), new BigDecimal("7"));
        }
    }

    @Test
    void a_watch_table_made_before_watches_kept_where_they_were_armed_gets_the_column_and_keeps_its_rows()
            throws Exception {
        org.sqlite.SQLiteDataSource ds = new org.sqlite.SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + dir.resolve("old-tables.db"));
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE alert_watches (product_id TEXT NOT NULL, watcher TEXT NOT NULL, "
                    + "start_version BIGINT NOT NULL, target_price TEXT NOT NULL, email_subject TEXT NOT NULL, "
                    + "email_ciphertext TEXT NOT NULL, PRIMARY KEY (product_id, watcher))");
            st.execute("INSERT INTO alert_watches VALUES ('tea', 'w', 1, '9', 's', 'c')");
        }

        AlertTrigger.createTables(ds);
        AlertTrigger.createTables(ds); // and again: nothing to add

        try (Connection c = ds.getConnection();
                Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery("SELECT watcher, armed_at FROM alert_watches")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("w");
            assertThat(rs.getObject(2))
                    .as("armed before every change, as it was then")
                    .isNull();
            assertThat(rs.next()).isFalse();
        }
    }

    /** A runner of the tracker's trigger alone that parks each change it fails on. */
    private static ProjectionRunner parkingTrigger(PriceTracker tracker) {
        PriceAlerts alerts = tracker.priceAlerts();
        return ProjectionRunner.builder(tracker.store())
                .add(tracker.store().projectors().sql(alerts.trigger(), alerts.triggerCodec()))
                .onError(AlertTrigger.NAME, ErrorPolicy.parkAfter(0))
                .build();
    }

    /** Makes the trigger fail on tea's changes (disarming a tea watch is refused), or stops that. */
    private static void refuseTea(PriceTracker tracker, boolean refuse) throws Exception {
        try (Connection c = tracker.store().dataSource().getConnection();
                Statement st = c.createStatement()) {
            st.execute(
                    refuse
                            ? "CREATE TRIGGER refuse_tea BEFORE DELETE ON alert_watches WHEN OLD.product_id = 'tea' "
                                    + "BEGIN SELECT RAISE(ABORT, 'tea is refused'); END"
                            : "DROP TRIGGER refuse_tea");
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
