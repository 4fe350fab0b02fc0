package io.annals.pricetracker.domain;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * A product as folded from its events: the state {@link ProductAggregate} decides on.
 *
 * <p>Before its creation a product is {@link #NONE}: status {@link Status#NONE} and no id, name
 * or price. Once created it always has all three; a deleted product keeps its last name and price.
 *
 * @param productId the product's id; null only in {@link #NONE}
 * @param name its name; null only in {@link #NONE}
 * @param price its current price, positive; null only in {@link #NONE}
 * @param currency the ISO 4217 code of its prices; null only in {@link #NONE}
 * @param status where it is in its life
 */
public record Product(String productId, String name, BigDecimal price, String currency, Status status) {

    /** A product that was never created: the initial state. */
    public static final Product NONE = new Product(null, null, null, null, Status.NONE);

    /** Where a product is in its life. */
    public enum Status {
        /** Never created. */
        NONE,
        /** Created and not deleted: it can be updated and deleted. */
        ACTIVE,
        /** Deleted: it can no longer change, and its id cannot be created again. */
        DELETED
    }

    /**
     * @throws NullPointerException if {@code status} is null, or if the product exists (status
     *     other than {@code NONE}) and its id, name, price or currency is null
     */
    public Product {
        Objects.requireNonNull(status, "status");
        if (status != Status.NONE) {
            Objects.requireNonNull(productId, "productId");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(price, "price");
            Objects.requireNonNull(currency, "currency");
        }
    }

    // The helpers below deliberately avoid the get/is prefixes: a bean-style accessor would be
    // picked up as an extra property by a JSON state codec (snapshots).

    /** Whether the product was ever created (it may have been deleted since). */
    public boolean exists() {
        return status != Status.NONE;
    }

    /** Whether the product can change: created and not deleted. */
    public boolean active() {
        return status == Status.ACTIVE;
    }

    /** This product with another price. */
    public Product withPrice(BigDecimal newPrice) {
        return new Product(productId, name, newPrice, currency, status);
    }

    /** This product, deleted. */
    public Product deleted() {
        return new Product(productId, name, price, currency, Status.DELETED);
    }
}
