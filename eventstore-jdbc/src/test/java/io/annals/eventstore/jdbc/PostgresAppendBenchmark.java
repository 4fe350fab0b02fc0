package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Append throughput on PostgreSQL of the gap-safety method Annals uses (positions in
 * transaction-id order, concurrent writers) against serialised appends (an advisory lock held to
 * commit, positions from a sequence) and a raw insert with no version check and no gap safety,
 * with 1, 4 and 16 writers, each on its own connection and its own streams, one event per append.
 * All three run in the same schema shape, in the same run, so the ratios hold on a noisy machine.
 *
 * <pre>
 * mvn -q -pl eventstore-jdbc -am test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.annals.eventstore.jdbc.PostgresAppendBenchmark [-Dexec.args="5"]
 * </pre>
 * The argument is the seconds per measurement (default 5).
 */
public final class PostgresAppendBenchmark {

    private PostgresAppendBenchmark() {
    }

    /** One append by one writer; returns nothing, throws on failure. */
    interface Appender {
        void append(int writer, long sequence) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        PostgresTestDatabase db = new PostgresTestDatabase();
        try {
            String url = db.newSchemaUrl("bench");
            try (JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(20).open()) {
                try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE events_serial (LIKE events INCLUDING ALL)");
                    st.execute("CREATE SEQUENCE events_serial_seq");
                    st.execute("CREATE TABLE events_raw (LIKE events INCLUDING ALL)");
                    st.execute("CREATE SEQUENCE events_raw_seq");
                }
                System.out.printf(Locale.ROOT, "PostgreSQL appends/s, 1 event per append, %d s per cell%n", seconds);
                System.out.printf(Locale.ROOT, "%-8s %14s %14s %14s %10s %10s%n", "writers",
                        "annals (xid)", "serialised", "raw insert", "xid/ser", "xid/raw");
                for (int writers : new int[] {1, 4, 16}) {
                    String run = "annals-" + writers + "-";
                    double annals = measure(writers, seconds, (w, i) ->
                            store.append(run + w, ExpectedVersion.exactly(i),
                                    List.of(EventData.of("Benchmarked", "{\"i\":" + i + "}"))));
                    double serial = measure(writers, seconds, sqlAppender(url, writers, SERIAL, true));
                    double raw = measure(writers, seconds, sqlAppender(url, writers, RAW, false));
                    System.out.printf(Locale.ROOT, "%-8d %14.0f %14.0f %14.0f %10.2f %10.2f%n", writers,
                            annals, serial, raw, annals / serial, annals / raw);
                }
            }
        } finally {
            db.dropAll();
        }
    }

    /** Serialised: the lock is taken before the version check and held to commit. */
    private static final String SERIAL = """
            WITH lock AS (SELECT pg_advisory_xact_lock(4242)),
                 cur AS (SELECT COALESCE(MAX(version), 0) AS v FROM events_serial, lock WHERE stream_id = ?)
            INSERT INTO events_serial (position, stream_id, version, event_id, type, data, metadata, recorded_at)
            SELECT nextval('events_serial_seq'), ?, cur.v + 1, ?, 'Benchmarked', ?::jsonb, NULL, now()
            FROM cur WHERE cur.v = ?""";

    /** Raw: what the database does with no version check and no gap safety. */
    private static final String RAW = """
            INSERT INTO events_raw (position, stream_id, version, event_id, type, data, metadata, recorded_at)
            VALUES (nextval('events_raw_seq'), ?, ?, ?, 'Benchmarked', ?::jsonb, NULL, now())""";

    private static Appender sqlAppender(String url, int writers, String sql, boolean checked)
            throws SQLException {
        List<PreparedStatement> statements = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            statements.add(DriverManager.getConnection(url).prepareStatement(sql));
        }
        String run = UUID.randomUUID().toString();
        return (w, i) -> {
            PreparedStatement ps = statements.get(w);
            String stream = "s-" + run + "-" + w;
            String json = "{\"i\":" + i + "}";
            if (checked) {
                ps.setString(1, stream);
                ps.setString(2, stream);
                ps.setObject(3, UUID.randomUUID());
                ps.setString(4, json);
                ps.setLong(5, i);
            } else {
                ps.setString(1, stream);
                ps.setLong(2, i + 1);
                ps.setObject(3, UUID.randomUUID());
                ps.setString(4, json);
            }
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("append refused");
            }
        };
    }

    private static double measure(int writers, int seconds, Appender appender) throws Exception {
        AtomicLong count = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        long[] deadline = new long[1];
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    long i = 0;
                    while (System.nanoTime() < deadline[0]) {
                        appender.append(writer, i++);
                        count.incrementAndGet();
                    }
                } catch (Throwable e) {
                    synchronized (errors) {
                        errors.add(e);
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        long began = System.nanoTime();
        deadline[0] = began + seconds * 1_000_000_000L;
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        if (!errors.isEmpty()) {
            throw new IllegalStateException("a writer failed", errors.get(0));
        }
        return count.get() / ((System.nanoTime() - began) / 1e9);
    }
}
