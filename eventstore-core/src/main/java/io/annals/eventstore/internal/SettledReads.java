package io.annals.eventstore.internal;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import java.lang.ref.WeakReference;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;

/**
 * What a store reads of a query together with how far the read is complete, in one go: what a
 * filtered projection needs to move its checkpoint past events it does not need. A store offers
 * it with {@link #offer} (a public store class cannot implement this interface: the package is
 * not exported to its users); a store without it is asked for its last position and its horizon
 * before the read.
 */
@FunctionalInterface
public interface SettledReads {

    /**
     * {@link EventStore#read(Query, long, int)}, and the position up to which every event that
     * matches {@code query} is in the page when the page holds fewer than {@code maxCount}: the
     * last position of the log or, when an append in flight holds readers back, the position
     * below it; never below {@code afterPosition}.
     */
    SettledPage readSettled(Query query, long afterPosition, int maxCount);

    /**
     * A page of {@link #readSettled}.
     *
     * @param events the events, in position order
     * @param settled the position up to which a page that is not full has read every match
     */
    record SettledPage(List<RecordedEvent> events, long settled) {}

    /**
     * Offers {@code reads} for {@code store}, as long as the store lives. The store must keep
     * {@code reads} itself (held here weakly, so that neither keeps the other alive).
     */
    static void offer(EventStore store, SettledReads reads) {
        Offered.BY_STORE.put(store, new WeakReference<>(reads));
    }

    /** What {@code store} offered, if anything. */
    static Optional<SettledReads> of(EventStore store) {
        WeakReference<SettledReads> offered = Offered.BY_STORE.get(store);
        return offered == null ? Optional.empty() : Optional.ofNullable(offered.get());
    }

    /** The offers, by store; stores compare by identity. */
    final class Offered {
        static final Map<EventStore, WeakReference<SettledReads>> BY_STORE =
                Collections.synchronizedMap(new WeakHashMap<>());

        private Offered() {}
    }
}
