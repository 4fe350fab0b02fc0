package io.annals.eventstore.projection;

import io.annals.eventstore.CategoryQuery;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.Interest;
import io.annals.eventstore.internal.SettledReads;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One page of the log for a projector, read the way it asks (every event, its categories, or its
 * query), and the position it has read the log up to: past its last event when the page is not
 * full, up to the bound below which every event was committed and visible before the read. What
 * the runner's batches and a blue-green build both read.
 *
 * @param events the events to apply, in position order
 * @param readUpTo where the checkpoint may move: {@code from} when nothing was read
 * @param read how many events the read took from the log: the events, or, where it read the
 *     whole log and kept the projector's types, every event it read (a full page means more may
 *     be waiting, an empty one the end of the log)
 */
record LogPage(List<RecordedEvent> events, long readUpTo, int read) {

    /**
     * Reads the pages of one projector, choosing for each how to read the events of its types:
     * through the store's query, which finds them in the type index and then looks each up in the
     * log, where they are a small part of the log; or the log itself, in its own order, keeping
     * them, where they are most of it: a lookup per event then costs more than the few events it
     * skips (on SQLite, paging through 300,000 events of one type by query took about 1.7 times
     * as long as paging through the same events in the log's order). Which they are is measured
     * on a full page of the log: the first page, one in {@link #PROBE_EVERY} while reading by
     * query, and every page while reading the log. The events handed over are the same either way,
     * in the same order (the batches can end elsewhere), and the checkpoint never passes an event
     * that reads cannot see yet: a page of the log ends at its last event, which {@code readAll}
     * reads only once every event before it is visible.
     */
    static final class Reader {
        /** While reading by query, one page in this many is read from the log instead, to measure. */
        static final int PROBE_EVERY = 16;

        /** Of the events of a full page of the log, the share of the types that keeps to the log. */
        static final double DENSE = 0.75;

        private final EventStore store;
        private int sinceProbe = PROBE_EVERY;
        private boolean dense;
        /** The interest last asked for, and its types ({@link Interest#typesOnly}). */
        private Optional<Query> interest = Optional.empty();

        private Optional<Set<String>> types = Optional.empty();

        Reader(EventStore store) {
            this.store = store;
        }

        LogPage read(Optional<CategoryQuery> categories, Optional<Query> interest, long from, int pageSize) {
            if (interest != this.interest) { // a projector asks once; a blue-green switch asks anew
                this.interest = interest;
                this.types = Interest.typesOnly(interest);
            }
            if (!categories.isEmpty() || types.isEmpty() || (!dense && ++sinceProbe < PROBE_EVERY)) {
                return LogPage.read(store, categories, interest, from, pageSize);
            }
            sinceProbe = 0;
            List<RecordedEvent> all = store.readAll(from, pageSize);
            if (all.isEmpty()) {
                return new LogPage(all, from, 0);
            }
            List<RecordedEvent> kept = new ArrayList<>(all.size());
            for (RecordedEvent e : all) {
                if (types.get().contains(e.type())) {
                    kept.add(e);
                }
            }
            if (all.size() == pageSize) {
                dense = kept.size() >= DENSE * all.size();
            }
            return new LogPage(kept, all.get(all.size() - 1).position(), all.size());
        }
    }

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
        return new LogPage(events, readUpTo, events.size());
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
