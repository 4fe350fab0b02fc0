package io.annals.eventstore.micrometer;

import io.annals.eventstore.Instrumentation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The {@link Instrumentation} of Annals as Micrometer metrics and, given an
 * {@link ObservationRegistry}, observations (spans, with a tracing bridge): configure it once,
 * on the store, and the handlers and runners built on the store report to it too.
 *
 * <pre>{@code
 * JdbcEventStore store = JdbcEventStore.builder("jdbc:sqlite:events.db")
 *         .instrumentation(MicrometerInstrumentation.of(meterRegistry, observationRegistry))
 *         .open();
 * }</pre>
 *
 * <p>The metrics, their tags and the observations are listed in {@code docs/metrics.md}. Tags
 * have few values (store kinds, outcomes, aggregate categories, decision and projection names);
 * stream ids, event ids and command ids are never tags. Thread-safe.
 */
public final class MicrometerInstrumentation implements Instrumentation {

    private final MeterRegistry meters;
    private final ObservationRegistry observations;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Lag> lags = new ConcurrentHashMap<>();
    private final Map<String, AppendMeters> appendMeters = new ConcurrentHashMap<>();

    private MicrometerInstrumentation(MeterRegistry meters, ObservationRegistry observations) {
        this.meters = Objects.requireNonNull(meters, "meters");
        this.observations = Objects.requireNonNull(observations, "observations");
    }

    /**
     * Metrics in {@code meters}, no observations.
     *
     * @throws NullPointerException if {@code meters} is null
     */
    public static MicrometerInstrumentation of(MeterRegistry meters) {
        return new MicrometerInstrumentation(meters, ObservationRegistry.NOOP);
    }

    /**
     * Metrics in {@code meters}, and an observation for each append, command and projection batch
     * in {@code observations} (spans, when a tracing bridge handles them). An observation is
     * current while its work runs, so the appends of a command are its children, and a span of
     * the caller is their parent.
     *
     * @throws NullPointerException if an argument is null
     */
    public static MicrometerInstrumentation of(MeterRegistry meters, ObservationRegistry observations) {
        return new MicrometerInstrumentation(meters, observations);
    }

    @Override
    public Append appendStarted(String store, int events) {
        AppendMeters m = appendMeters.computeIfAbsent(store, AppendMeters::new);
        Timer.Sample sample = Timer.start(meters);
        Observed observed = observe("annals.store.append", "append", "store", store);
        return outcome -> {
            observed.end("outcome", outcome.tag(), null);
            sample.stop(m.timer(outcome));
            if (outcome == AppendOutcome.OK && events > 0) {
                m.events.increment(events);
            }
        };
    }

    /** The meters of the appends to one kind of store, looked up once: appends are the hot path. */
    private final class AppendMeters {
        final String store;
        final Counter events;
        final Timer[] timers = new Timer[AppendOutcome.values().length];

        AppendMeters(String store) {
            this.store = store;
            this.events = Counter.builder("annals.append.events")
                    .description("Events appended (repeats recognised by their ids included)")
                    .baseUnit("events")
                    .tag("store", store)
                    .register(meters);
        }

        Timer timer(AppendOutcome outcome) {
            Timer t = timers[outcome.ordinal()];
            if (t == null) { // two threads may both register it: the registry returns the same timer
                t = Timer.builder("annals.append")
                        .description("Appends to the store")
                        .tag("store", store)
                        .tag("outcome", outcome.tag())
                        .register(meters);
                timers[outcome.ordinal()] = t;
            }
            return t;
        }
    }

    @Override
    public Command commandStarted(String kind, String handler) {
        Timer.Sample sample = Timer.start(meters);
        Observed observed = observe("annals.handle", "handle " + handler, "kind", kind, "handler", handler);
        return new Command() {
            @Override
            public void conflict(boolean retried) {
                counter(
                                "annals.command.conflicts",
                                k -> Counter.builder("annals.command.conflicts")
                                        .description("Appends of commands that met a concurrent change")
                                        .tag("kind", kind)
                                        .tag("handler", handler),
                                kind,
                                handler)
                        .increment();
                if (retried) {
                    counter(
                                    "annals.command.retries",
                                    k -> Counter.builder("annals.command.retries")
                                            .description("Commands decided again after a conflict")
                                            .tag("kind", kind)
                                            .tag("handler", handler),
                                    kind,
                                    handler)
                            .increment();
                }
            }

            @Override
            public void ended(CommandOutcome outcome, int attempts) {
                observed.end("outcome", outcome.tag(), null);
                sample.stop(timer(
                        "annals.command",
                        "Commands handled, from the first load to the last append",
                        k -> Timer.builder("annals.command")
                                .tag("kind", kind)
                                .tag("handler", handler)
                                .tag("outcome", outcome.tag()),
                        kind,
                        handler,
                        outcome.tag()));
            }
        };
    }

    @Override
    public Batch batchStarted(String projection, int events) {
        Timer.Sample sample = Timer.start(meters);
        Observed observed = observe("annals.project", "project " + projection, "projection", projection);
        return failure -> {
            String outcome = failure == null ? "ok" : "error";
            observed.end("outcome", outcome, failure);
            sample.stop(timer(
                    "annals.projection.batch",
                    "Batches of events applied to a projection's read model and checkpoint",
                    k -> Timer.builder("annals.projection.batch")
                            .tag("projection", projection)
                            .tag("outcome", outcome),
                    projection,
                    outcome));
            if (failure == null) {
                counter(
                                "annals.projection.events",
                                k -> Counter.builder("annals.projection.events")
                                        .description("Events applied to a projection")
                                        .baseUnit("events")
                                        .tag("projection", projection),
                                projection)
                        .increment(events);
            }
        };
    }

    @Override
    public void projectionLag(String projection, long positions, Duration behind) {
        Lag lag = lags.computeIfAbsent(projection, p -> new Lag(meters, p));
        lag.positions.set(positions);
        lag.behindNanos.set(behind.toNanos());
    }

    @Override
    public void horizonWaited(String store, Duration waited) {
        timer(
                        "annals.horizon.waits",
                        "Reads of the log that waited for appends in flight (PostgreSQL)",
                        k -> Timer.builder("annals.horizon.waits").tag("store", store),
                        store)
                .record(waited);
    }

    private Timer timer(String name, String description, Function<String, Timer.Builder> builder, String... tags) {
        return timers.computeIfAbsent(
                key(name, tags), k -> builder.apply(k).description(description).register(meters));
    }

    private Counter counter(String name, Function<String, Counter.Builder> builder, String... tags) {
        return counters.computeIfAbsent(key(name, tags), k -> builder.apply(k).register(meters));
    }

    private static String key(String name, String... tags) {
        return name + '\u0000' + String.join("\u0000", tags);
    }

    /** An observation under way, with its scope open; or nothing, without observations. */
    private Observed observe(String name, String contextualName, String... keyValues) {
        if (observations.isNoop()) {
            return Observed.NONE;
        }
        Observation observation =
                Observation.createNotStarted(name, observations).contextualName(contextualName);
        for (int i = 0; i < keyValues.length; i += 2) {
            observation.lowCardinalityKeyValue(keyValues[i], keyValues[i + 1]);
        }
        observation.start();
        Observation.Scope scope = observation.openScope();
        return (key, value, failure) -> {
            scope.close();
            observation.lowCardinalityKeyValue(key, value);
            if (failure != null) {
                observation.error(failure);
            }
            observation.stop();
        };
    }

    @FunctionalInterface
    private interface Observed {
        Observed NONE = (key, value, failure) -> {};

        void end(String key, String value, @Nullable Throwable failure);
    }

    /** The two gauges of a projection's lag, and the values they read. */
    private static final class Lag {
        final AtomicLong positions = new AtomicLong();
        final AtomicLong behindNanos = new AtomicLong();

        Lag(MeterRegistry meters, String projection) {
            Gauge.builder("annals.projection.lag.positions", positions, AtomicLong::doubleValue)
                    .description("How far a projection's checkpoint is behind the end of the log, in positions")
                    .tag("projection", projection)
                    .register(meters);
            TimeGauge.builder("annals.projection.lag", behindNanos, TimeUnit.NANOSECONDS, AtomicLong::doubleValue)
                    .description("How old the last event applied was while more were waiting; 0 when caught up")
                    .tag("projection", projection)
                    .register(meters);
        }
    }
}
