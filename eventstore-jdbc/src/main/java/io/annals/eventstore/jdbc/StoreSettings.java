package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendLimits;
import java.time.Clock;
import java.time.Duration;

/**
 * The options of one store, as given to its builder.
 *
 * @param heldWarning how long an append in flight may hold readers back before a warning
 * @param notifyAppends whether appends are announced to other processes (PostgreSQL)
 * @param changeCheck how often a store with append listeners checks whether another connection
 *     wrote (SQLite); zero for never
 * @param groupCommit whether appends that arrive while the writers are busy share a transaction
 *     (PostgreSQL: appends of one event without tags; SQLite: every append outside a batch)
 */
record StoreSettings(
        Clock clock,
        AppendLimits limits,
        Durability durability,
        Duration busyTimeout,
        Duration heldWarning,
        boolean notifyAppends,
        Duration changeCheck,
        boolean groupCommit) {

    /** The builder's defaults. */
    static StoreSettings defaults() {
        return new StoreSettings(
                Clock.systemUTC(),
                AppendLimits.defaults(),
                Durability.FULL,
                Duration.ofSeconds(5),
                Duration.ofSeconds(10),
                true,
                Duration.ofMillis(10),
                true);
    }
}
