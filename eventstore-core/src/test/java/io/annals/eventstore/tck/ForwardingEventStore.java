package io.annals.eventstore.tck;

import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.CategoryQuery;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.ReadHorizon;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.snapshot.Snapshot;
import java.util.List;
import java.util.Optional;

/**
 * A store that passes every call to another: the base of the tests' stores that watch or delay
 * some calls, which then override only those.
 */
public class ForwardingEventStore implements EventStore {

    protected final EventStore delegate;

    public ForwardingEventStore(EventStore delegate) {
        this.delegate = delegate;
    }

    /** Sleeps {@code millis} (a test widening a window between two calls). */
    protected static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventStoreException("interrupted", e);
        }
    }

    @Override
    public AppendResult append(String streamId, ExpectedVersion expected, List<EventData> events) {
        return delegate.append(streamId, expected, events);
    }

    @Override
    public List<AppendResult> append(List<StreamAppend> appends) {
        return delegate.append(appends);
    }

    @Override
    public List<AppendResult> append(List<StreamAppend> appends, AppendCondition condition) {
        return delegate.append(appends, condition);
    }

    @Override
    public List<RecordedEvent> read(Query query, long afterPosition, int maxCount) {
        return delegate.read(query, afterPosition, maxCount);
    }

    @Override
    public List<RecordedEvent> readCategories(CategoryQuery query, long afterPosition, int maxCount) {
        return delegate.readCategories(query, afterPosition, maxCount);
    }

    @Override
    public AppendResult deleteStream(String streamId, ExpectedVersion expected) {
        return delegate.deleteStream(streamId, expected);
    }

    @Override
    public long truncateStream(String streamId, long beforeVersion, Snapshot pinned) {
        return delegate.truncateStream(streamId, beforeVersion, pinned);
    }

    @Override
    public Optional<Snapshot> pinnedSnapshot(String streamId) {
        return delegate.pinnedSnapshot(streamId);
    }

    @Override
    public List<RecordedEvent> readStream(String streamId, long fromVersion, int maxCount) {
        return delegate.readStream(streamId, fromVersion, maxCount);
    }

    @Override
    public List<RecordedEvent> readAll(long afterPosition, int maxCount) {
        return delegate.readAll(afterPosition, maxCount);
    }

    @Override
    public long currentVersion(String streamId) {
        return delegate.currentVersion(streamId);
    }

    @Override
    public long countEvents() {
        return delegate.countEvents();
    }

    @Override
    public ReadHorizon readHorizon() {
        return delegate.readHorizon();
    }

    @Override
    public java.util.OptionalLong lastPosition() {
        return delegate.lastPosition();
    }

    @Override
    public io.annals.eventstore.Instrumentation instrumentation() {
        return delegate.instrumentation();
    }

    @Override
    public Listening onAppend(Runnable listener) {
        return delegate.onAppend(listener);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
