package io.annals.pricetracker.lambda;

import static io.annals.pricetracker.lambda.LambdaEvents.invoke;
import static io.annals.pricetracker.lambda.LambdaEvents.resource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scheduled projector handler on a tracker over a SQLite file, its projections not started. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProjectorHandlerTest {

    @TempDir
    Path dir;

    private PriceTracker tracker;
    private ProjectorHandler projector;

    @BeforeEach
    void open() {
        tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("projector.db"));
        projector = new ProjectorHandler(tracker.projections());
    }

    @AfterEach
    void close() {
        tracker.close();
    }

    private static List<String> field(JsonNode summary, String name) {
        List<String> out = new ArrayList<>();
        summary.get("projections").forEach(p -> out.add(p.get(name).asText()));
        return out;
    }

    @Test
    void a_scheduled_invocation_applies_the_events_commands_wrote_and_reports_each_projection() {
        tracker.handle(new CreateProduct("green-tea", "Green tea", new BigDecimal("3.50")));
        long last = tracker.handle(new UpdateProduct("green-tea", new BigDecimal("0.25")))
                .position();
        assertThat(tracker.views().get("green-tea")).isEmpty();
        LambdaEvents.TinyContext context = new LambdaEvents.TinyContext();

        JsonNode summary = invoke(projector, resource("eventbridge-scheduled.json"), context);

        assertThat(field(summary, "name"))
                .containsExactly(
                        "product-view", "price-history", "monthly-stats", "price-alerts", "price-alert-trigger");
        assertThat(field(summary, "name")).containsExactlyElementsOf(PriceTracker.PROJECTIONS);
        assertThat(field(summary, "state")).containsOnly("STOPPED");
        assertThat(field(summary, "checkpoint")).containsOnly(Long.toString(last));
        summary.get("projections")
                .forEach(p -> assertThat(p.get("lastError").isNull()).isTrue());
        assertThat(summary.get("projections").get(0).size()).isEqualTo(4);
        assertThat(tracker.views().get("green-tea"))
                .hasValueSatisfying(v -> assertThat(v.price()).isEqualByComparingTo("3.75"));
        assertThat(tracker.priceHistory("green-tea")).hasSize(2);
        assertThat(context.lines).isEmpty();
    }

    @Test
    void a_pass_with_nothing_new_leaves_the_checkpoints_where_they_were() {
        tracker.handle(new CreateProduct("green-tea", "Green tea", new BigDecimal("3.50")));
        invoke(projector, resource("eventbridge-scheduled.json"), null);

        JsonNode summary = invoke(projector, resource("eventbridge-scheduled.json"), null);

        assertThat(field(summary, "checkpoint")).containsOnly("1");
        assertThat(field(summary, "state")).containsOnly("STOPPED");
    }

    @Test
    void the_triggering_event_is_not_read_so_any_event_will_do() {
        tracker.handle(new CreateProduct("green-tea", "Green tea", new BigDecimal("3.50")));

        JsonNode summary = invoke(projector, "");

        assertThat(field(summary, "checkpoint")).containsOnly("1");
    }

    @Test
    void a_runner_already_running_in_the_background_is_refused() {
        tracker.startProjections();

        assertThatThrownBy(() -> projector.handleRequest(
                        new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not started");
    }
}
