package io.annals.pricetracker.alerts;

import io.annals.eventstore.Aggregate;
import io.annals.pricetracker.alerts.WatchCommand.RecordAlert;
import io.annals.pricetracker.alerts.WatchCommand.StartWatching;
import io.annals.pricetracker.alerts.WatchCommand.StopWatching;
import io.annals.pricetracker.alerts.WatchEvent.AlertRecorded;
import io.annals.pricetracker.alerts.WatchEvent.WatchStarted;
import io.annals.pricetracker.alerts.WatchEvent.WatchStopped;
import java.util.List;
import java.util.Objects;

/**
 * A watch as two pure functions. Starting a watch always succeeds (again: a new target, armed
 * again); an alert is recorded when the watch is armed and the price is at or below the target,
 * and disarms it, so that a watch alerts once; stopping an armed watch disarms it. Recording an
 * alert or stopping when there is nothing to do returns no event rather than a rejection: the
 * process manager sends such commands for every price change and must not fail on them.
 */
public final class WatchAggregate implements Aggregate<Watch, WatchCommand, WatchEvent> {

    /** The stream category: a watch's stream is {@code watch-<productId>/<watcher>}. */
    public static final String CATEGORY = "watch";

    /** The aggregate; it holds no state. */
    public WatchAggregate() {}

    /** {@value #CATEGORY}. */
    @Override
    public String category() {
        return CATEGORY;
    }

    /** {@link Watch#NONE}. */
    @Override
    public Watch initialState() {
        return Watch.NONE;
    }

    @Override
    public List<WatchEvent> decide(Watch state, WatchCommand command) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(command, "command");
        if (command instanceof StartWatching start) {
            return List.of(new WatchStarted(
                    start.productId(), start.watcher(), start.email(), start.targetPrice(), start.currency()));
        }
        if (command instanceof RecordAlert alert) {
            if (!state.armed() || alert.price().compareTo(state.targetPrice()) > 0) {
                return List.of();
            }
            return List.of(new AlertRecorded(
                    alert.productId(),
                    alert.watcher(),
                    state.email(),
                    state.targetPrice(),
                    alert.price(),
                    state.currency(),
                    alert.productVersion()));
        }
        if (command instanceof StopWatching stop) {
            return state.armed() ? List.of(new WatchStopped(stop.productId(), stop.watcher())) : List.of();
        }
        throw new IllegalArgumentException(
                "unknown command " + command.getClass().getName());
    }

    @Override
    public Watch evolve(Watch state, WatchEvent event) {
        if (event instanceof WatchStarted s) {
            return new Watch(
                    s.productId(), s.watcher(), s.email(), s.targetPrice(), s.currency(), true, state.alerts());
        }
        if (event instanceof AlertRecorded) {
            return new Watch(
                    state.productId(),
                    state.watcher(),
                    state.email(),
                    state.targetPrice(),
                    state.currency(),
                    false,
                    state.alerts() + 1);
        }
        if (event instanceof WatchStopped) {
            return new Watch(
                    state.productId(),
                    state.watcher(),
                    state.email(),
                    state.targetPrice(),
                    state.currency(),
                    false,
                    state.alerts());
        }
        throw new IllegalArgumentException("unknown event " + event.getClass().getName());
    }
}
