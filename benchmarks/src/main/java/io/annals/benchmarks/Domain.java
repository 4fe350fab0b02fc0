package io.annals.benchmarks;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.Command;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.StateCodec;
import io.annals.eventstore.jdbc.JacksonEventCodec;
import io.annals.eventstore.jdbc.JacksonStateCodec;
import io.annals.eventstore.projection.Projection;
import java.math.BigDecimal;
import java.util.List;

/**
 * The benchmarks' domain: a product whose price changes, as in the price tracker, reduced to one
 * event type so that every workload (appends, loads, the log, a read model) handles the same
 * payload of about 90 bytes of JSON.
 */
final class Domain {

    private Domain() {}

    /** The type name of the one event. */
    static final String TYPE = "PriceChanged";

    static final BigDecimal START = new BigDecimal("1000.00");
    static final BigDecimal STEP = new BigDecimal("0.01");

    /** Change a product's price by {@code variation}. */
    record ChangePrice(String aggregateId, BigDecimal variation) implements Command {}

    /** The events. */
    sealed interface PriceEvent extends Event permits PriceChanged {}

    /** A price changed. */
    record PriceChanged(String productId, BigDecimal oldPrice, BigDecimal newPrice, BigDecimal variation)
            implements PriceEvent {}

    /** The state: the current price and how many changes made it. */
    record Price(BigDecimal price, long changes) {}

    /** The aggregate: the price must stay positive. */
    static final class Prices implements Aggregate<Price, ChangePrice, PriceEvent> {
        @Override
        public String category() {
            return "price";
        }

        @Override
        public Price initialState() {
            return new Price(START, 0);
        }

        @Override
        public List<PriceEvent> decide(Price state, ChangePrice c) {
            BigDecimal next = state.price().add(c.variation());
            if (next.signum() <= 0) {
                throw new CommandRejectedException("price_not_positive", "the price would be " + next);
            }
            return List.of(new PriceChanged(c.aggregateId(), state.price(), next, c.variation()));
        }

        @Override
        public Price evolve(Price state, PriceEvent e) {
            PriceChanged c = (PriceChanged) e;
            return new Price(c.newPrice(), state.changes() + 1);
        }
    }

    static final EventCodec<PriceEvent> CODEC = JacksonEventCodec.builder(PriceEvent.class)
            .register(TYPE, PriceChanged.class)
            .build();

    static final StateCodec<Price> STATE = JacksonStateCodec.of(Price.class);

    /** The JSON of the event that takes a product from version {@code version - 1} to {@code version}. */
    static String json(String productId, long version) {
        BigDecimal old = START.add(STEP.multiply(BigDecimal.valueOf(version - 1)));
        return "{\"productId\":\"" + productId + "\",\"oldPrice\":" + old.toPlainString() + ",\"newPrice\":"
                + old.add(STEP).toPlainString() + ",\"variation\":0.01}";
    }

    /** The state after {@code version} events written by {@link #json}. */
    static Price stateAt(long version) {
        return new Price(START.add(STEP.multiply(BigDecimal.valueOf(version))), version);
    }

    /** A row of the W6 read model: one per stream. */
    record Summary(long events, long lastVersion, BigDecimal price) {
        /** The row after an event of {@code version} at {@code price}, given the row before it (or null). */
        static Summary after(Summary before, long version, BigDecimal price) {
            return new Summary(before == null ? 1 : before.events() + 1, version, price);
        }
    }

    /** The W6 projection: a keyed read model with one row per stream (like the product view). */
    static final class Summaries implements Projection<PriceEvent, String, Summary> {
        static final String NAME = "bench-summary";

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String key(Envelope<PriceEvent> e) {
            return e.recorded().streamId();
        }

        @Override
        public Summary apply(Summary current, Envelope<PriceEvent> e) {
            return Summary.after(current, e.recorded().version(), ((PriceChanged) e.event()).newPrice());
        }
    }

    static final StateCodec<Summary> SUMMARY = JacksonStateCodec.of(Summary.class);
}
