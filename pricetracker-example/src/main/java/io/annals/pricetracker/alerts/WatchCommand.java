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
            if (targetPrice.signum() <= 0) {
                throw new IllegalArgumentException(
                        "a target price must be positive, was " + targetPrice.toPlainString());
            }
        }
    }

    /**
     * Records an alert if the watch is armed and {@code price} is at or below its target; does
     * nothing otherwise. Sent by the process manager ({@link AlertTrigger}) for a price change.
     *
     * @param productVersion the version of the product's price change
     */
    record RecordAlert(String productId, String watcher, BigDecimal price, long productVersion)
            implements WatchCommand {
        /** @throws NullPointerException if an argument is null */
        public RecordAlert {
            Objects.requireNonNull(productId, "productId");
            Objects.requireNonNull(watcher, "watcher");
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
