package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.AppendConditionFailedException;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.DuplicateEventIdException;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.WrongExpectedVersionException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit on SQLite: appends that line up behind the one holding the writers' turn share its
 * successor's transaction, each keeping its own checks and errors. The tests hold the database
 * with {@code BEGIN IMMEDIATE} on a connection of their own (another process's writer, as far as
 * the store can tell), so that the first append waits in SQLite and the next ones line up in the
 * store; released, the line goes as one group. Commits are counted in the write-ahead log: the
 * frames that end a transaction.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@Timeout(120)
class SqliteGroupCommitTest {

    @TempDir
    Path dir;

    @Test
    void appends_that_line_up_share_a_commit_and_each_gets_its_own_result() throws Exception {
        Path file = dir.resolve("group.db");
        try (JdbcEventStore store = open(file, true)) {
            Map<String, Supplier<Object>> calls = new LinkedHashMap<>();
            for (int i = 0; i < 12; i++) {
                String stream = "line-" + i;
                EventData e = EventData.of("Lined", "{\"i\":" + i + "}");
                if (i % 3 == 0) { // with tags: the transaction of an append across streams
                    calls.put(
                            stream,
                            () -> store.append(List.of(new StreamAppend(
                                    stream,
                                    ExpectedVersion.noStream(),
                                    List.of(e.withTags(Set.of("n:" + n(stream))))))));
                } else if (i % 3 == 1) { // several events: a transaction of their own when alone
                    calls.put(
                            stream,
                            () -> store.append(
                                    stream,
                                    ExpectedVersion.noStream(),
                                    List.of(e, EventData.of("Lined", "{\"second\":true}"))));
                } else {
                    calls.put(stream, () -> store.append(stream, ExpectedVersion.noStream(), List.of(e)));
                }
            }
            int before = commits(file);
            Map<String, Object> outcomes = whileHeld(file, calls);

            assertThat(commits(file) - before)
                    .as("the first append alone, then the eleven in line behind it together")
                    .isEqualTo(2);
            for (int i = 0; i < 12; i++) {
                String stream = "line-" + i;
                List<RecordedEvent> events = store.readStream(stream, 1, 10);
                assertThat(events.get(0).json()).isEqualTo("{\"i\":" + i + "}");
                AppendResult last = new AppendResult(
                        events.size(), events.get(events.size() - 1).position());
                Object outcome = outcomes.get(stream);
                assertThat(outcome instanceof List<?> l ? l.get(0) : outcome).isEqualTo(last);
            }
            assertGapFree(store);
        }
    }

    @Test
    void a_failing_append_in_a_group_fails_alone_and_the_others_commit() throws Exception {
        Path file = dir.resolve("failing.db");
        try (JdbcEventStore store = open(file, true)) {
            store.append("taken", ExpectedVersion.noStream(), List.of(EventData.of("Lined", "{}")));
            EventData stored = EventData.of("Lined", "{\"stored\":true}");
            store.append("owner", ExpectedVersion.noStream(), List.of(stored));
            store.append(List.of(new StreamAppend(
                    "tagged",
                    ExpectedVersion.noStream(),
                    List.of(EventData.of("Lined", "{}").withTags(Set.of("sku:1"))))));

            Map<String, Supplier<Object>> calls = new LinkedHashMap<>();
            calls.put(
                    "ok-0",
                    () -> store.append("ok-0", ExpectedVersion.noStream(), List.of(EventData.of("Lined", "{}"))));
            calls.put(
                    "taken", () -> store.append("taken", ExpectedVersion.noStream(), List.of(EventData.of("X", "{}"))));
            calls.put("ok-1", () -> store.append("ok-1", ExpectedVersion.any(), List.of(EventData.of("Lined", "{}"))));
            calls.put("stolen-id", () -> store.append("stolen-id", ExpectedVersion.any(), List.of(stored)));
            calls.put(
                    "ok-2",
                    () -> store.append(List.of(new StreamAppend(
                            "ok-2",
                            ExpectedVersion.noStream(),
                            List.of(EventData.of("Lined", "{}").withTags(Set.of("sku:2")))))));
            calls.put(
                    "condition",
                    () -> store.append(
                            List.of(new StreamAppend(
                                    "condition", ExpectedVersion.noStream(), List.of(EventData.of("X", "{}")))),
                            AppendCondition.noEventsMatch(Query.of(QueryItem.tags("sku:1")))));
            calls.put("repeat", () -> store.append("owner", ExpectedVersion.noStream(), List.of(stored)));
            calls.put(
                    "ok-3",
                    () -> store.append("ok-3", ExpectedVersion.noStream(), List.of(EventData.of("Lined", "{}"))));
            int before = commits(file);
            Map<String, Object> outcomes = whileHeld(file, calls);

            assertThat(outcomes.get("taken")).isInstanceOf(WrongExpectedVersionException.class);
            assertThat(outcomes.get("stolen-id")).isInstanceOf(DuplicateEventIdException.class);
            assertThat(outcomes.get("condition")).isInstanceOf(AppendConditionFailedException.class);
            assertThat(outcomes.get("repeat"))
                    .as("a repeat of a stored append gets its original result")
                    .isEqualTo(new AppendResult(
                            1, store.readStream("owner", 1, 1).get(0).position()));
            for (String ok : List.of("ok-0", "ok-1", "ok-2", "ok-3")) {
                assertThat(outcomes.get(ok)).as(ok).isNotInstanceOf(Throwable.class);
                assertThat(store.readStream(ok, 1, 10)).as(ok).hasSize(1);
            }
            assertThat(store.readStream("taken", 1, 10)).hasSize(1);
            assertThat(store.readStream("stolen-id", 1, 10)).isEmpty();
            assertThat(store.readStream("condition", 1, 10)).isEmpty();
            assertThat(store.readStream("owner", 1, 10)).hasSize(1);
            assertThat(commits(file) - before)
                    .as("the first in line alone, then the rest together; refused appends commit nothing")
                    .isBetween(1, 2);
            assertGapFree(store);
        }
    }

    @Test
    void two_appends_to_one_stream_in_line_commit_in_order_and_the_second_sees_the_first() throws Exception {
        Path file = dir.resolve("order.db");
        try (JdbcEventStore store = open(file, true);
                Connection other = DriverManager.getConnection(url(file));
                Statement st = other.createStatement()) {
            int before = commits(file);
            st.execute("BEGIN IMMEDIATE");
            Map<String, Object> outcomes = new ConcurrentHashMap<>();
            Thread first = start("first", outcomes, () -> store.append("elsewhere", ExpectedVersion.noStream(), one()));
            awaitInSqlite(first);
            Thread a = start("a", outcomes, () -> store.append("s", ExpectedVersion.noStream(), one()));
            awaitParked(a);
            Thread b = start("b", outcomes, () -> store.append("s", ExpectedVersion.exactly(1), one()));
            awaitParked(b);
            st.execute("ROLLBACK");
            for (Thread t : List.of(first, a, b)) {
                t.join();
            }
            assertThat(outcomes.get("a"))
                    .isEqualTo(new AppendResult(
                            1, store.readStream("s", 1, 1).get(0).position()));
            assertThat(outcomes.get("b"))
                    .isEqualTo(new AppendResult(
                            2, store.readStream("s", 2, 1).get(0).position()));
            assertThat(commits(file) - before).isEqualTo(2);
        }
    }

    @Test
    void without_group_commit_every_append_has_a_commit_of_its_own() throws Exception {
        Path file = dir.resolve("off.db");
        try (JdbcEventStore store = open(file, false)) {
            Map<String, Supplier<Object>> calls = new LinkedHashMap<>();
            for (int i = 0; i < 6; i++) {
                String stream = "alone-" + i;
                calls.put(stream, () -> store.append(stream, ExpectedVersion.noStream(), one()));
            }
            int before = commits(file);
            Map<String, Object> outcomes = whileHeld(file, calls);
            assertThat(outcomes.values()).allMatch(AppendResult.class::isInstance);
            assertThat(commits(file) - before).isEqualTo(6);
        }
    }

    @Test
    void an_append_interrupted_in_line_writes_nothing_and_the_line_goes_on() throws Exception {
        Path file = dir.resolve("interrupted.db");
        try (JdbcEventStore store = open(file, true);
                Connection other = DriverManager.getConnection(url(file));
                Statement st = other.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            Map<String, Object> outcomes = new ConcurrentHashMap<>();
            Thread first = start("first", outcomes, () -> store.append("first", ExpectedVersion.noStream(), one()));
            awaitInSqlite(first);
            Thread quitter =
                    start("quitter", outcomes, () -> store.append("quitter", ExpectedVersion.noStream(), one()));
            awaitParked(quitter);
            Thread stayer = start("stayer", outcomes, () -> store.append("stayer", ExpectedVersion.noStream(), one()));
            awaitParked(stayer);
            quitter.interrupt();
            quitter.join();
            st.execute("ROLLBACK");
            first.join();
            stayer.join();

            assertThat(outcomes.get("quitter")).isInstanceOf(InterruptedWaitException.class);
            assertThat(store.readStream("quitter", 1, 1)).isEmpty();
            assertThat(outcomes.get("first")).isInstanceOf(AppendResult.class);
            assertThat(outcomes.get("stayer")).isInstanceOf(AppendResult.class);
            assertGapFree(store);
        }
    }

    @Test
    void racing_writers_on_shared_streams_lose_nothing_and_write_nothing_twice() throws Exception {
        Path file = dir.resolve("race.db");
        int threads = 8;
        int rounds = 150;
        List<String> streams = List.of("r-0", "r-1", "r-2");
        try (JdbcEventStore store = open(file, true)) {
            CyclicBarrier start = new CyclicBarrier(threads);
            Map<String, Integer> landed = new ConcurrentHashMap<>();
            Set<UUID> sent = ConcurrentHashMap.newKeySet();
            List<Thread> workers = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                Thread worker = new Thread(() -> {
                    try {
                        start.await();
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        for (int r = 0; r < rounds; r++) {
                            String stream = streams.get(random.nextInt(streams.size()));
                            EventData e = EventData.of("Raced", "{\"t\":" + me + ",\"r\":" + r + "}");
                            sent.add(e.eventId());
                            switch (r % 4) {
                                case 0 -> store.append(stream, ExpectedVersion.any(), List.of(e));
                                case 1 -> { // an expectation read just before: it may be stale
                                    long version = store.currentVersion(stream);
                                    try {
                                        store.append(stream, ExpectedVersion.exactly(version), List.of(e));
                                    } catch (WrongExpectedVersionException stale) {
                                        sent.remove(e.eventId());
                                        continue;
                                    }
                                }
                                case 2 ->
                                    store.append(List.of(new StreamAppend(
                                            stream, ExpectedVersion.any(), List.of(e.withTags(Set.of("t:" + me))))));
                                default -> {
                                    EventData second = EventData.of("Raced", "{\"second\":" + r + "}");
                                    sent.add(second.eventId());
                                    store.append(stream, ExpectedVersion.any(), List.of(e, second));
                                    landed.merge(stream, 1, Integer::sum);
                                }
                            }
                            landed.merge(stream, 1, Integer::sum);
                            if (r % 20 == 0) { // a repeat of what landed: its original result, nothing new
                                AppendResult again = store.append(stream, ExpectedVersion.any(), List.of(e));
                                assertThat(store.readStream(stream, again.version(), 1)
                                                .get(0)
                                                .eventId())
                                        .isEqualTo(e.eventId());
                            }
                        }
                    } catch (Throwable e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                });
                worker.start();
                workers.add(worker);
            }
            for (Thread w : workers) {
                w.join();
            }
            assertThat(failures).isEmpty();
            Set<UUID> stored = new HashSet<>();
            for (String stream : streams) {
                List<RecordedEvent> events = store.readStream(stream, 1, 100_000);
                assertThat(events).hasSize(landed.getOrDefault(stream, 0));
                for (int i = 0; i < events.size(); i++) {
                    assertThat(events.get(i).version()).isEqualTo(i + 1);
                    assertThat(stored.add(events.get(i).eventId())).isTrue();
                }
            }
            assertThat(stored).isEqualTo(sent);
            assertGapFree(store);
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    private static JdbcEventStore open(Path file, boolean group) {
        // a long busy timeout: the first append waits in SQLite while the others line up
        return JdbcEventStore.builder(url(file))
                .groupCommit(group)
                .maxPoolSize(16)
                .busyTimeout(Duration.ofSeconds(60))
                .open();
    }

    private static String url(Path file) {
        return "jdbc:sqlite:" + file;
    }

    private static List<EventData> one() {
        return List.of(EventData.of("Lined", "{}"));
    }

    private static int n(String stream) {
        return Integer.parseInt(stream.substring(stream.indexOf('-') + 1));
    }

    /**
     * Runs {@code calls} while the database is held: the first waits in SQLite, the others line
     * up behind it in the store; then releases the database. Each call's result or error.
     */
    private static Map<String, Object> whileHeld(Path file, Map<String, Supplier<Object>> calls) throws Exception {
        Map<String, Object> outcomes = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        try (Connection other = DriverManager.getConnection(url(file));
                Statement st = other.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            boolean first = true;
            for (Map.Entry<String, Supplier<Object>> call : calls.entrySet()) {
                Thread t = start(call.getKey(), outcomes, call.getValue());
                threads.add(t);
                if (first) {
                    awaitInSqlite(t);
                    first = false;
                } else {
                    awaitParked(t);
                }
            }
            st.execute("ROLLBACK");
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(outcomes).hasSize(calls.size());
        return outcomes;
    }

    private static Thread start(String name, Map<String, Object> outcomes, Supplier<Object> call) {
        Thread t = new Thread(
                () -> {
                    Object outcome;
                    try {
                        outcome = call.get();
                    } catch (RuntimeException e) {
                        outcome = e;
                    }
                    outcomes.put(name, outcome);
                },
                "append-" + name);
        t.start();
        return t;
    }

    /** Waits until {@code t} waits in SQLite's busy handler (inside the driver's native code). */
    private static void awaitInSqlite(Thread t) throws InterruptedException {
        while (t.isAlive()) {
            for (StackTraceElement frame : t.getStackTrace()) {
                if (frame.isNativeMethod() && frame.getClassName().startsWith("org.sqlite.")) {
                    return;
                }
            }
            Thread.sleep(1);
        }
        throw new AssertionError(t.getName() + " ended before it waited for the database");
    }

    /**
     * Waits until {@code t} waits in line: behind the append that holds the turn (group commit),
     * or for the turn itself (without).
     */
    private static void awaitParked(Thread t) throws InterruptedException {
        while (!inLine(t)) {
            if (!t.isAlive()) {
                throw new AssertionError(t.getName() + " ended before it lined up");
            }
            Thread.sleep(1);
        }
    }

    private static boolean inLine(Thread t) {
        if (t.getState() != Thread.State.TIMED_WAITING && t.getState() != Thread.State.WAITING) {
            return false;
        }
        for (StackTraceElement frame : t.getStackTrace()) {
            String at = frame.getClassName() + "." + frame.getMethodName();
            if (at.equals(TurnGroups.class.getName() + ".awaitTurn")
                    || at.equals(SqliteDialect.class.getName() + ".takeWriteLock")) {
                return true;
            }
        }
        return false;
    }

    /** Every position from the first to the last is one event's: no gap, none twice. */
    private static void assertGapFree(JdbcEventStore store) {
        List<RecordedEvent> all = store.readAll(0, 1_000_000);
        for (int i = 0; i < all.size(); i++) {
            assertThat(all.get(i).position()).isEqualTo(all.get(0).position() + i);
        }
    }

    /**
     * The transactions in the database's write-ahead log: its valid frames (those carrying the
     * log header's salts) that end a transaction, whose header holds the database's size after
     * the commit. The log is not checkpointed in these tests: a few pages stay far below the
     * automatic checkpoint's thousand.
     */
    private static int commits(Path file) throws IOException {
        Path wal = Path.of(file + "-wal");
        if (!Files.exists(wal)) {
            return 0;
        }
        ByteBuffer log = ByteBuffer.wrap(Files.readAllBytes(wal));
        if (log.remaining() < 32) {
            return 0;
        }
        int pageSize = log.getInt(8);
        int salt1 = log.getInt(16);
        int salt2 = log.getInt(20);
        int commits = 0;
        for (int frame = 32; frame + 24 + pageSize <= log.limit(); frame += 24 + pageSize) {
            if (log.getInt(frame + 8) != salt1 || log.getInt(frame + 12) != salt2) {
                break; // left over from before the log last restarted
            }
            if (log.getInt(frame + 4) != 0) {
                commits++;
            }
        }
        return commits;
    }
}
