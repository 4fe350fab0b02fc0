package io.annals.benchmarks;

import io.annals.benchmarks.Measure.Pair;
import io.annals.benchmarks.Measure.Plan;
import io.annals.eventstore.Aggregate;
import io.annals.eventstore.Command;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.command.AggregateState;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.jdbc.JacksonEventCodec;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.InMemoryProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.ProjectionRunner;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * W9: the cost of upcasting. The same events are stored twice: once as schema version 1 wrote
 * them (other field names, no currency), so that each needs two upcasts to be read, and once in
 * their current shape by a codec without versions or upcasters, read directly. Loading an
 * aggregate and a projection's catch-up are measured over each, alternating, in the same run.
 */
final class Upcasts {

    /** The events of W9. */
    sealed interface Pricing extends Event permits Priced {}

    /** Version 3: version 1 said {@code product}, {@code old} and {@code new}; version 2 added no currency. */
    record Priced(String productId, BigDecimal oldPrice, BigDecimal newPrice, BigDecimal variation, String currency)
            implements Pricing {}

    record Noop(String aggregateId) implements Command {}

    /** Folds the price and counts the changes. */
    static final class Prices implements Aggregate<Domain.Price, Noop, Pricing> {
        private final String category;

        Prices(String category) {
            this.category = category;
        }

        @Override
        public String category() {
            return category;
        }

        @Override
        public Domain.Price initialState() {
            return new Domain.Price(Domain.START, 0);
        }

        @Override
        public List<Pricing> decide(Domain.Price state, Noop command) {
            return List.of();
        }

        @Override
        public Domain.Price evolve(Domain.Price state, Pricing event) {
            return new Domain.Price(((Priced) event).newPrice(), state.changes() + 1);
        }
    }

    /**
     * The codec of events stored under {@code type}: for the old ones, the class at version 3 with
     * the two upcasters; for the others, the same class at version 1, no upcasters, no versions in
     * metadata: what reading them would cost if versions did not exist.
     */
    static EventCodec<Pricing> codec(String type) {
        if (type.equals(NOW)) {
            return JacksonEventCodec.builder(Pricing.class)
                    .register(type, Priced.class)
                    .build();
        }
        return JacksonEventCodec.builder(Pricing.class)
                .register(type, Priced.class, 3)
                .upcast(type, 1, v1 -> {
                    v1.set("productId", v1.remove("product"));
                    v1.set("oldPrice", v1.remove("old"));
                    v1.set("newPrice", v1.remove("new"));
                    return v1;
                })
                .upcast(type, 2, v2 -> v2.put("currency", "EUR"))
                .build();
    }

    static final String OLD = "PricedAtVersion1";
    static final String NOW = "PricedAtVersion3";

    private final JdbcEventStore store;
    private final Results results;
    private final String db;
    private final List<ProjectionRunner> runners = new ArrayList<>();

    Upcasts(JdbcEventStore store, Results results, String db) {
        this.store = store;
        this.results = results;
        this.db = db;
    }

    /** Writes {@code n} events to {@code stream}: as version 1 wrote them, or at version 3. */
    private void write(String stream, String type, long n) {
        BigDecimal price = Domain.START;
        List<EventData> batch = new ArrayList<>();
        for (long v = 1; v <= n; v++) {
            BigDecimal next = price.add(Domain.STEP);
            String id = stream.substring(stream.indexOf('-') + 1);
            batch.add(
                    type.equals(OLD)
                            ? EventData.of(
                                    type,
                                    "{\"product\":\"" + id + "\",\"old\":" + price + ",\"new\":" + next
                                            + ",\"variation\":" + Domain.STEP + "}")
                            : EventData.of(
                                    type,
                                    "{\"productId\":\"" + id + "\",\"oldPrice\":" + price + ",\"newPrice\":" + next
                                            + ",\"variation\":" + Domain.STEP + ",\"currency\":\"EUR\"}"));
            price = next;
            if (batch.size() == 1000 || v == n) {
                store.append(stream, ExpectedVersion.exactly(v - batch.size()), batch);
                batch = new ArrayList<>();
            }
        }
    }

    void run(Plan plan, long loadSize, int streams, long perStream, int warm, int rounds) throws Exception {
        write("old-agg", OLD, loadSize);
        write("now-agg", NOW, loadSize);
        for (int s = 0; s < streams; s++) {
            write("old-" + s, OLD, perStream);
            write("now-" + s, NOW, perStream);
        }
        CommandHandler<Domain.Price, Noop, Pricing> old =
                CommandHandler.builder(new Prices("old"), store, codec(OLD)).build();
        CommandHandler<Domain.Price, Noop, Pricing> now =
                CommandHandler.builder(new Prices("now"), store, codec(NOW)).build();
        // W9 may be the first thing a run measures: warm the decoding paths of both sides first
        for (int i = 0; i < 30; i++) {
            check(old.load("agg"), loadSize);
            check(now.load("agg"), loadSize);
        }
        Pair loads = Measure.compare(
                plan, 1, t -> () -> check(old.load("agg"), loadSize), t -> () -> check(now.load("agg"), loadSize));
        results.compare(
                "W9",
                db,
                String.format("load an aggregate of %,d events, each upcast twice", loadSize),
                "loads/s",
                loads,
                "the same events in their current shape, no versions, no upcasters",
                true,
                0.8,
                "");

        long events = streams * perStream;
        Pair catchUp;
        try {
            Measure.Pass upcast = pass(OLD, events);
            Measure.Pass direct = pass(NOW, events);
            for (int i = 0; i < 3; i++) {
                upcast.run();
                direct.run();
            }
            catchUp = Measure.comparePasses(warm, rounds, upcast, direct);
        } finally {
            runners.forEach(ProjectionRunner::close);
        }
        results.compare(
                "W9",
                db,
                String.format(
                        "projection catch-up over %,d events, each upcast twice (of %,d in the log)",
                        events, 2 * (events + loadSize)),
                "events/s",
                catchUp,
                "the same events in their current shape, no versions, no upcasters",
                true,
                0.8,
                "");
    }

    private static void check(AggregateState<Domain.Price> s, long n) {
        if (s.version() != n || s.state().changes() != n) {
            throw new IllegalStateException("loaded " + s + ", expected version " + n);
        }
    }

    /** A rebuild of a keyed read model (in memory) that reads the events stored under {@code type}. */
    private Measure.Pass pass(String type, long events) {
        EventCodec<Pricing> codec = codec(type);
        Projection<Pricing, String, BigDecimal> latest = new Projection<>() {
            @Override
            public String name() {
                return "latest-" + type;
            }

            @Override
            public String key(Envelope<Pricing> e) {
                return ((Priced) e.event()).productId();
            }

            @Override
            public BigDecimal apply(BigDecimal current, Envelope<Pricing> e) {
                return ((Priced) e.event()).newPrice();
            }
        };
        InMemoryProjector<Pricing, String, BigDecimal> projector = new InMemoryProjector<>(latest, codec);
        ProjectionRunner runner = ProjectionRunner.builder(store).add(projector).build();
        runners.add(runner);
        return () -> {
            runner.rebuild(latest.name(), p -> {});
            long rows = projector.list(0, Integer.MAX_VALUE).size();
            if (rows == 0) {
                throw new IllegalStateException("the projection read nothing");
            }
            return events;
        };
    }
}
