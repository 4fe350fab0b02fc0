package io.annals.pricetracker;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.ExpectedVersion;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import java.math.BigDecimal;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A product's stream deleted for good leaves no view behind, and other products keep theirs. */
class ProductViewDeletionTest {

    @TempDir
    Path dir;

    @Test
    void deleting_a_products_stream_removes_its_view() {
        try (PriceTracker tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("views.db"))) {
            tracker.handle(new CreateProduct("tea", "Green tea", new BigDecimal("3.50")));
            tracker.handle(new CreateProduct("coffee", "Coffee", new BigDecimal("4.00")));
            tracker.projections().catchUp();
            assertThat(tracker.views().get("tea")).isPresent();

            tracker.store().deleteStream("product-tea", ExpectedVersion.any());
            tracker.projections().catchUp();

            assertThat(tracker.views().get("tea")).isEmpty();
            assertThat(tracker.views().get("coffee")).isPresent();
        }
    }
}
