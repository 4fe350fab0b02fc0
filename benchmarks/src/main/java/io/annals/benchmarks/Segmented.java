package io.annals.benchmarks;

import io.annals.benchmarks.Measure.Pair;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.jdbc.JacksonEventCodec;
import io.annals.eventstore.jdbc.JacksonStateCodec;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.jdbc.Segments;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.ProjectionRunner;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * W14: catching up a keyed projection (rows in the database) split into 2 and 4 segments, each on
 * a runner of its own as instances would run them, beside the same projection whole, alternating
 * in the same run. Every pass starts from an empty read model and ends when every segment has
 * applied the whole log; the rows are then counted, so no side does less work.
 */
final class Segmented {

    /** A deposit to an account. */
    record Deposited(long amount) implements Event {}

    /** The balance and the number of deposits of an account. */
    record Balance(long sum, long count) {}

    private static final EventCodec<Deposited> CODEC = JacksonEventCodec.builder(Deposited.class)
            .register("Deposited", Deposited.class)
            .build();

    private static final JacksonStateCodec<Balance> BALANCES = JacksonStateCodec.of(Balance.class);

    /** Balances by account: a row per stream, so it can be split. */
    private record Balances(String name) implements Projection<Deposited, String, Balance> {
        @Override
        public String key(Envelope<Deposited> e) {
            return e.recorded().streamId();
        }

        @Override
        public Balance apply(Balance current, Envelope<Deposited> e) {
            Balance b = current == null ? new Balance(0, 0) : current;
            return new Balance(b.sum() + e.event().amount(), b.count() + 1);
        }

        @Override
        public boolean rowsDeriveFromOneStream() {
            return true;
        }
    }

    private final JdbcEventStore store;
    private final Results results;
    private final String db;

    Segmented(JdbcEventStore store, Results results, String db) {
        this.store = store;
        this.results = results;
        this.db = db;
    }

    void run(int events, int accounts, int warm, int rounds) throws Exception {
        // Every append touches every account once, so that a batch of the log spans many streams.
        long end = 0;
        for (int written = 0; written < events; written += accounts) {
            List<StreamAppend> appends = new ArrayList<>(accounts);
            for (int a = 0; a < accounts; a++) {
                EventData e = CODEC.encode(new Deposited(written + a), Map.of());
                appends.add(new StreamAppend("account-" + a, ExpectedVersion.any(), List.of(e)));
            }
            for (var r : store.append(appends)) {
                end = Math.max(end, r.position());
            }
        }
        long last = end;
        Measure.Pass whole = () -> catchUp("w14-whole", 1, last, accounts, events);
        for (int n : new int[] {2, 4}) {
            Measure.Pass split = () -> catchUp("w14-" + n, n, last, accounts, events);
            Pair p = Measure.comparePasses(warm, rounds, split, whole);
            results.compare(
                    "W14",
                    db,
                    String.format(
                            "catch up a keyed projection of %,d events (%,d rows) in %d segments, a runner each",
                            events, accounts, n),
                    "events/s",
                    p,
                    "the same projection whole, on one runner",
                    true,
                    null,
                    "batches of 500");
        }
    }

    /** From an empty read model to the end of the log; the events applied. */
    private long catchUp(String name, int segments, long end, int accounts, int events) throws Exception {
        clear(name);
        Balances projection = new Balances(name);
        List<KeyedProjector<String, Balance>> projectors = segments == 1
                ? List.of(store.projectors().keyed(projection, CODEC, BALANCES))
                : store.projectors().segments(projection, CODEC, BALANCES, Segments.of(segments));
        List<ProjectionRunner> runners = new ArrayList<>();
        try {
            for (KeyedProjector<String, Balance> p : projectors) {
                runners.add(ProjectionRunner.builder(store)
                        .add(p)
                        .wakeOnAppend(false)
                        .build());
            }
            runners.forEach(ProjectionRunner::start);
            for (ProjectionRunner r : runners) {
                if (!r.awaitPosition(end, Duration.ofMinutes(10))) {
                    throw new IllegalStateException(name + " did not catch up: " + r.statuses());
                }
            }
        } finally {
            runners.forEach(ProjectionRunner::close);
        }
        long applied = 0;
        int rows = 0;
        for (var row : projectors.get(0).list(0, Integer.MAX_VALUE)) {
            applied += row.value().count();
            rows++;
        }
        if (applied != events || rows != accounts) {
            throw new IllegalStateException(name + " applied " + applied + " events to " + rows + " rows, expected "
                    + events + " to " + accounts);
        }
        return events;
    }

    /** Empties the read model and its checkpoints, the way a rebuild would, for the next pass. */
    private void clear(String name) throws Exception {
        try (Connection c = store.dataSource().getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM annals_projection_rows WHERE projection = ?")) {
                ps.setString(1, name);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM annals_projection_checkpoints WHERE projection = ? OR projection LIKE ?")) {
                ps.setString(1, name);
                ps.setString(2, name + "[%");
                ps.executeUpdate();
            }
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT count(*) FROM annals_projection_rows WHERE projection = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) != 0) {
                        throw new IllegalStateException("the rows of " + name + " were not cleared");
                    }
                }
            }
        }
    }
}
