package io.annals.pricetracker.domain;

import io.annals.eventstore.Event;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * What happened to a product.
 *
 * <p><b>These records are the stored format.</b> An event codec writes each one as JSON under a
 * registered type name and schema version, and every event ever stored must still decode and fold
 * years later. A change of shape raises the type's schema version in {@code PriceTracker.CODEC}
 * and adds an upcaster that brings the older JSON up to date: version 2 of {@code ProductCreated}
 * and {@code PriceChanged} added the currency, which version 1 did not record because every price
 * was in euros. See the docs chapter "Changing events".
 *
 * <p>The records check only for nulls: a business rule that changes later must not make old,
 * valid history unreadable.
 */
public sealed interface ProductEvent extends Event
        permits ProductEvent.ProductCreated, ProductEvent.PriceChanged, ProductEvent.ProductDeleted {

    /** The product this event happened to. */
    String productId();

    /**
     * A product was created. Schema version 2; version 1 had no currency.
     *
     * @param productId the product
     * @param name its name
     * @param price its first price
     * @param currency the ISO 4217 code of its prices
     */
    record ProductCreated(String productId, String name, BigDecimal price, String currency) implements ProductEvent {
        /** @throws NullPointerException if an argument is null */
        public ProductCreated {
            Objects.requireNonNull(productId, "productId");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(price, "price");
            Objects.requireNonNull(currency, "currency");
        }
    }

    /**
     * A product's price changed. Both prices and their currency are stored beside the variation so
     * that the history and the monthly statistics read without replaying the product. Schema
     * version 2; version 1 had no currency.
     *
     * @param productId the product
     * @param oldPrice the price before
     * @param newPrice the price after: {@code oldPrice + variation}
     * @param variation the change asked for, never zero
     * @param currency the ISO 4217 code of the three amounts: the product's
     */
    record PriceChanged(
            String productId, BigDecimal oldPrice, BigDecimal newPrice, BigDecimal variation, String currency)
            implements ProductEvent {
        /** @throws NullPointerException if an argument is null */
        public PriceChanged {
            Objects.requireNonNull(productId, "productId");
            Objects.requireNonNull(oldPrice, "oldPrice");
            Objects.requireNonNull(newPrice, "newPrice");
            Objects.requireNonNull(variation, "variation");
            Objects.requireNonNull(currency, "currency");
        }
    }

    /**
     * A product was deleted. It carries the product's name so that it can be tagged with it:
     * a deletion frees the name (see {@link ProductTags}).
     *
     * @param productId the product
     * @param name the product's name; null in the deletions stored before they recorded it, which
     *     is all they meant (the name is in the product's {@code ProductCreated})
     */
    record ProductDeleted(String productId, String name) implements ProductEvent {
        /** @throws NullPointerException if {@code productId} is null */
        public ProductDeleted {
            Objects.requireNonNull(productId, "productId");
        }
    }
}
