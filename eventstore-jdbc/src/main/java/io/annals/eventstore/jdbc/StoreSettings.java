package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendLimits;
import java.time.Clock;
import java.time.Duration;

/** The options of one store, as given to its builder. */
record StoreSettings(Clock clock, AppendLimits limits, Durability durability, Duration busyTimeout) {

    /** The builder's defaults. */
    static StoreSettings defaults() {
        return new StoreSettings(Clock.systemUTC(), AppendLimits.defaults(), Durability.FULL, Duration.ofSeconds(5));
    }
}
