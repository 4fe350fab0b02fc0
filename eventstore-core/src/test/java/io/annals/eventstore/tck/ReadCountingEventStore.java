package io.annals.eventstore.tck;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** A store that counts the reads of the log ({@code readAll} and {@code read} by query) made through it. */
public class ReadCountingEventStore extends ForwardingEventStore {

    private final AtomicInteger reads = new AtomicInteger();

    public ReadCountingEventStore(EventStore delegate) {
        super(delegate);
    }

    /** The reads of the log so far. */
    public int reads() {
        return reads.get();
    }

    @Override
    public List<RecordedEvent> readAll(long afterPosition, int maxCount) {
        reads.incrementAndGet();
        return super.readAll(afterPosition, maxCount);
    }

    @Override
    public List<RecordedEvent> read(Query query, long afterPosition, int maxCount) {
        reads.incrementAndGet();
        return super.read(query, afterPosition, maxCount);
    }
}
