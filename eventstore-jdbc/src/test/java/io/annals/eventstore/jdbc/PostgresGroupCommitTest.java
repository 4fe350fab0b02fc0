package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.DuplicateEventIdException;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamDeletedException;
import io.annals.eventstore.WrongExpectedVersionException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Group commit on PostgreSQL: appends of one event that wait for the store's writers share one
 * transaction, each keeping its own checks and errors. The tests hold the advisory lock of an
 * event type on a connection of their own, so that the appends in flight wait for it in the
 * server and the next ones line up in the store; released, the line goes as a group.
 */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@Timeout(120)
class PostgresGroupCommitTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();
    private static final String HELD = "Held";

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    private static EventData held(int i) {
        return EventData.of(HELD, "{\"i\":" + i + "}");
    }

    @Test
    void appends_that_line_up_share_a_transaction_and_each_gets_its_own_result() throws Exception {
        String url = DB.newSchemaUrl("group");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            Map<String, Supplier<AppendResult>> calls = new LinkedHashMap<>();
            for (int i = 0; i < 12; i++) {
                String stream = "line-" + i;
                int n = i;
                calls.put(stream, () -> store.append(stream, ExpectedVersion.noStream(), List.of(held(n))));
            }
            Map<String, Object> outcomes = whileTypeHeld(url, calls);

            for (int i = 0; i < 12; i++) {
                String stream = "line-" + i;
                assertThat(outcomes.get(stream)).isEqualTo(new AppendResult(1, positionOf(store, stream)));
                assertThat(store.readStream(stream, 1, 10))
                        .extracting(RecordedEvent::json)
                        .containsExactly("{\"i\":" + i + "}");
            }
            assertThat(mostStreamsInOneTransaction(url)).isGreaterThan(1);
        }
    }

    @Test
    void a_failing_append_in_a_group_fails_alone_and_the_others_commit() throws Exception {
        String url = DB.newSchemaUrl("group");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            store.append("taken", ExpectedVersion.noStream(), List.of(EventData.of("Setup", "{}")));
            UUID owned = UUID.randomUUID();
            store.append("owner", ExpectedVersion.noStream(), List.of(new EventData(owned, "Setup", "{}", Map.of())));
            EventData original = new EventData(UUID.randomUUID(), HELD, "{\"first\":true}", Map.of());
            AppendResult first = store.append("repeat", ExpectedVersion.noStream(), List.of(original));
            store.append("gone", ExpectedVersion.noStream(), List.of(EventData.of("Setup", "{}")));
            store.deleteStream("gone", ExpectedVersion.any());

            Map<String, Supplier<AppendResult>> calls = new LinkedHashMap<>();
            for (int i = 0; i < 6; i++) {
                String stream = "fine-" + i;
                int n = i;
                calls.put(stream, () -> store.append(stream, ExpectedVersion.noStream(), List.of(held(n))));
            }
            calls.put("wrong", () -> store.append("taken", ExpectedVersion.noStream(), List.of(held(100))));
            calls.put(
                    "stolen id",
                    () -> store.append(
                            "thief", ExpectedVersion.noStream(), List.of(new EventData(owned, HELD, "{}", Map.of()))));
            calls.put("repeat", () -> store.append("repeat", ExpectedVersion.noStream(), List.of(original)));
            calls.put("deleted", () -> store.append("gone", ExpectedVersion.any(), List.of(held(101))));
            Map<String, Object> outcomes = whileTypeHeld(url, calls);

            for (int i = 0; i < 6; i++) {
                assertThat(outcomes.get("fine-" + i)).isInstanceOf(AppendResult.class);
                assertThat(store.currentVersion("fine-" + i)).isEqualTo(1);
            }
            assertThat(outcomes.get("wrong")).isInstanceOf(WrongExpectedVersionException.class);
            assertThat(store.currentVersion("taken")).isEqualTo(1);
            assertThat(outcomes.get("stolen id")).isInstanceOf(DuplicateEventIdException.class);
            assertThat(outcomes.get("repeat")).isEqualTo(first);
            assertThat(store.currentVersion("repeat")).isEqualTo(1);
            assertThat(outcomes.get("deleted")).isInstanceOf(StreamDeletedException.class);
            assertThat(store.currentVersion("thief")).isZero();
            assertThat(mostStreamsInOneTransaction(url)).isGreaterThan(1);
        }
    }

    @Test
    void a_group_whose_statement_fails_goes_again_append_by_append() throws Exception {
        String url = DB.newSchemaUrl("group");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            // the id of a removed event makes the events' trigger raise: the whole statement fails
            UUID removed = UUID.randomUUID();
            store.append(
                    "erased", ExpectedVersion.noStream(), List.of(new EventData(removed, "Setup", "{}", Map.of())));
            store.deleteStream("erased", ExpectedVersion.any());

            Map<String, Supplier<AppendResult>> calls = new LinkedHashMap<>();
            for (int i = 0; i < 6; i++) {
                String stream = "fine-" + i;
                int n = i;
                calls.put(stream, () -> store.append(stream, ExpectedVersion.noStream(), List.of(held(n))));
            }
            calls.put(
                    "removed id",
                    () -> store.append(
                            "reuser",
                            ExpectedVersion.noStream(),
                            List.of(new EventData(removed, HELD, "{}", Map.of()))));
            Map<String, Object> outcomes = whileTypeHeld(url, calls);

            for (int i = 0; i < 6; i++) {
                assertThat(outcomes.get("fine-" + i)).isEqualTo(new AppendResult(1, positionOf(store, "fine-" + i)));
            }
            assertThat(outcomes.get("removed id")).isInstanceOf(DuplicateEventIdException.class);
            assertThat(store.currentVersion("reuser")).isZero();
        }
    }

    @Test
    void two_appends_to_one_stream_in_line_both_commit_in_order() throws Exception {
        String url = DB.newSchemaUrl("group");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            Map<String, Supplier<AppendResult>> calls = new LinkedHashMap<>();
            for (int i = 0; i < 4; i++) {
                int n = i;
                calls.put("same-" + i, () -> store.append("same", ExpectedVersion.any(), List.of(held(n))));
                calls.put("other-" + i, () -> store.append("other-" + n, ExpectedVersion.any(), List.of(held(n))));
            }
            Map<String, Object> outcomes = whileTypeHeld(url, calls);

            List<Long> versions = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                versions.add(((AppendResult) outcomes.get("same-" + i)).version());
                assertThat(outcomes.get("other-" + i)).isEqualTo(new AppendResult(1, positionOf(store, "other-" + i)));
            }
            assertThat(versions).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
            assertThat(store.readStream("same", 1, 10))
                    .extracting(RecordedEvent::version)
                    .containsExactly(1L, 2L, 3L, 4L);
        }
    }

    @Test
    void without_group_commit_every_append_has_a_transaction_of_its_own() throws Exception {
        String url = DB.newSchemaUrl("solo");
        try (JdbcEventStore store =
                JdbcEventStore.builder(url).groupCommit(false).open()) {
            Map<String, Supplier<AppendResult>> calls = new LinkedHashMap<>();
            for (int i = 0; i < 6; i++) {
                String stream = "solo-" + i;
                int n = i;
                calls.put(stream, () -> store.append(stream, ExpectedVersion.noStream(), List.of(held(n))));
            }
            Map<String, Object> outcomes = whileTypeHeld(url, calls, 6);

            assertThat(outcomes.values()).allMatch(AppendResult.class::isInstance);
            assertThat(mostStreamsInOneTransaction(url)).isEqualTo(1);
        }
    }

    @Test
    void racing_writers_on_shared_streams_lose_nothing_and_write_nothing_twice() throws Exception {
        String url = DB.newSchemaUrl("race");
        int threads = 12;
        int rounds = 150;
        List<String> streams = List.of("hot-a", "hot-b", "hot-c", "hot-d");
        Map<String, Set<Long>> won = new ConcurrentHashMap<>();
        Map<Long, String> positions = new ConcurrentHashMap<>();
        AtomicInteger refused = new AtomicInteger();
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> workers = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread worker = new Thread(() -> {
                    try {
                        start.await();
                        for (int r = 0; r < rounds; r++) {
                            String stream = id % 3 == 0
                                    ? "own-" + id
                                    : streams.get(ThreadLocalRandom.current().nextInt(streams.size()));
                            long seen = store.currentVersion(stream);
                            try {
                                AppendResult result = store.append(
                                        stream, ExpectedVersion.exactly(seen), List.of(held(id * 1000 + r)));
                                assertThat(result.version()).isEqualTo(seen + 1);
                                assertThat(won.computeIfAbsent(stream, s -> ConcurrentHashMap.newKeySet())
                                                .add(result.version()))
                                        .as("version %d of %s acknowledged twice", result.version(), stream)
                                        .isTrue();
                                assertThat(positions.put(result.position(), stream))
                                        .isNull();
                            } catch (WrongExpectedVersionException e) {
                                refused.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                });
                workers.add(worker);
                worker.start();
            }
            for (Thread worker : workers) {
                worker.join();
            }
            assertThat(failures).isEmpty();

            int acknowledged = 0;
            for (Map.Entry<String, Set<Long>> e : won.entrySet()) {
                List<RecordedEvent> stored = store.readStream(e.getKey(), 1, 10_000);
                assertThat(stored)
                        .extracting(RecordedEvent::version)
                        .containsExactlyElementsOf(
                                e.getValue().stream().sorted().toList());
                for (RecordedEvent event : stored) {
                    assertThat(positions.get(event.position())).isEqualTo(e.getKey());
                }
                acknowledged += e.getValue().size();
            }
            assertThat(acknowledged + refused.get()).isEqualTo(threads * rounds);
            assertThat(store.readAll(0, 100_000)).hasSize(acknowledged);
        }
    }

    // ---------------------------------------------------------------------------------- helpers

    /**
     * Runs each call on a thread of its own while a connection holds the advisory lock of type
     * {@link #HELD}: the appends in flight wait for it in the server, the others line up in the
     * store; once every call waits one way or the other, the lock is released. The outcome of
     * each call: its result or what it threw.
     */
    private static Map<String, Object> whileTypeHeld(String url, Map<String, Supplier<AppendResult>> calls)
            throws Exception {
        return whileTypeHeld(url, calls, 0);
    }

    /** {@link #whileTypeHeld(String, Map)}; {@code inServer} calls must wait in the server (0: any). */
    private static Map<String, Object> whileTypeHeld(
            String url, Map<String, Supplier<AppendResult>> calls, int inServer) throws Exception {
        int space = LockKeys.space(PostgresTestDatabase.schemaOf(url), TableNames.DEFAULT_PREFIX);
        int key = LockKeys.type(HELD);
        Map<String, Object> outcomes = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        try (Connection holder = DriverManager.getConnection(PostgresTestDatabase.URL)) {
            try (PreparedStatement ps = holder.prepareStatement("SELECT pg_advisory_lock(?, ?)")) {
                ps.setInt(1, space);
                ps.setInt(2, key);
                ps.execute();
            }
            try {
                for (Map.Entry<String, Supplier<AppendResult>> call : calls.entrySet()) {
                    Thread t = new Thread(() -> {
                        try {
                            outcomes.put(call.getKey(), call.getValue().get());
                        } catch (RuntimeException e) {
                            outcomes.put(call.getKey(), e);
                        }
                    });
                    threads.add(t);
                    t.start();
                }
                awaitEveryoneWaiting(holder, space, key, threads, inServer);
            } finally {
                try (PreparedStatement ps = holder.prepareStatement("SELECT pg_advisory_unlock(?, ?)")) {
                    ps.setInt(1, space);
                    ps.setInt(2, key);
                    ps.execute();
                }
            }
            for (Thread t : threads) {
                t.join(60_000);
                assertThat(t.isAlive())
                        .as("an append still runs a minute after the lock went")
                        .isFalse();
            }
        }
        assertThat(outcomes).hasSize(calls.size());
        return outcomes;
    }

    /**
     * Until every thread either waits in the server for the held lock (pg_locks: not granted)
     * or waits in line in the store (parked: WAITING), and at least one waits in the server.
     */
    private static void awaitEveryoneWaiting(Connection c, int space, int key, List<Thread> threads, int inServer)
            throws SQLException, InterruptedException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                + " AND classid = ?::oid AND objid = ?::oid AND objsubid = 2 AND NOT granted")) {
            ps.setLong(1, Integer.toUnsignedLong(space)); // the int4 keys show as unsigned oids
            ps.setLong(2, Integer.toUnsignedLong(key));
            for (int i = 0; i < 6000; i++) {
                long waitingInServer;
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    waitingInServer = rs.getLong(1);
                }
                long parked = threads.stream()
                        .filter(t -> t.getState() == Thread.State.WAITING)
                        .count();
                if (waitingInServer > 0
                        && waitingInServer + parked == threads.size()
                        && (inServer == 0 || waitingInServer == inServer)) {
                    return;
                }
                Thread.sleep(10);
            }
        }
        throw new AssertionError("the appends did not all wait for the held lock");
    }

    /** The most streams whose events one transaction wrote (their rows' xmin). */
    private static long mostStreamsInOneTransaction(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT max(n) FROM (SELECT count(DISTINCT stream_id) AS n"
                        + " FROM annals_events WHERE type = '" + HELD + "' GROUP BY xmin::text) AS t")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long positionOf(JdbcEventStore store, String stream) {
        return store.readStream(stream, 1, 1).get(0).position();
    }
}
