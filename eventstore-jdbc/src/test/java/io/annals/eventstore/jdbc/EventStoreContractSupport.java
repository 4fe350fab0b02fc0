package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.RecordedEvent;
import java.util.ArrayList;
import java.util.List;

/** Helpers for the store tests of this module. */
final class EventStoreContractSupport {

    private EventStoreContractSupport() {
    }

    /** The whole global log, page by page. */
    static List<RecordedEvent> readAll(EventStore store) {
        List<RecordedEvent> all = new ArrayList<>();
        long after = 0;
        while (true) {
            List<RecordedEvent> page = store.readAll(after, 1000);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
            after = page.get(page.size() - 1).position();
        }
    }
}
