package io.annals.pricetracker;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.pricetracker.domain.ProductCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class MainTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private int runSplit(String... args) {
        out.reset();
        err.reset();
        return Main.run(
                args,
                java.util.Map.of("PRODUCT_VIEW_SEGMENTS", "2"),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void the_demo_shows_accepted_and_rejected_commands_and_the_history() {
        String db = "jdbc:sqlite:" + dir.resolve("demo.db");

        assertThat(run("demo", "--db", db)).isZero();

        assertThat(out())
                .contains("create green-tea at 3.50       ok: created \"Green tea\" at 3.50")
                .contains("price 3.50 -> 3.75 (+0.25)")
                .contains("rejected (price_not_positive)")
                .contains("rejected (already_exists)")
                .contains("rejected (deleted)")
                .contains("v3    price 3.75 -> 3.35 (-0.40)");
    }

    @Test
    void a_second_demo_run_continues_the_stored_history() {
        String db = "jdbc:sqlite:" + dir.resolve("again.db");
        run("demo", "--db", db);

        assertThat(run("demo", "--db", db)).isZero();
        assertThat(out())
                .contains("green-tea exists already (version 3, price 3.35)")
                .contains("v5    price 3.60 -> 3.20 (-0.40)");

        assertThat(run("history", "green-tea", "--db", db)).isZero();
        assertThat(out().lines().filter(l -> l.contains(" v"))).hasSize(5);
    }

    @Test
    void dead_letters_of_a_split_product_view_are_those_of_every_segment() throws Exception {
        String db = "jdbc:sqlite:" + dir.resolve("split-dead.db");
        assertThat(runSplit("demo", "--db", db)).isZero();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(db);
                java.sql.Statement st = c.createStatement()) {
            String eventId;
            try (java.sql.ResultSet rs = st.executeQuery("SELECT event_id FROM annals_events WHERE position = 2")) {
                rs.next();
                eventId = rs.getString(1);
            }
            // parked by the second segment, as its runner would
            st.executeUpdate("INSERT INTO annals_projection_dead_letters VALUES ('product-view[1/2]', 2, '" + eventId
                    + "', 'product-green-tea', 'PriceChanged', 'boom', 0)");
        }

        assertThat(runSplit("dead-letters", "product-view", "--db", db)).isZero();
        assertThat(out()).contains("product-view: 1 dead letters").contains("boom");
        assertThat(runSplit("dead-letters", "product-view", "skip", "2", "--db", db))
                .isZero();
        assertThat(out()).contains("skipped the event at position 2 of product-view");
        assertThat(runSplit("dead-letters", "product-view", "list", "--db", db)).isZero();
        assertThat(out()).contains("product-view: 0 dead letters");
    }

    @Test
    void dead_letters_lists_skips_and_retries_the_parked_events_of_a_projection() throws Exception {
        String db = "jdbc:sqlite:" + dir.resolve("dead.db");
        run("demo", "--db", db);
        String eventId;
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(db);
                java.sql.Statement st = c.createStatement()) {
            try (java.sql.ResultSet rs = st.executeQuery("SELECT event_id FROM annals_events WHERE position = 2")) {
                rs.next();
                eventId = rs.getString(1);
            }
            // parked as a projection would, for the commands to find
            st.executeUpdate("INSERT INTO annals_projection_dead_letters VALUES ('monthly-stats', 2, '" + eventId
                    + "', 'product-green-tea', 'PriceChanged', 'boom', 0)");
            st.executeUpdate("INSERT INTO annals_projection_dead_letters VALUES ('monthly-stats', 3, '" + eventId
                    + "', 'product-green-tea', 'PriceChanged', 'held', 0)");
        }

        assertThat(run("dead-letters", "monthly-stats", "--db", db)).isZero();
        assertThat(out())
                .contains("monthly-stats: 2 dead letters")
                .contains("  2  1970-01-01 00:00:00  product-green-tea  PriceChanged  " + eventId + "  boom");
        assertThat(run("dead-letters", "monthly-stats", "skip", "2", "--db", db))
                .isZero();
        assertThat(out()).contains("skipped the event at position 2 of monthly-stats");
        assertThat(run("dead-letters", "monthly-stats", "skip", "2", "--db", db))
                .isEqualTo(1);
        assertThat(run("dead-letters", "monthly-stats", "retry", "--db", db)).isZero();
        assertThat(out()).contains("retried monthly-stats: 1 applied, 0 left");
        assertThat(run("dead-letters", "monthly-stats", "list", "--db", db)).isZero();
        assertThat(out()).contains("monthly-stats: 0 dead letters");

        assertThat(run("dead-letters", "monthly-stats", "skip", "--db", db)).isEqualTo(2);
        assertThat(run("dead-letters", "nothing", "--db", db)).isEqualTo(2);
    }

    @Test
    void rebuild_replays_a_projection_with_a_progress_bar() {
        String db = "jdbc:sqlite:" + dir.resolve("rebuild.db");
        run("demo", "--db", db);

        assertThat(run("rebuild", "monthly-stats", "--db", db)).isZero();

        assertThat(out())
                .contains("monthly-stats [##############################] 100%  5/5 events")
                .contains("rebuilt monthly-stats from 5 events");
        assertThat(run("rebuild", "price-alert-trigger", "--db", db)).isZero();
        assertThat(out()).contains("rebuilt price-alert-trigger");
        assertThat(run("rebuild", "nothing", "--db", db)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("no projection 'nothing'")
                .contains("product-view, price-history, monthly-stats");
    }

    @Test
    void a_rebuild_of_a_projection_another_runner_holds_resets_nothing_and_exits_with_3() throws Exception {
        String db = "jdbc:sqlite:" + dir.resolve("held.db");
        run("demo", "--db", db);
        try (PriceTracker server = PriceTracker.open(db)) {
            server.startProjections();
            while (server.projections().status("monthly-stats").state() != ProjectionStatus.State.RUNNING) {
                Thread.onSpinWait(); // until the server's runner holds the lease
            }

            assertThat(run("rebuild", "monthly-stats", "--db", db)).isEqualTo(3);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("held by another runner");
            assertThat(server.projections().status("monthly-stats").checkpoint())
                    .isPositive();
        }
    }

    @Test
    void a_rebuild_that_another_runner_carries_on_after_the_reset_says_so_and_succeeds() throws Exception {
        String db = "jdbc:sqlite:" + dir.resolve("taken.db");
        try (PriceTracker tracker = PriceTracker.open(db)) {
            tracker.handle(new ProductCommand.CreateProduct("tea", "Tea", new BigDecimal("100")));
            for (int i = 0; i < 600; i++) { // two batches of the rebuild
                tracker.handle(new ProductCommand.UpdateProduct("tea", new BigDecimal(i % 2 == 0 ? "1" : "-1")));
            }
        }
        // After the rebuild's first batch, the checkpoint moves as a runner of another process
        // (a server on the same file, which leases in a JVM do not exclude) would move it.
        ByteArrayOutputStream meddling = new ByteArrayOutputStream() {
            boolean moved;

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                super.write(b, off, len);
                if (!moved && new String(b, off, len, StandardCharsets.UTF_8).contains("events/s")) {
                    moved = true;
                    try (Connection c = DriverManager.getConnection(db);
                            Statement st = c.createStatement()) {
                        st.execute("UPDATE annals_projection_checkpoints SET position = position + 1"
                                + " WHERE projection = 'monthly-stats'");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        };

        int code = Main.run(
                new String[] {"rebuild", "monthly-stats", "--db", db},
                new PrintStream(meddling, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(code).isZero();
        assertThat(meddling.toString(StandardCharsets.UTF_8))
                .contains("reset monthly-stats; another runner on this database is replaying it");
    }

    @Test
    void a_blue_green_rebuild_switches_the_product_view_while_a_server_serves_and_sends_no_alert_again()
            throws Exception {
        String db = "jdbc:sqlite:" + dir.resolve("blue-green.db");
        try (PriceTracker server = PriceTracker.open(db)) {
            server.handle(new ProductCommand.CreateProduct("tea", "Tea", new BigDecimal("10")));
            server.watch("tea", "ann@example.com", new BigDecimal("9"));
            server.handle(new ProductCommand.UpdateProduct("tea", new BigDecimal("-2"))); // 8: an alert
            server.startProjections();
            long last = server.store().lastPosition().orElseThrow();
            assertThat(server.projections().awaitPosition(last, java.time.Duration.ofSeconds(30)))
                    .isTrue();
            long alertsLast = server.store().lastPosition().orElseThrow(); // the trigger appended
            assertThat(server.projections().awaitPosition(alertsLast, java.time.Duration.ofSeconds(30)))
                    .isTrue();
            assertThat(server.alerts("tea")).hasSize(1);
            long events = server.store().countEvents();

            assertThat(run("rebuild", "product-view", "--blue-green", "--db", db))
                    .as(err.toString(StandardCharsets.UTF_8))
                    .isZero();
            assertThat(out())
                    // the view needs the product events alone, 2 of 4, but a build's first page is
                    // read from the whole log, to measure their share, and its progress counts that
                    .contains("product-view [")
                    .contains("built a new version of product-view from 4 events")
                    .contains("switched to it");
            assertThat(server.views().get("tea"))
                    .hasValueSatisfying(v -> assertThat(v.price()).isEqualByComparingTo("8"));

            // the trigger reacts to events: replaying it would alert again, so it is refused
            assertThat(run("rebuild", "price-alert-trigger", "--blue-green", "--db", db))
                    .isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot be rebuilt blue-green");
            assertThat(server.projections()
                            .awaitPosition(
                                    server.store().lastPosition().orElseThrow(), java.time.Duration.ofSeconds(5)))
                    .isTrue();
            assertThat(server.alerts("tea")).hasSize(1);
            assertThat(server.store().countEvents()).isEqualTo(events);
        }
        assertThat(run("demo", "--blue-green")).isEqualTo(2);
    }

    @Test
    void bad_usage_exits_with_2_and_explains() {
        assertThat(run("bogus")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("unknown command 'bogus'")
                .contains("usage:");
        assertThat(run("history")).isEqualTo(2);
        assertThat(run("demo", "extra")).isEqualTo(2);
        assertThat(run("--db")).isEqualTo(2);
        assertThat(run("--port", "http")).isEqualTo(2);
        assertThat(run("--port", "70000")).isEqualTo(2);
    }

    @Test
    void an_unusable_database_is_a_clear_error_with_exit_code_1() {
        assertThat(run("--db", "jdbc:nosuchdb:x")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unsupported JDBC URL");
    }
}
