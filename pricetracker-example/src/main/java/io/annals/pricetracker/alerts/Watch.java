package io.annals.pricetracker.alerts;

import io.annals.eventstore.privacy.Sealed;
import java.math.BigDecimal;

/**
 * The state of a watch, as its events fold it: what the command loop decides on, and what its
 * snapshots hold (the email sealed, as in the events).
 *
 * @param productId the product, null before the first event
 * @param watcher the person's subject, null before the first event
 * @param email the sealed email address, null before the first event
 * @param targetPrice the target, null before the first event
 * @param currency the product's currency, null before the first event
 * @param armed whether a price at or below the target records an alert
 * @param alerts how many alerts were recorded
 */
public record Watch(
        String productId,
        String watcher,
        Sealed email,
        BigDecimal targetPrice,
        String currency,
        boolean armed,
        long alerts) {

    /** A watch that was never started. */
    public static final Watch NONE = new Watch(null, null, null, null, null, false, 0);
}
