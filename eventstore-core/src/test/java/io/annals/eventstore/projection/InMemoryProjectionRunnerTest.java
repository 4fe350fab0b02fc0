package io.annals.eventstore.projection;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
        return new EventStore() {
            @Override
            public AppendResult append(String streamId, ExpectedVersion expected, java.util.List<EventData> events) {
                return store.append(streamId, expected, events);
            }

            @Override
            public java.util.List<RecordedEvent> readStream(String streamId, long fromVersion, int maxCount) {
                return store.readStream(streamId, fromVersion, maxCount);
            }

            @Override
            public java.util.List<RecordedEvent> readAll(long afterPosition, int maxCount) {
                return store.readAll(afterPosition, maxCount);
            }

            @Override
            public long currentVersion(String streamId) {
                return store.currentVersion(streamId);
            }

            @Override
            public void close() {}
        };
    }
}
