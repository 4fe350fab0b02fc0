package io.annals.eventstore;

import io.annals.eventstore.tck.ConsistencyContract;
import java.time.Clock;

class InMemoryConsistencyTest extends ConsistencyContract {

    @Override
    protected EventStore newStore(Clock clock, AppendLimits limits) {
        return new InMemoryEventStore(clock, limits);
    }
}
