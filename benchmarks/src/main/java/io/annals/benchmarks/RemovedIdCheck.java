package io.annals.benchmarks;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.jdbc.JdbcEventStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * What the events' triggers cost the PostgreSQL server per insert statement, for each way of
 * refusing the ids of removed events: the store's own (schema version 12: a row trigger before
 * each event takes its stream's lock and checks deleted streams, a statement trigger after the
 * insert checks the inserted ids against the removed ones), the one row trigger of schema
 * version 11 (the same, and the removed id checked before each row, which let an append that
 * waited for a deletion store a reserved id), and no trigger at all. A log written by the store
 * (300 streams deleted, their 600 ids reserved) gets statements of 1, of 10, of 1,000 and of 10,000
 * events (the last two with payloads of about 1 KB, which the statement trigger's transition
 * table holds: in memory, then past {@code work_mem} in a temporary file)
 * inserted by a server-side function, which times them itself ({@code clock_timestamp()}) and whose
 * transaction is then rolled back: no client, no round trip, no commit, no growth of the table.
 * The three run in alternating rounds, each round in another order; the figures are µs per
 * statement, the median and range over the rounds.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.annals.benchmarks.RemovedIdCheck [URL]
 * </pre>
 */
final class RemovedIdCheck {

    private static final int ROUNDS = 12;

    /** The statements timed: events per statement, statements per round, bytes of padding per payload. */
    private record Size(String label, int events, int statements, int padding) {}

    private static final List<Size> SIZES = List.of(
            new Size("1 event", 1, 2_000, 0),
            new Size("10 events", 10, 300, 0),
            new Size("1,000 events of 1 KB", 1_000, 4, 1_000),
            // 10 MB of rows: past work_mem (4 MB by default), the transition table goes to a file
            new Size("10,000 events of 1 KB", 10_000, 1, 1_000));

    /** The trigger of schema versions 5 to 11, from V5__stream_deletion.sql, on the current schema. */
    private static final String V11_ROW_TRIGGER = """
            CREATE FUNCTION bench_v11_row() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock_shared(TG_RELID::integer, hashtext(NEW.stream_id));
                IF NEW.type <> '$stream-deleted'
                        AND EXISTS (SELECT 1 FROM annals_deleted_streams WHERE stream_id = NEW.stream_id) THEN
                    RAISE EXCEPTION 'annals: stream % was deleted', NEW.stream_id USING ERRCODE = 'AN001';
                END IF;
                IF EXISTS (SELECT 1 FROM annals_removed_events WHERE event_id = NEW.event_id) THEN
                    RAISE EXCEPTION 'annals: the id % of a removed event', NEW.event_id
                        USING ERRCODE = 'unique_violation', CONSTRAINT = 'annals_events_event_id';
                END IF;
                RETURN NEW;
            END
            $$""";

    /**
     * Inserts n statements of k events each into one stream, each payload padded with p bytes;
     * returns µs per statement.
     */
    private static final String INSERTS = """
            CREATE FUNCTION bench_inserts(k int, n int, p int) RETURNS double precision LANGUAGE plpgsql AS $$
            DECLARE
                t0 timestamptz;
            BEGIN
                t0 := clock_timestamp();
                FOR i IN 1..n LOOP
                    INSERT INTO annals_events (position, stream_id, version, event_id, type, data, metadata, recorded_at)
                    SELECT 1000000000 + i * 100000 + g, 'bench', (i - 1) * k + g, gen_random_uuid(), 'Priced',
                           ('{"price":"9.99","note":"' || repeat('x', p) || '"}')::json, NULL, now()
                    FROM generate_series(1, k) AS g;
                END LOOP;
                RETURN extract(epoch FROM clock_timestamp() - t0) * 1e6 / n;
            END
            $$""";

    private enum Variant {
        STORE("schema 12: row trigger before, statement trigger after"),
        V11("schema 11: one row trigger, removed ids before each row"),
        NONE("no trigger");

        final String label;

        Variant(String label) {
            this.label = label;
        }
    }

    private RemovedIdCheck() {}

    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
        try (Target target = Target.postgres(url, "removed_id_check");
                JdbcEventStore store = target.openStore(2)) {
            for (int i = 0; i < 300; i++) {
                store.append(
                        "gone-" + i,
                        ExpectedVersion.noStream(),
                        List.of(EventData.of("Priced", "{}"), EventData.of("Priced", "{}")));
                store.deleteStream("gone-" + i, ExpectedVersion.any());
            }
            try (Connection c = target.raw();
                    Statement st = c.createStatement()) {
                st.execute(V11_ROW_TRIGGER);
                st.execute("CREATE TRIGGER bench_v11 BEFORE INSERT ON annals_events"
                        + " FOR EACH ROW EXECUTE FUNCTION bench_v11_row()");
                st.execute(INSERTS);
                c.setAutoCommit(false);
                // [variant][size]: µs per statement, one per round
                List<List<List<Double>>> micros = new ArrayList<>();
                for (int v = 0; v < Variant.values().length; v++) {
                    List<List<Double>> bySize = new ArrayList<>();
                    for (int k = 0; k < SIZES.size(); k++) {
                        bySize.add(new ArrayList<>());
                    }
                    micros.add(bySize);
                }
                for (int round = 0; round < ROUNDS; round++) {
                    for (int i = 0; i < Variant.values().length; i++) {
                        int v = (i + round) % Variant.values().length; // each round in another order
                        use(st, Variant.values()[v]);
                        c.commit();
                        for (int k = 0; k < SIZES.size(); k++) {
                            micros.get(v).get(k).add(statementMicros(st, SIZES.get(k)));
                            c.rollback();
                        }
                    }
                }
                System.out.println("server µs per insert statement, median (range) of " + ROUNDS + " rounds");
                StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-56s", "triggers"));
                for (Size size : SIZES) {
                    header.append(String.format(Locale.ROOT, " | %-26s", size.label));
                }
                System.out.println(header);
                for (Variant variant : Variant.values()) {
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-56s", variant.label));
                    for (List<Double> values : micros.get(variant.ordinal())) {
                        line.append(String.format(Locale.ROOT, " | %-26s", summary(values)));
                    }
                    System.out.println(line);
                }
            }
        }
    }

    /** Enables the triggers of one variant and disables the others'. */
    private static void use(Statement st, Variant variant) throws SQLException {
        String store = variant == Variant.STORE ? "ENABLE" : "DISABLE";
        st.execute("ALTER TABLE annals_events " + store + " TRIGGER annals_refuse_removed_ids");
        st.execute("ALTER TABLE annals_events " + store + " TRIGGER annals_refuse_reserved_ids");
        st.execute(
                "ALTER TABLE annals_events " + (variant == Variant.V11 ? "ENABLE" : "DISABLE") + " TRIGGER bench_v11");
    }

    private static double statementMicros(Statement st, Size size) throws SQLException {
        try (ResultSet rs = st.executeQuery(
                "SELECT bench_inserts(" + size.events + ", " + size.statements + ", " + size.padding + ")")) {
            rs.next();
            return rs.getDouble(1);
        }
    }

    private static String summary(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return String.format(
                Locale.ROOT,
                "%.1f (%.1f-%.1f)",
                sorted.get(sorted.size() / 2),
                sorted.get(0),
                sorted.get(sorted.size() - 1));
    }
}
