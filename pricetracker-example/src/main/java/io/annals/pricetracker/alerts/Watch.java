package io.annals.pricetracker.alerts;

import io.annals.eventstore.privacy.Sealed;
import java.math.BigDecimal;

/**
 * The state of a watch, as its events fold it: what the command loop decides on, and what its
 * snapshots hold (the email sealed, as in the events). Fields of the current start are null
 * before the first event.
 *
 * @param productId the product
 * @param watcher the person's subject
 * @param email the sealed email address of the current start
 * @param targetPrice the target of the current start
 * @param currency the product's currency
 * @param armed whether the current start may still alert (not alerted, not stopped)
 * @param alerts how many alerts were recorded
 * @param version how many events were folded: the stream's version
 * @param startVersion the version of the current start, 0 before the first
 * @param lastAlertedStart the version of the last start that was alerted, 0 if none
 * @param lastStop the version of the last {@code WatchStopped}, 0 if none
 */
public record Watch(
        String productId,
        String watcher,
        Sealed email,
        BigDecimal targetPrice,
        String currency,
        boolean armed,
        long alerts,
        long version,
        long startVersion,
        long lastAlertedStart,
        long lastStop) {

    /** A watch that was never started. */
    public static final Watch NONE = new Watch(null, null, null, null, null, false, 0, 0, 0, 0, 0);
}
