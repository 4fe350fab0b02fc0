package io.annals.eventstore.projection;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.ReadHorizon;
import io.annals.eventstore.tck.ForwardingEventStore;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class InMemoryProjectionRunnerTest extends ProjectionRunnerContract {

    /** In memory, "the same storage" means the same projector object, which holds the rows. */
    private final Map<String, InMemoryProjector<Deposited, String, Total>> projectors = new ConcurrentHashMap<>();

    @Override
    protected EventStore newStore() {
        return new InMemoryEventStore();
    }

    @Override
    protected KeyedProjector<String, Total> keyed(EventStore store, Totals projection) {
        return projectors.computeIfAbsent(projection.name(), n -> new InMemoryProjector<>(projection, CODEC));
    }

    @Override
    protected EventStore reopen(EventStore store) {
        return new View(store, ReadHorizon::endOfLog);
    }

    /** Another view of a store, as a second process would have, with a horizon of its own. */
    private static final class View extends ForwardingEventStore {
        private final Supplier<ReadHorizon> horizon;

        View(EventStore store, Supplier<ReadHorizon> horizon) {
            super(store);
            this.horizon = horizon;
        }

        @Override
        public ReadHorizon readHorizon() {
            return horizon.get();
        }

        /** Wakes on the store's appends as a second process would not: it polls. */
        @Override
        public Listening onAppend(Runnable listener) {
            return () -> {};
        }

        /** The store belongs to the test. */
        @Override
        public void close() {}
    }

    @Test
    void statuses_carry_what_holds_the_store_s_readers_back_and_survive_a_store_that_cannot_say() {
        ReadHorizon.Holder holder = new ReadHorizon.Holder(
                OptionalLong.of(7), Optional.of(Duration.ofSeconds(3)), "session 7 (application 'batch', active)");
        EventStore held = new View(new InMemoryEventStore(), () -> new ReadHorizon(42, Optional.of(holder)));
        try (ProjectionRunner runner = ProjectionRunner.builder(held)
                .add(keyed(held, new Totals("totals")))
                .build()) {
            assertThat(runner.status("totals").heldBy()).contains(holder);
            assertThat(runner.statuses()).extracting(ProjectionStatus::heldBy).containsExactly(Optional.of(holder));
        }
        EventStore mute = new View(new InMemoryEventStore(), () -> {
            throw new EventStoreException("the server is gone");
        });
        try (ProjectionRunner runner = ProjectionRunner.builder(mute)
                .add(keyed(mute, new Totals("other")))
                .build()) {
            assertThat(runner.status("other").heldBy()).isEmpty();
        }
    }
}
