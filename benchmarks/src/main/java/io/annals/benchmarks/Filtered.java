package io.annals.benchmarks;

import io.annals.benchmarks.Measure.Pair;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.jdbc.JacksonEventCodec;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.InMemoryProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.ProjectionRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
            store.append("s-" + stream, ExpectedVersion.noStream(), batch);
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

    private static long rebuild(
            ProjectionRunner runner,
            String name,
            InMemoryProjector<Flagged, String, Long> projector,
            long expected,
            long events) {
        runner.rebuild(name, p -> {});
        long total = projector.list(0, Integer.MAX_VALUE).stream()
                .mapToLong(r -> r.value())
                .sum();
        if (total != expected) {
            throw new IllegalStateException(name + " counted " + total + " flagged events, expected " + expected);
        }
        return events;
    }
}
