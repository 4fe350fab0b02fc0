package io.annals.pricetracker.alerts;

import io.annals.eventstore.Command;
import io.annals.eventstore.privacy.Sealed;
import io.annals.pricetracker.domain.ProductId;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * The commands of a watch. Its aggregate id is {@code productId/watcher}, so that one person has
 * one watch per product.
 */
public sealed interface WatchCommand extends Command
        permits WatchCommand.StartWatching, WatchCommand.RecordAlert, WatchCommand.StopWatching {

    /** The watched product. */
    String productId();

    /** The watching person's subject. */
    String watcher();

    /** {@code productId/watcher}. */
    @Override
    default String aggregateId() {
        return productId() + "/" + watcher();
    }

    /**
     * Starts (or restarts, with a new target) a watch.
     *
     * @throws IllegalArgumentException if the target is not positive or the product id is invalid
     */
    record StartWatching(String productId, String watcher, Sealed email, BigDecimal targetPrice, String currency)
            implements WatchCommand {
        /** @throws IllegalArgumentException if the target is not positive */
        public StartWatching {
            ProductId.check(productId);
            Objects.requireNonNull(watcher, "watcher");
            Objects.requireNonNull(email, "email");
            Objects.requireNonNull(targetPrice, "targetPrice");
            Objects.requireNonNull(currency, "currency");
            if (targetPrice.precision() > 40 || Math.abs(targetPrice.scale()) > 20) {
                throw new IllegalArgumentException(
                        "a target price has at most 40 digits and 20 decimal places, was " + targetPrice);
            }
            if (targetPrice.signum() <= 0) {
                throw new IllegalArgumentException(
                        "a target price must be positive, was " + targetPrice.toPlainString());
            }
        }
    }

    /**
     * Records the alert of one start of the watch, the one that was armed when the price changed
     * (the process manager, {@link AlertTrigger}, reads the log in order and knows it): recorded
     * if {@code price} is at or below that start's target, that start was not alerted yet and the
     * watch was not stopped since; nothing otherwise.
     *
     * @param startVersion the version of the watch's {@code WatchStarted} that was armed
     * @param targetPrice that start's target
     * @param email that start's sealed address
     * @param price the new price
     * @param productVersion the version of the product's price change
     */
    record RecordAlert(
            String productId,
            String watcher,
            long startVersion,
            BigDecimal targetPrice,
            Sealed email,
            BigDecimal price,
            long productVersion)
            implements WatchCommand {
        /** @throws NullPointerException if an argument is null */
        public RecordAlert {
            Objects.requireNonNull(productId, "productId");
            Objects.requireNonNull(watcher, "watcher");
            Objects.requireNonNull(targetPrice, "targetPrice");
            Objects.requireNonNull(email, "email");
            Objects.requireNonNull(price, "price");
        }
    }

    /** Stops a watch; does nothing if it is not armed. */
    record StopWatching(String productId, String watcher) implements WatchCommand {
        /** @throws NullPointerException if an argument is null */
        public StopWatching {
            Objects.requireNonNull(productId, "productId");
            Objects.requireNonNull(watcher, "watcher");
        }
    }
}
