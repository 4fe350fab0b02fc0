package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.projection.InMemoryProjector;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;

class InMemoryUpcastingTest extends UpcastingContract {

    @Override
    EventStore newStore() {
        return new InMemoryEventStore();
    }

    @Override
    KeyedProjector<String, Balance> keyed(EventStore store, Projection<Money, String, Balance> projection) {
        return new InMemoryProjector<>(projection, CODEC);
    }
}
