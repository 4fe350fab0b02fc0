package io.annals.eventstore;

import io.annals.eventstore.tck.EventStoreContract;
import java.time.Clock;

class InMemoryEventStoreTest extends EventStoreContract {

    @Override
    protected EventStore newStore(Clock clock, AppendLimits limits) {
        return new InMemoryEventStore(clock, limits);
    }
}
