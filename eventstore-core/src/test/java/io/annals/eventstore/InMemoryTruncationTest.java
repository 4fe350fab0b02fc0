package io.annals.eventstore;

import io.annals.eventstore.tck.TruncationContract;
import java.time.Clock;

class InMemoryTruncationTest extends TruncationContract {

    @Override
    protected EventStore newStore(Clock clock, AppendLimits limits) {
        return new InMemoryEventStore(clock, limits);
    }
}
