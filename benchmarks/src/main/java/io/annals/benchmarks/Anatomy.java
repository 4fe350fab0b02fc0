package io.annals.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What one Annals operation asks of JDBC: connections, statements prepared, statements executed,
 * commits. Evidence for the profile: on PostgreSQL an execute is a round trip; on SQLite a
 * prepare compiles SQL and an execute runs the VM.
 */
final class Anatomy {

    private Anatomy() {}

    static void run(Target target, Results results) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(
                target.sqlite() ? target.url : target.url + "&socketFactory=" + CountingSocketFactory.class.getName());
        config.setMaximumPoolSize(8);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            CountingDataSource ds = new CountingDataSource(pool);
            try (JdbcEventStore store = JdbcEventStore.open(ds)) {
                String db = target.kind.label;
                String run = UUID.randomUUID().toString().substring(0, 8);
                int n = 200;

                ds.reset();
                for (int i = 0; i < n; i++) {
                    String stream = "anat-new-" + run + "-" + i;
                    store.append(
                            stream,
                            ExpectedVersion.noStream(),
                            List.of(EventData.of(Domain.TYPE, Domain.json(stream, 1))));
                }
                results.calls(db, "append 1 event, new stream", ds.perOperation(n));

                String stream = "anat-ex-" + run;
                ds.reset();
                for (int i = 0; i < n; i++) {
                    store.append(
                            stream,
                            ExpectedVersion.exactly(i),
                            List.of(EventData.of(Domain.TYPE, Domain.json(stream, i + 1))));
                }
                results.calls(db, "append 1 event, exactly(v)", ds.perOperation(n));

                String ten = "anat-ten-" + run;
                ds.reset();
                for (int i = 0; i < n; i++) {
                    List<EventData> events = new ArrayList<>();
                    for (int k = 1; k <= 10; k++) {
                        events.add(EventData.of(Domain.TYPE, Domain.json(ten, i * 10L + k)));
                    }
                    store.append(ten, ExpectedVersion.exactly(i * 10L), events);
                }
                results.calls(db, "append 10 events", ds.perOperation(n));

                ds.reset();
                for (int i = 0; i < n; i++) {
                    store.readStream(stream, 1, 10);
                }
                results.calls(db, "readStream, 10 events", ds.perOperation(n));

                ds.reset();
                for (int i = 0; i < n; i++) {
                    store.readAll(0, 500);
                }
                results.calls(db, "readAll, page of 500", ds.perOperation(n));

                CommandHandler<Domain.Price, Domain.ChangePrice, Domain.PriceEvent> handler = CommandHandler.builder(
                                new Domain.Prices(), store, Domain.CODEC)
                        .snapshots(new SnapshotSettings<>(
                                store.snapshots(), Domain.STATE, 1, SnapshotPolicy.everyEvents(100)))
                        .build();
                String id = "anat-cmd-" + run;
                for (int i = 0; i < 150; i++) {
                    handler.handle(new Domain.ChangePrice(id, Domain.STEP)); // past the first snapshot
                }
                ds.reset();
                for (int i = 0; i < n; i++) {
                    handler.handle(new Domain.ChangePrice(id, Domain.STEP));
                }
                results.calls(db, "command (load with snapshot, decide, append)", ds.perOperation(n));

                ds.reset();
                for (int i = 0; i < n; i++) {
                    handler.load(id);
                }
                results.calls(db, "load with a snapshot", ds.perOperation(n));

                CommandHandler<Domain.Price, Domain.ChangePrice, Domain.PriceEvent> plain = CommandHandler.builder(
                                new Domain.Prices(), store, Domain.CODEC)
                        .build();
                ds.reset();
                for (int i = 0; i < 20; i++) {
                    plain.load(id); // 350 events: pages of 512
                }
                results.calls(db, "load without snapshot, 350 events", ds.perOperation(20));

                KeyedProjector<String, Domain.Summary> summaries =
                        store.projectors().keyed(new Domain.Summaries(), Domain.CODEC, Domain.SUMMARY);
                // Batches of 500 events of 500 distinct streams, as a busy log has them.
                long after;
                if (target.sqlite()) {
                    try (java.sql.Connection c = target.raw();
                            java.sql.Statement st = c.createStatement();
                            java.sql.ResultSet rs = st.executeQuery("SELECT MAX(position) FROM annals_events")) {
                        rs.next();
                        after = rs.getLong(1);
                    }
                } else {
                    after = target.loadPosition - 1;
                }
                try (Loader loader = new Loader(target)) {
                    for (int i = 0; i < 2_000; i++) {
                        loader.add("anat-key-" + run + "-" + i, 1);
                    }
                }
                List<List<RecordedEvent>> batches = new ArrayList<>();
                for (int b = 0; b < 4; b++) {
                    List<RecordedEvent> page = store.readAll(after, 500);
                    batches.add(page);
                    after = page.get(page.size() - 1).position();
                }
                long from = summaries.checkpoint();
                ds.reset();
                for (List<RecordedEvent> batch : batches) {
                    long to = batch.get(batch.size() - 1).position();
                    summaries.apply(from, to, batch);
                    from = to;
                }
                results.calls(db, "projection batch of 500 events (keyed)", ds.perOperation(batches.size()));
            }
        }
    }
}
