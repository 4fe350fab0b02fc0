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
 * again); stopping an armed watch disarms it. An alert answers one start: it is recorded when the
 * price reached that start's target while it was armed (which the process manager knows, reading
 * the log in order), if that start was not alerted yet and the watch was not stopped since, so
 * that a start alerts once, and a start made after a change is never used up by it. Recording an
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
            long start = alert.startVersion();
            if (start < 1
                    || start > state.version()
                    || start <= state.lastAlertedStart()
                    || start < state.lastStop()
                    || alert.price().compareTo(alert.targetPrice()) > 0) {
                return List.of();
            }
            return List.of(new AlertRecorded(
                    alert.productId(),
                    alert.watcher(),
                    alert.email(),
                    alert.targetPrice(),
                    alert.price(),
                    state.currency(),
                    alert.productVersion(),
                    start));
        }
        if (command instanceof StopWatching stop) {
            return state.armed() ? List.of(new WatchStopped(stop.productId(), stop.watcher())) : List.of();
        }
        throw new IllegalArgumentException(
                "unknown command " + command.getClass().getName());
    }

    @Override
    public Watch evolve(Watch state, WatchEvent event) {
        long version = state.version() + 1;
        if (event instanceof WatchStarted s) {
            return new Watch(
                    s.productId(),
                    s.watcher(),
                    s.email(),
                    s.targetPrice(),
                    s.currency(),
                    true,
                    state.alerts(),
                    version,
                    version,
                    state.lastAlertedStart(),
                    state.lastStop());
        }
        if (event instanceof AlertRecorded a) {
            return new Watch(
                    state.productId(),
                    state.watcher(),
                    state.email(),
                    state.targetPrice(),
                    state.currency(),
                    state.armed() && a.startVersion() != state.startVersion(),
                    state.alerts() + 1,
                    version,
                    state.startVersion(),
                    a.startVersion(),
                    state.lastStop());
        }
        if (event instanceof WatchStopped) {
            return new Watch(
                    state.productId(),
                    state.watcher(),
                    state.email(),
                    state.targetPrice(),
                    state.currency(),
                    false,
                    state.alerts(),
                    version,
                    state.startVersion(),
                    state.lastAlertedStart(),
                    version);
        }
        throw new IllegalArgumentException("unknown event " + event.getClass().getName());
    }
}
