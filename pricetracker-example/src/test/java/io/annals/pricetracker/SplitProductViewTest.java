package io.annals.pricetracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import io.annals.pricetracker.readmodel.ProductView;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The product view split across instances by PRODUCT_VIEW_SEGMENTS and PRODUCT_VIEW_OWN. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SplitProductViewTest {

    @TempDir
    Path dir;

    @Test
    void two_instances_each_run_their_segments_and_the_views_are_whole() {
        String url = "jdbc:sqlite:" + dir.resolve("split.db");
        try (PriceTracker first =
                        Instances.tracker(url, Map.of("PRODUCT_VIEW_SEGMENTS", "2", "PRODUCT_VIEW_OWN", "0"));
                PriceTracker second =
                        Instances.tracker(url, Map.of("PRODUCT_VIEW_SEGMENTS", "2", "PRODUCT_VIEW_OWN", "1"))) {
            long end = 0;
            for (int i = 0; i < 20; i++) {
                first.handle(new CreateProduct("p" + i, "Product " + i, new BigDecimal("10.00"), "EUR"));
                end = first.handle(new UpdateProduct("p" + i, new BigDecimal("1.50")))
                        .position();
            }
            first.startProjections();
            second.startProjections();
            assertThat(first.projections().awaitPosition(end, Duration.ofSeconds(30)))
                    .isTrue();
            assertThat(second.projections().awaitPosition(end, Duration.ofSeconds(30)))
                    .isTrue();

            assertThat(first.views().name()).isEqualTo("product-view[0/2]");
            for (int i = 0; i < 20; i++) {
                assertThat(second.views().get("p" + i))
                        .get()
                        .extracting(ProductView::price)
                        .isEqualTo(new BigDecimal("11.50"));
            }
            assertThat(first.projections().status("product-view[0/2]").state())
                    .isEqualTo(ProjectionStatus.State.RUNNING);
            assertThat(second.projections().status("product-view[1/2]").state())
                    .isEqualTo(ProjectionStatus.State.RUNNING);
            assertThat(first.runnerName(ProductView.Projector.NAME)).isEqualTo("product-view[0/2]");
        }
    }

    @Test
    void bad_settings_name_the_variable() {
        assertThat(PriceTracker.productViewSegments(Map.of())).isEmpty();
        assertThatThrownBy(() -> PriceTracker.productViewSegments(Map.of("PRODUCT_VIEW_SEGMENTS", "four")))
                .hasMessageContaining("PRODUCT_VIEW_SEGMENTS is a number of segments");
        assertThatThrownBy(() -> PriceTracker.productViewSegments(Map.of("PRODUCT_VIEW_SEGMENTS", "1")))
                .hasMessageContaining("PRODUCT_VIEW_SEGMENTS: a projection is split into 2 to 256");
        assertThatThrownBy(() -> PriceTracker.productViewSegments(
                        Map.of("PRODUCT_VIEW_SEGMENTS", "2", "PRODUCT_VIEW_OWN", "0;1")))
                .hasMessageContaining("PRODUCT_VIEW_OWN lists segment numbers");
        assertThatThrownBy(() ->
                        PriceTracker.productViewSegments(Map.of("PRODUCT_VIEW_SEGMENTS", "2", "PRODUCT_VIEW_OWN", "2")))
                .hasMessageContaining("PRODUCT_VIEW_OWN: segment 2 does not exist");
        assertThat(PriceTracker.productViewSegments(Map.of("PRODUCT_VIEW_SEGMENTS", " 3 ", "PRODUCT_VIEW_OWN", "0, 2")))
                .hasValueSatisfying(s -> {
                    assertThat(s.count()).isEqualTo(3);
                    assertThat(s.owns(0)).isTrue();
                    assertThat(s.owns(1)).isFalse();
                    assertThat(s.owns(2)).isTrue();
                });
    }
}
