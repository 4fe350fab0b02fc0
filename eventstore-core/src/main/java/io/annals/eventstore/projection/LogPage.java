package io.annals.eventstore.projection;

import io.annals.eventstore.CategoryQuery;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.SettledReads;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One page of the log for a projector, read the way it asks (every event, its categories, or its
 * query), and the position it has read the log up to: past its last event when the page is not
 * full, up to the bound below which every event was committed and visible before the read. What
 * the runner's batches and a blue-green build both read.
 *
 * @param events the events to apply, in position order
 * @param readUpTo where the checkpoint may move: {@code from} when nothing was read
 */
record LogPage(List<RecordedEvent> events, long readUpTo) {

    static LogPage read(
            EventStore store, Optional<CategoryQuery> categories, Optional<Query> interest, long from, int pageSize) {
        List<RecordedEvent> events;
        long readUpTo = from;
        Optional<SettledReads> settledReads =
                categories.isEmpty() && interest.isPresent() ? SettledReads.of(store) : Optional.empty();
        if (categories.isEmpty() && interest.isEmpty()) {
            events = store.readAll(from, pageSize);
        } else if (settledReads.isPresent()) {
            SettledReads.SettledPage page = settledReads.get().readSettled(interest.get(), from, pageSize);
            events = page.events();
            if (events.size() < pageSize) {
                readUpTo = Math.max(from, page.settled());
            }
        } else {
            // Everything at or below the bound is committed and visible to the read that follows:
            // a page that is not full has then read every matching event up to it.
            long bound = settledBound(store, from);
            events = categories.isPresent()
                    ? store.readCategories(categories.get(), from, pageSize)
                    : store.read(interest.get(), from, pageSize);
            if (events.size() < pageSize) {
                readUpTo = Math.max(from, bound);
            }
        }
        if (!events.isEmpty()) {
            readUpTo = Math.max(readUpTo, events.get(events.size() - 1).position());
        }
        return new LogPage(events, readUpTo);
    }

    /**
     * The highest position below which every event of the log is committed and visible to a read
     * that starts now: the end of the log, or below the horizon when an append in flight holds it.
     * The checkpoint of a filtered projection may move there though no event it needs is there.
     * {@code checkpoint} when the store cannot tell its last position.
     */
    private static long settledBound(EventStore store, long checkpoint) {
        OptionalLong last = store.lastPosition();
        if (last.isEmpty()) {
            return checkpoint;
        }
        long horizon = store.readHorizon().position();
        return Math.min(last.getAsLong(), horizon == Long.MAX_VALUE ? Long.MAX_VALUE : horizon - 1);
    }
}
