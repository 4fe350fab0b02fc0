package io.annals.pricetracker.domain;

import io.annals.eventstore.Command;
import java.math.BigDecimal;
import java.util.Currency;
import java.util.Objects;

/**
 * A request to change one product: create it, change its price, delete it. Each command checks
 * its own fields, so an invalid command cannot exist; the business rules (does the product exist,
 * does the price stay positive) are for {@link ProductAggregate#decide}.
 */
public sealed interface ProductCommand extends Command
        permits ProductCommand.CreateProduct, ProductCommand.UpdateProduct, ProductCommand.DeleteProduct {

    /** The longest product name accepted. */
    int MAX_NAME_LENGTH = 200;

    /** The currency of a product created without one. */
    String DEFAULT_CURRENCY = "EUR";

    /** The product this command is for; see {@link ProductId} for the rule it follows. */
    String productId();

    /** The product id: a product's stream is {@code product-<productId>}. */
    @Override
    default String aggregateId() {
        return productId();
    }

    /**
     * Creates a product. A product id is created once: never again, even after a delete.
     *
     * @param productId 1 to 64 characters: letters, digits, {@code .}, {@code _}, {@code -},
     *     starting with a letter or digit, no spaces (see {@link ProductId})
     * @param name the product's name: not blank, at most 200 characters
     * @param price the first price: positive
     * @param currency the ISO 4217 code of its prices, such as {@code EUR}: it never changes
     */
    record CreateProduct(String productId, String name, BigDecimal price, String currency) implements ProductCommand {
        /**
         * @throws NullPointerException if an argument is null
         * @throws IllegalArgumentException if the id breaks the {@link ProductId} rule, the name
         *     is blank or longer than 200 characters, the price is not positive, or the currency
         *     is not an ISO 4217 code in capitals
         */
        public CreateProduct {
            ProductId.check(productId);
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(price, "price");
            Objects.requireNonNull(currency, "currency");
            if (!currency.matches("[A-Z]{3}") || !isoCurrency(currency)) {
                throw new IllegalArgumentException(
                        "currency must be an ISO 4217 code in capitals, such as EUR; was '" + currency + "'");
            }
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            if (name.length() > MAX_NAME_LENGTH) {
                throw new IllegalArgumentException(
                        "name must be at most " + MAX_NAME_LENGTH + " characters, was " + name.length());
            }
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                // what no store keeps as text: NUL, and half of a surrogate pair
                if (c == 0) {
                    throw new IllegalArgumentException("name must not hold a NUL character (at index " + i + ")");
                }
                if (Character.isHighSurrogate(c)
                        && i + 1 < name.length()
                        && Character.isLowSurrogate(name.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw new IllegalArgumentException("name holds an unpaired surrogate at index " + i);
                }
            }
            if (price.signum() <= 0) {
                throw new IllegalArgumentException("price must be positive, was " + price.toPlainString());
            }
        }

        /** A product priced in the {@link #DEFAULT_CURRENCY}. */
        public CreateProduct(String productId, String name, BigDecimal price) {
            this(productId, name, price, DEFAULT_CURRENCY);
        }

        private static boolean isoCurrency(String code) {
            try {
                Currency.getInstance(code);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
    }

    /**
     * Changes a product's price by {@code variation}, as in the article: the new price is the
     * current price plus the variation.
     *
     * @param productId the product (see {@link ProductId})
     * @param variation the change in price: positive, negative, or zero (which changes nothing)
     */
    record UpdateProduct(String productId, BigDecimal variation) implements ProductCommand {
        /**
         * @throws NullPointerException if an argument is null
         * @throws IllegalArgumentException if the id breaks the {@link ProductId} rule
         */
        public UpdateProduct {
            ProductId.check(productId);
            Objects.requireNonNull(variation, "variation");
        }
    }

    /**
     * Deletes a product. Its history stays; it can no longer be updated, deleted or re-created.
     *
     * @param productId the product (see {@link ProductId})
     */
    record DeleteProduct(String productId) implements ProductCommand {
        /**
         * @throws NullPointerException if {@code productId} is null
         * @throws IllegalArgumentException if the id breaks the {@link ProductId} rule
         */
        public DeleteProduct {
            ProductId.check(productId);
        }
    }
}
