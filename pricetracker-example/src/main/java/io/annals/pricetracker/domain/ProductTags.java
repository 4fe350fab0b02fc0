package io.annals.pricetracker.domain;

import io.annals.pricetracker.domain.ProductEvent.PriceChanged;
import io.annals.pricetracker.domain.ProductEvent.ProductCreated;
import io.annals.pricetracker.domain.ProductEvent.ProductDeleted;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;

/**
 * What each product event is about, as tags: the events of a product carry {@code product:<id>};
 * those that take or free a name ({@code ProductCreated}, {@code ProductDeleted}) carry its
 * {@code name:} tag too. The codec stores them with every event, and the decision that creates a
 * product finds by them whether the id and the name are free (see {@link ProductCreation}).
 */
public final class ProductTags {

    /** The longest tag a store accepts. */
    static final int MAX_TAG_LENGTH = 200;

    private static final String NAME = "name:";
    private static final String NAME_DIGEST = "name-sha256:";

    private ProductTags() {}

    /** The tags of {@code event}. */
    public static Set<String> of(ProductEvent event) {
        if (event instanceof ProductCreated c) {
            return Set.of(product(c.productId()), name(c.name()));
        }
        if (event instanceof PriceChanged c) {
            return Set.of(product(c.productId()));
        }
        ProductDeleted d = (ProductDeleted) event;
        // a deletion stored before deletions recorded the name cannot say which name it frees
        return d.name() == null ? Set.of(product(d.productId())) : Set.of(product(d.productId()), name(d.name()));
    }

    /** {@code product:<productId>}: every event of the product carries it. */
    public static String product(String productId) {
        return "product:" + productId;
    }

    /**
     * A name as names are compared: without leading and trailing white space, in lower case
     * ({@link Locale#ROOT}, so that the server's language changes nothing). "Green Tea " and
     * "green tea" are one name.
     */
    public static String normalise(String name) {
        return name.strip().toLowerCase(Locale.ROOT);
    }

    /**
     * The tag of a name: {@code name:<normalised name>}. A name that cannot be a tag as it is
     * (over 195 characters, or holding a control character or half of a surrogate pair) is
     * tagged {@code name-sha256:<hex digest of the normalised name>} instead: still one tag per
     * name, and never one of the first kind.
     */
    public static String name(String name) {
        String normalised = normalise(name);
        String tag = NAME + normalised;
        return fitsATag(tag) ? tag : NAME_DIGEST + sha256(normalised);
    }

    private static boolean fitsATag(String tag) {
        if (tag.length() > MAX_TAG_LENGTH) {
            return false;
        }
        for (int i = 0; i < tag.length(); i++) {
            char c = tag.charAt(i);
            if (Character.isISOControl(c)) {
                return false;
            }
            if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c)
                        || i + 1 == tag.length()
                        || !Character.isLowSurrogate(tag.charAt(i + 1))) {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    /** Of the UTF-16 code units, not of an encoding, which would merge names with lone surrogates. */
    private static String sha256(String text) {
        ByteBuffer units = ByteBuffer.allocate(text.length() * 2);
        units.asCharBuffer().put(text);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(units.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
