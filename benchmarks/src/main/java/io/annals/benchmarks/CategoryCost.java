package io.annals.benchmarks;

import io.annals.benchmarks.Measure.Pair;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.jdbc.JdbcEventStore;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;

/**
 * What the index of reads by category costs an append: one event per append (the expected
 * version checked) on a store with the index, beside the same on a store whose index was dropped,
 * alternating, in the same run. The index is not optional: this measures what it adds to every
 * append, the cost the feature puts on everyone.
 */
final class CategoryCost {

    private final Target on;
    private final Target off;
    private final Results results;
    private final String db;

    CategoryCost(Target on, Target off, Results results, String db) {
        this.on = on;
        this.off = off;
        this.results = results;
        this.db = db;
    }

    void run(int appendsPerPass, int warm, int rounds) throws Exception {
        try (JdbcEventStore with = on.openStore(4);
                JdbcEventStore without = off.openStore(4)) {
            try (Connection c = without.dataSource().getConnection();
                    Statement st = c.createStatement()) {
                st.execute("DROP INDEX annals_events_category_position");
            }
            int[] pass = {0};
            Measure.Pass indexed = () -> appends(with, "on", pass[0]++, appendsPerPass);
            Measure.Pass plain = () -> appends(without, "off", pass[0]++, appendsPerPass);
            Pair p = Measure.comparePasses(warm, rounds, indexed, plain);
            results.compare(
                    "W13",
                    db,
                    "append 1 event (expected version checked) with the index of reads by category",
                    "appends/s",
                    p,
                    "the same store with that index dropped",
                    true,
                    null,
                    appendsPerPass + " appends per round, to new streams of 3 categories");
        }
    }

    private static long appends(JdbcEventStore store, String side, int pass, int n) {
        String[] categories = {"product", "watch", "order"};
        for (int i = 0; i < n; i++) {
            store.append(
                    categories[i % 3] + "-" + side + "-" + pass + "-" + i,
                    ExpectedVersion.noStream(),
                    List.of(EventData.of("Noted", "{\"n\":" + i + "}")));
        }
        return n;
    }
}
