package io.annals.pricetracker.domain;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The rule every product id follows, in one place: 1 to 64 characters, ASCII letters, digits,
 * {@code .}, {@code _} and {@code -}, starting with a letter or digit; no spaces. The id ends up in
 * a stream id ({@code product-<id>}) and in URLs ({@code /products/<id>}), so it is kept to
 * characters that need no escaping in either.
 */
public final class ProductId {

    /** The longest product id accepted. */
    public static final int MAX_LENGTH = 64;

    /** The pattern a product id matches: {@code [A-Za-z0-9][A-Za-z0-9._-]{0,63}}. */
    public static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private ProductId() {}

    /**
     * Checks a product id.
     *
     * @param productId the id to check
     * @return {@code productId}, unchanged
     * @throws NullPointerException if {@code productId} is null
     * @throws IllegalArgumentException if it is blank, longer than 64 characters, or holds a
     *     character other than letters, digits, {@code .}, {@code _} and {@code -}, or does not
     *     start with a letter or digit
     */
    public static String check(String productId) {
        Objects.requireNonNull(productId, "productId");
        if (productId.isBlank()) {
            throw new IllegalArgumentException("productId must not be blank");
        }
        if (productId.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(
                    "productId must be at most " + MAX_LENGTH + " characters, was " + productId.length());
        }
        if (!PATTERN.matcher(productId).matches()) {
            throw new IllegalArgumentException("productId must hold only letters, digits, '.', '_'"
                    + " and '-' and start with a letter or digit, was \"" + productId + "\"");
        }
        return productId;
    }
}
