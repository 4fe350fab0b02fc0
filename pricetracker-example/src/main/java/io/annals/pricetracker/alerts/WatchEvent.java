package io.annals.pricetracker.alerts;

import io.annals.eventstore.Event;
import io.annals.eventstore.privacy.Sealed;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * The events of a watch: one person watching the price of one product. The person is known by
 * a subject (a keyed hash of the email address, stored in clear) and the email address itself is
 * {@link Sealed}, encrypted under the subject's key: forgetting the person makes every copy of it
 * unreadable (crypto-shredding).
 */
public sealed interface WatchEvent extends Event
        permits WatchEvent.WatchStarted, WatchEvent.AlertRecorded, WatchEvent.WatchStopped {

    /** The watched product. */
    String productId();

    /** The watching person's subject. */
    String watcher();

    /**
     * The person asked to be told when the price reaches {@code targetPrice} or less; a watch
     * started again replaces the target and is armed again.
     */
    record WatchStarted(String productId, String watcher, Sealed email, BigDecimal targetPrice, String currency)
            implements WatchEvent {
        /** @throws NullPointerException if an argument is null */
        public WatchStarted {
            Objects.requireNonNull(productId, "productId");
            Objects.requireNonNull(watcher, "watcher");
            Objects.requireNonNull(email, "email");
            Objects.requireNonNull(targetPrice, "targetPrice");
            Objects.requireNonNull(currency, "currency");
        }
    }

    /**
     * A price change took the price to the target or below: the alert, recorded once per watch
     * started.
     *
     * @param email the address as sealed by the start it answers
     * @param targetPrice the target of that start
     * @param productVersion the version of the product's event that changed the price
     * @param startVersion the version of the watch's {@link WatchStarted} it answers
     */
    record AlertRecorded(
            String productId,
            String watcher,
            Sealed email,
            BigDecimal targetPrice,
            BigDecimal price,
            String currency,
            long productVersion,
            long startVersion)
            implements WatchEvent {
        /** @throws NullPointerException if an argument is null */
        public AlertRecorded {
            Objects.requireNonNull(productId, "productId");
            Objects.requireNonNull(watcher, "watcher");
            Objects.requireNonNull(email, "email");
            Objects.requireNonNull(targetPrice, "targetPrice");
            Objects.requireNonNull(price, "price");
            Objects.requireNonNull(currency, "currency");
        }
    }

    /** The person stopped watching (or was forgotten): no more alerts. */
    record WatchStopped(String productId, String watcher) implements WatchEvent {
        /** @throws NullPointerException if an argument is null */
        public WatchStopped {
            Objects.requireNonNull(productId, "productId");
            Objects.requireNonNull(watcher, "watcher");
        }
    }
}
