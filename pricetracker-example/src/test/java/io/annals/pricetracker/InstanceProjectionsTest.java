package io.annals.pricetracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.pricetracker.alerts.AlertTrigger;
import io.annals.pricetracker.alerts.AlertsView;
import io.annals.pricetracker.api.ApiRequest;
import io.annals.pricetracker.api.ApiResponse;
import io.annals.pricetracker.api.PriceTrackerApi;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import io.annals.pricetracker.readmodel.MonthlyStats;
import io.annals.pricetracker.readmodel.PriceHistory;
import io.annals.pricetracker.readmodel.ProductView;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The projections an instance runs, chosen by PROJECTIONS; the others are left to another. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class InstanceProjectionsTest {

    @TempDir
    Path dir;

    @Test
    void an_instance_runs_the_projections_it_lists_and_another_keeps_the_rest() {
        String url = "jdbc:sqlite:" + dir.resolve("instances.db");
        try (PriceTracker api = Instances.tracker(url, Map.of("PROJECTIONS", " price-history, product-view"))) {
            assertThat(api.projections().statuses())
                    .extracting(ProjectionStatus::name)
                    .containsExactly(ProductView.Projector.NAME, PriceHistory.NAME);
            api.handle(new CreateProduct("p1", "Kettle", new BigDecimal("10.00"), "EUR"));
            long end =
                    api.handle(new UpdateProduct("p1", new BigDecimal("1.50"))).position();
            api.startProjections();
            assertThat(api.projections().awaitPosition(end, Duration.ofSeconds(30)))
                    .isTrue();
            assertThat(api.views().get("p1").orElseThrow().price()).isEqualByComparingTo("11.50");
            assertThat(api.priceHistory("p1")).hasSize(2);
            assertThat(api.monthlyStats()).as("not run by this instance").isEmpty();
            assertThat(api.awaitPosition(end, Duration.ofMillis(200)))
                    .as("the monthly statistics and the alerts wait for an instance that runs them")
                    .isFalse();
            assertThat(api.behind(end))
                    .containsExactly(
                            "monthly-stats (run by another instance)",
                            "price-alerts (run by another instance)",
                            "price-alert-trigger (run by another instance)");

            try (PriceTracker rest =
                    Instances.tracker(url, Map.of("PROJECTIONS", "monthly-stats,price-alerts,price-alert-trigger"))) {
                assertThat(rest.projections().statuses())
                        .extracting(ProjectionStatus::name)
                        .containsExactly(MonthlyStats.NAME, AlertsView.NAME, AlertTrigger.NAME);
                rest.startProjections();
                assertThat(api.awaitPosition(end, Duration.ofSeconds(30))).isTrue();
                assertThat(api.behind(end)).isEmpty();
                assertThat(api.monthlyStats()).hasSize(1);
            }
        }
    }

    @Test
    void a_read_waits_only_for_the_read_models_its_route_reads() {
        String url = "jdbc:sqlite:" + dir.resolve("routes.db");
        try (PriceTracker api = Instances.tracker(url, Map.of("PROJECTIONS", "product-view,price-history"))) {
            api.handle(new CreateProduct("p1", "Kettle", new BigDecimal("10.00"), "EUR"));
            long end =
                    api.handle(new UpdateProduct("p1", new BigDecimal("1.50"))).position();
            api.startProjections();
            assertThat(api.awaitPosition(
                            end, Duration.ofSeconds(30), List.of(ProductView.Projector.NAME, PriceHistory.NAME)))
                    .isTrue();
            assertThat(api.behind(end, List.of(MonthlyStats.NAME, PriceHistory.NAME)))
                    .containsExactly("monthly-stats (run by another instance)");
            assertThatThrownBy(() -> api.behind(end, List.of("stats")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no projection stats");

            PriceTrackerApi routes = new PriceTrackerApi(api, Duration.ofMillis(200));
            Map<String, String> atEnd = Map.of("atLeast", Long.toString(end));
            assertThat(routes.handle(new ApiRequest("GET", "/products/p1", atEnd, ""))
                            .status())
                    .isEqualTo(200);
            assertThat(routes.handle(new ApiRequest("GET", "/products", atEnd, ""))
                            .status())
                    .isEqualTo(200);
            assertThat(routes.handle(new ApiRequest("GET", "/products/p1/history", atEnd, ""))
                            .status())
                    .isEqualTo(200);
            ApiResponse stats = routes.handle(new ApiRequest("GET", "/stats/monthly", atEnd, ""));
            assertThat(stats.status()).isEqualTo(503);
            assertThat(stats.body())
                    .contains("monthly-stats (run by another instance)")
                    .doesNotContain("product-view")
                    .doesNotContain("price-alert");
            ApiResponse alerts = routes.handle(new ApiRequest("GET", "/products/p1/alerts", atEnd, ""));
            assertThat(alerts.status()).isEqualTo(503);
            assertThat(alerts.body())
                    .contains("price-alert-trigger (run by another instance)")
                    .doesNotContain("monthly-stats");
        }
    }

    @Test
    void commands_on_a_projection_the_instance_does_not_run_are_refused() {
        String db = "jdbc:sqlite:" + dir.resolve("commands.db");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> env = Map.of("PROJECTIONS", "price-history");
        for (List<String> command : List.of(
                List.of("rebuild", "product-view"),
                List.of("rebuild", "product-view", "--blue-green"),
                List.of("dead-letters", "product-view"),
                List.of("dead-letters", "monthly-stats", "list"))) {
            err.reset();
            List<String> args = new ArrayList<>(command);
            args.addAll(List.of("--db", db));
            int exit = Main.run(
                    args.toArray(String[]::new),
                    env,
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(exit).as(String.join(" ", command)).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8))
                    .as(String.join(" ", command))
                    .contains("' is not one of those PROJECTIONS lets this instance run");
        }
        assertThat(Main.run(
                        new String[] {"rebuild", "price-history", "--db", db},
                        env,
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8)))
                .isZero();
    }

    @Test
    void a_list_naming_no_projection_of_the_tracker_names_the_variable() {
        assertThat(PriceTracker.projectionsToRun(Map.of()))
                .containsExactlyInAnyOrderElementsOf(PriceTracker.PROJECTIONS);
        assertThat(PriceTracker.projectionsToRun(Map.of("PROJECTIONS", " ")))
                .containsExactlyInAnyOrderElementsOf(PriceTracker.PROJECTIONS);
        assertThatThrownBy(() -> PriceTracker.projectionsToRun(Map.of("PROJECTIONS", "product-view,stats")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PROJECTIONS lists projections of the tracker")
                .hasMessageContaining("'stats' is not one");
        assertThatThrownBy(() -> PriceTracker.projectionsToRun(Map.of("PROJECTIONS", "product-view,,price-history")))
                .hasMessageContaining("an empty one (a comma too many?)");
        assertThatThrownBy(() -> PriceTracker.projectionsToRun(Map.of("PROJECTIONS", "product-view,")))
                .hasMessageContaining("an empty one (a comma too many?) in 'product-view,'");
    }
}
