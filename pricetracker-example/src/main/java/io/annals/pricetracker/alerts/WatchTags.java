package io.annals.pricetracker.alerts;

import java.util.Set;

/**
 * The tags of watch events, by which the tracker finds the watches of a product (to erase them
 * with it) and of a person (to forget them). The product tag is {@code watched:<id>}, not the
 * product events' {@code product:<id>}: the decision that creates a product reads that tag, and
 * watches are none of its business.
 */
public final class WatchTags {

    private WatchTags() {}

    /** {@code watched:<productId>}. */
    public static String product(String productId) {
        return "watched:" + productId;
    }

    /** {@code watcher:<subject>}. */
    public static String watcher(String subject) {
        return "watcher:" + subject;
    }

    /** The tags of an event: its product and its watcher. */
    public static Set<String> of(WatchEvent event) {
        return Set.of(product(event.productId()), watcher(event.watcher()));
    }
}
