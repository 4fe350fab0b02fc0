package io.annals.pricetracker;

import io.annals.eventstore.jdbc.JdbcEventStore;
import java.util.Map;

/** Trackers as the instances of a deployment open them, each with an environment of its own. */
final class Instances {

    private Instances() {}

    /** A tracker on {@code url}, set up by {@code env} as by its environment. */
    static PriceTracker tracker(String url, Map<String, String> env) {
        JdbcEventStore store = JdbcEventStore.open(url);
        return new PriceTracker(store, PrivacyKeys.development(store.dataSource()), env);
    }
}
