package io.annals.benchmarks;

import io.annals.benchmarks.Measure.Pair;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.jdbc.JacksonEventCodec;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.InMemoryProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.ProjectionRunner;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * W13: catching up a projection that needs 1% of the log. The same projection is rebuilt with a
 * codec that lists the one type it decodes, so that the runner reads those events alone through
 * the type index, and with the same codec hiding that list, so that it reads the whole log and
 * skips the rest, alternating, in the same run.
 */
final class Filtered {

    /** The rare event; the common ones are never decoded. */
    record Flagged(int n) implements Event {}

    private static final EventCodec<Flagged> NAMED = JacksonEventCodec.builder(Flagged.class)
            .register("Flagged", Flagged.class)
            .build();

    /** {@link #NAMED} without its list of names: a reader cannot know what it needs. */
    private static final EventCodec<Flagged> UNNAMED = new EventCodec<>() {
        @Override
        public String typeName(Flagged event) {
            return NAMED.typeName(event);
        }

        @Override
        public String toJson(Flagged event) {
            return NAMED.toJson(event);
        }

        @Override
        public Flagged fromJson(String typeName, String json) {
            return NAMED.fromJson(typeName, json);
        }

        @Override
        public boolean knows(String typeName) {
            return NAMED.knows(typeName);
        }
    };

    /** Counts the flagged events of each stream. */
    private record Counts(String name) implements Projection<Flagged, String, Long> {
        @Override
        public String key(Envelope<Flagged> e) {
            return e.recorded().streamId();
        }

        @Override
        public Long apply(Long current, Envelope<Flagged> e) {
            return current == null ? 1L : current + 1;
        }
    }

    private final JdbcEventStore store;
    private final Results results;
    private final String db;

    Filtered(JdbcEventStore store, Results results, String db) {
        this.store = store;
        this.results = results;
        this.db = db;
    }

    void run(long events, int warm, int rounds) throws Exception {
        long flagged = 0;
        for (long stream = 0; stream * 1000 < events; stream++) {
            List<EventData> batch = new ArrayList<>(1000);
            for (int i = 0; i < 1000; i++) {
                long n = stream * 1000 + i;
                if (n % 100 == 0) {
                    batch.add(NAMED.encode(new Flagged((int) n), Map.of()));
                    flagged++;
                } else {
                    batch.add(EventData.of("Common", "{\"n\":" + n + "}"));
                }
            }
            // one stream in a hundred is of category "rare", for the read by category
            store.append((stream % 100 == 0 ? "rare-" : "s-") + stream, ExpectedVersion.noStream(), batch);
        }
        long expected = flagged;
        InMemoryProjector<Flagged, String, Long> filtered = new InMemoryProjector<>(new Counts("filtered"), NAMED);
        InMemoryProjector<Flagged, String, Long> whole = new InMemoryProjector<>(new Counts("whole"), UNNAMED);
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(filtered)
                .add(whole)
                .batchSize(1000)
                .build()) {
            Measure.Pass onlyNeeded = () -> rebuild(runner, "filtered", filtered, expected, events);
            Measure.Pass everything = () -> rebuild(runner, "whole", whole, expected, events);
            Pair p = Measure.comparePasses(warm, rounds, onlyNeeded, everything);
            results.compare(
                    "W13",
                    db,
                    String.format("rebuild a projection of 1%% of a log of %,d events, reading its type alone", events),
                    "log events/s",
                    p,
                    "the same projection reading the whole log and skipping the other 99%",
                    true,
                    null,
                    expected + " events decoded by both");
        }
    }

    /** Every event of the log, whatever its type, as the category projection counts them. */
    record Anything(int n) implements Event {}

    private static final EventCodec<Anything> ANYTHING = JacksonEventCodec.builder(Anything.class)
            .register("Flagged", Anything.class)
            .alias("Common", "Flagged")
            .build();

    /** Counts the events of each stream of category {@code rare}. */
    private record RareCounts(String name) implements Projection<Anything, String, Long> {
        @Override
        public Set<String> categories() {
            return Set.of("rare");
        }

        @Override
        public String key(Envelope<Anything> e) {
            return e.recorded().streamId();
        }

        @Override
        public Long apply(Long current, Envelope<Anything> e) {
            return current == null ? 1L : current + 1;
        }
    }

    /**
     * The store, with {@link EventStore#readCategories} as the interface's default: it reads
     * the log and keeps the categories' events, as a store without the index would.
     */
    private static EventStore withoutCategoryIndex(EventStore store) {
        return (EventStore) Proxy.newProxyInstance(
                EventStore.class.getClassLoader(), new Class<?>[] {EventStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("readCategories")) {
                        return InvocationHandler.invokeDefault(proxy, method, args);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** The category row: a projection of 1% of the streams, by the index and by reading the log. */
    void categories(long events, int warm, int rounds) throws Exception {
        long rare = (events / 1000 + 99) / 100 * 1000; // the streams 0, 100, 200, ... of 1,000 events
        InMemoryProjector<Anything, String, Long> indexed = new InMemoryProjector<>(new RareCounts("rare"), ANYTHING);
        InMemoryProjector<Anything, String, Long> scanning =
                new InMemoryProjector<>(new RareCounts("rare-scanning"), ANYTHING);
        try (ProjectionRunner byIndex = ProjectionRunner.builder(store)
                        .add(indexed)
                        .batchSize(1000)
                        .build();
                ProjectionRunner byLog = ProjectionRunner.builder(withoutCategoryIndex(store))
                        .add(scanning)
                        .batchSize(1000)
                        .build()) {
            Measure.Pass onlyNeeded = () -> rebuild(byIndex, "rare", indexed, rare, events);
            Measure.Pass everything = () -> rebuild(byLog, "rare-scanning", scanning, rare, events);
            Pair p = Measure.comparePasses(warm, rounds, onlyNeeded, everything);
            results.compare(
                    "W13",
                    db,
                    String.format(
                            "rebuild a projection of one category (1%% of the streams) of a log of %,d events", events),
                    "log events/s",
                    p,
                    "the same projection reading the whole log and skipping the other streams",
                    true,
                    null,
                    rare + " events decoded by both");
        }
    }

    private static long rebuild(
            ProjectionRunner runner,
            String name,
            InMemoryProjector<?, String, Long> projector,
            long expected,
            long events) {
        runner.rebuild(name, p -> {});
        long total = projector.list(0, Integer.MAX_VALUE).stream()
                .mapToLong(r -> r.value())
                .sum();
        if (total != expected) {
            throw new IllegalStateException(name + " counted " + total + " events, expected " + expected);
        }
        return events;
    }
}
