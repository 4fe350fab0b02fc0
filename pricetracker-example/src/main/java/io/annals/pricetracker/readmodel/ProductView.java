package io.annals.pricetracker.readmodel;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.projection.Projection;
import io.annals.pricetracker.domain.ProductAggregate;
import io.annals.pricetracker.domain.ProductEvent;
import java.math.BigDecimal;
import java.util.Set;

/**
 * The current view of a product, as {@code GET /products/{id}} returns it.
 *
 * @param productId the id
 * @param name its name
 * @param price its current price
 * @param currency the ISO 4217 code of its price
 * @param version the version of the product's stream this view includes
 */
public record ProductView(String productId, String name, BigDecimal price, String currency, long version) {

    /** The projection that keeps one view per product; deleting a product deletes its view. */
    public static final class Projector implements Projection<ProductEvent, String, ProductView> {

        /** The projection's name. */
        public static final String NAME = "product-view";

        @Override
        public String name() {
            return NAME;
        }

        /** A row per product, folded from that product's stream alone: it can be split. */
        @Override
        public boolean rowsDeriveFromOneStream() {
            return true;
        }

        @Override
        public String key(Envelope<ProductEvent> e) {
            return e.event().productId();
        }

        @Override
        public ProductView apply(ProductView current, Envelope<ProductEvent> e) {
            long version = e.recorded().version();
            if (e.event() instanceof ProductEvent.ProductCreated c) {
                return new ProductView(c.productId(), c.name(), c.price(), c.currency(), version);
            }
            if (e.event() instanceof ProductEvent.PriceChanged c) {
                return new ProductView(c.productId(), current.name(), c.newPrice(), current.currency(), version);
            }
            if (e.event() instanceof ProductEvent.ProductDeleted) {
                return null; // the row goes
            }
            throw new IllegalStateException(
                    "the product view does not know " + e.event().getClass().getName());
        }

        /** A product's stream deleted for good: its view goes. */
        @Override
        public Set<String> keysOfDeletedStream(String streamId) {
            String prefix = ProductAggregate.CATEGORY + "-";
            return streamId.startsWith(prefix) ? Set.of(streamId.substring(prefix.length())) : Set.of();
        }
    }
}
