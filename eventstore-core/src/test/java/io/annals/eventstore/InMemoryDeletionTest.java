package io.annals.eventstore;

import io.annals.eventstore.tck.DeletionContract;
import java.time.Clock;

class InMemoryDeletionTest extends DeletionContract {

    @Override
    protected EventStore newStore(Clock clock, AppendLimits limits) {
        return new InMemoryEventStore(clock, limits);
    }
}
