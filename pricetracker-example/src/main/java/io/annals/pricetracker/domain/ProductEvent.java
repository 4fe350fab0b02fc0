package io.annals.pricetracker.domain;

import io.annals.eventstore.Event;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * What happened to a product.
 *
 * <p><b>These records are the stored format.</b> An event codec writes each one as JSON under a
 * registered type name, and every event ever stored must still decode and fold years later. Change
 * them with care: adding a field is safe only if old events without it still make sense; renaming
 * or removing a field, renaming a type or changing a field's meaning needs a new event type (or an
 * upcaster), never an edit in place.
 *
 * <p>The records check only for nulls: a business rule that changes later must not make old,
 * valid history unreadable.
 */
public sealed interface ProductEvent extends Event
        permits ProductEvent.ProductCreated, ProductEvent.PriceChanged, ProductEvent.ProductDeleted {

    /** The product this event happened to. */
    String productId();

    /**
     * A product was created.
     *
     * @param productId the product
     * @param name its name
     * @param price its first price
     */
    record ProductCreated(String productId, String name, BigDecimal price) implements ProductEvent {
        /** @throws NullPointerException if an argument is null */
        public ProductCreated {
            Objects.requireNonNull(productId, "productId");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(price, "price");
        }
    }

    /**
     * A product's price changed. Both prices are stored beside the variation so that the history
     * and the monthly statistics read without replaying the product.
     *
     * @param productId the product
     * @param oldPrice the price before
     * @param newPrice the price after: {@code oldPrice + variation}
     * @param variation the change asked for, never zero
     */
    record PriceChanged(String productId, BigDecimal oldPrice, BigDecimal newPrice, BigDecimal variation)
            implements ProductEvent {
        /** @throws NullPointerException if an argument is null */
        public PriceChanged {
            Objects.requireNonNull(productId, "productId");
            Objects.requireNonNull(oldPrice, "oldPrice");
            Objects.requireNonNull(newPrice, "newPrice");
            Objects.requireNonNull(variation, "variation");
        }
    }

    /**
     * A product was deleted.
     *
     * @param productId the product
     */
    record ProductDeleted(String productId) implements ProductEvent {
        /** @throws NullPointerException if {@code productId} is null */
        public ProductDeleted {
            Objects.requireNonNull(productId, "productId");
        }
    }
}
