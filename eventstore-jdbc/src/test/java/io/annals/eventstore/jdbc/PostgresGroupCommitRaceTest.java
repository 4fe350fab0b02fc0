package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Group commit under hostile conditions, with real threads against a real server: sessions in
 * repeatable read, a deletion between a group's snapshot and its insert, the group's backend
 * terminated, the store closed while appends wait in line, hostile values in a group, and races
 * of repeats and deletions. Type locks held on connections of the test's own make appends wait
 * in the server and line up in the store, as in {@link PostgresGroupCommitTest}.
 */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@Timeout(180)
class PostgresGroupCommitRaceTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    private static HikariDataSource pool(String url, String isolation) {
        return DB.pool(url, isolation, 12);
    }

    // ------------------------------------------------------------------ repeatable read sessions

    /**
     * A group whose snapshot was taken before an append and a deletion of one of its streams
     * committed, and that then got the type lock it waited for: it reads the stream's head as it
     * was before both, so its row goes in at the version the deletion removed, where nothing
     * collides any more. In read committed the events' trigger reads the deletion afresh and
     * refuses the row; in repeatable read it reads the statement's snapshot, which does not show
     * the deletion.
     */
    @ParameterizedTest(name = "group commit: {0}")
    @ValueSource(booleans = {true, false})
    void an_append_whose_snapshot_predates_a_deletion_is_refused_in_repeatable_read(boolean group) throws Exception {
        String url = DB.newSchemaUrl("rrdel");
        HikariDataSource pool = pool(url, "TRANSACTION_REPEATABLE_READ");
        try (JdbcEventStore store =
                JdbcEventStore.builder(pool).groupCommit(group).open()) {
            store.append("victim", ExpectedVersion.noStream(), List.of(EventData.of("Setup", "{}")));
            String space = PostgresTestDatabase.schemaOf(url);
            Map<String, Object> outcomes = new ConcurrentHashMap<>();
            List<Thread> threads = new ArrayList<>();
            try (Lock a = new Lock(space, "A");
                    Lock b = new Lock(space, "B")) {
                if (group) {
                    // two appends fill the store's writers; the next ones line up behind them
                    for (int i = 0; i < 2; i++) {
                        String stream = "filler-" + i;
                        threads.add(start(
                                outcomes,
                                stream,
                                () -> store.append(
                                        stream, ExpectedVersion.noStream(), List.of(EventData.of("A", "{}")))));
                    }
                    a.awaitWaiting(2);
                }
                Thread victim = start(
                        outcomes,
                        "victim",
                        () -> store.append(
                                "victim", ExpectedVersion.any(), List.of(EventData.of("B", "{\"late\":true}"))));
                threads.add(victim);
                if (group) {
                    threads.add(start(
                            outcomes,
                            "bystander",
                            () -> store.append(
                                    "bystander", ExpectedVersion.noStream(), List.of(EventData.of("B", "{}")))));
                    awaitParked(threads.subList(2, 4));
                    a.release(); // the fillers commit; the next in line writes the group
                }
                b.awaitWaiting(1); // the append (or group) took its snapshot and waits for B
                // meanwhile the stream moves on and is deleted
                store.append("victim", ExpectedVersion.any(), List.of(EventData.of("C", "{}")));
                store.deleteStream("victim", ExpectedVersion.any());
            }
            for (Thread t : threads) {
                t.join(60_000);
                assertThat(t.isAlive()).isFalse();
            }
            assertThat(rowsOf(url, "victim"))
                    .as(
                            "the rows of the deleted stream: its tombstone alone (the late append returned %s)",
                            outcomes.get("victim"))
                    .containsExactly("3:$stream-deleted");
            assertThat(outcomes.get("victim"))
                    .as("an append to a stream deleted before it wrote")
                    .isInstanceOf(StreamDeletedException.class);
        }
    }

    /**
     * The failures of a group's members under sessions stricter than read committed, where a
     * row that collides with one committed after the statement's snapshot fails the whole
     * statement (serialization failure) instead of being skipped: each still gets its own outcome.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"TRANSACTION_REPEATABLE_READ", "TRANSACTION_SERIALIZABLE"})
    void a_group_in_strict_sessions_gives_each_append_its_own_outcome(String isolation) throws Exception {
        String url = DB.newSchemaUrl("strictgroup");
        try (JdbcEventStore store = JdbcEventStore.builder(pool(url, isolation)).open()) {
            store.append("taken", ExpectedVersion.noStream(), List.of(EventData.of("Setup", "{}")));
            UUID owned = UUID.randomUUID();
            store.append("owner", ExpectedVersion.noStream(), List.of(new EventData(owned, "Setup", "{}", Map.of())));
            EventData original = new EventData(UUID.randomUUID(), "A", "{\"first\":true}", Map.of());
            AppendResult first = store.append("repeat", ExpectedVersion.noStream(), List.of(original));
            store.append("gone", ExpectedVersion.noStream(), List.of(EventData.of("Setup", "{}")));
            store.deleteStream("gone", ExpectedVersion.any());

            String space = PostgresTestDatabase.schemaOf(url);
            Map<String, Object> outcomes = new ConcurrentHashMap<>();
            List<Thread> threads = new ArrayList<>();
            List<Thread> members = new ArrayList<>();
            try (Lock a = new Lock(space, "A")) {
                threads.addAll(takeBothPlaces(store, a, outcomes));
                Map<String, Supplier<AppendResult>> calls = new LinkedHashMap<>();
                for (int i = 0; i < 6; i++) {
                    String stream = "fine-" + i;
                    calls.put(
                            stream,
                            () -> store.append(stream, ExpectedVersion.noStream(), List.of(EventData.of("A", "{}"))));
                }
                calls.put(
                        "wrong",
                        () -> store.append("taken", ExpectedVersion.noStream(), List.of(EventData.of("A", "{}"))));
                calls.put(
                        "stolen id",
                        () -> store.append(
                                "thief",
                                ExpectedVersion.noStream(),
                                List.of(new EventData(owned, "A", "{}", Map.of()))));
                calls.put("repeat", () -> store.append("repeat", ExpectedVersion.noStream(), List.of(original)));
                calls.put(
                        "deleted", () -> store.append("gone", ExpectedVersion.any(), List.of(EventData.of("A", "{}"))));
                for (Map.Entry<String, Supplier<AppendResult>> call : calls.entrySet()) {
                    Thread t = start(outcomes, call.getKey(), call.getValue());
                    threads.add(t);
                    members.add(t);
                }
                awaitParked(members);
            }
            for (Thread t : threads) {
                t.join(60_000);
            }
            for (int i = 0; i < 6; i++) {
                assertThat(outcomes.get("fine-" + i)).isInstanceOf(AppendResult.class);
            }
            assertThat(outcomes.get("wrong")).isInstanceOf(WrongExpectedVersionException.class);
            assertThat(outcomes.get("stolen id")).isInstanceOf(DuplicateEventIdException.class);
            assertThat(outcomes.get("repeat")).isEqualTo(first);
            assertThat(outcomes.get("deleted")).isInstanceOf(StreamDeletedException.class);
            assertThat(mostStreamsInOneTransaction(url, "A")).isGreaterThan(1);
        }
    }

    /**
     * A group held open for seconds after its insert while later appends commit around it: a
     * reader tailing readAll throughout must wait for it, and see every event once, in order.
     */
    @Test
    void a_tailing_reader_waits_for_a_group_held_open_and_skips_nothing() throws Exception {
        String url = DB.newSchemaUrl("heldgroup");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            try (Connection c = DriverManager.getConnection(url);
                    Statement st = c.createStatement()) {
                st.execute("""
                        CREATE FUNCTION hold_group() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF EXISTS (SELECT 1 FROM new_rows WHERE stream_id = 'held-open') THEN
                                PERFORM pg_sleep(3);
                            END IF;
                            RETURN NULL;
                        END $$""");
                st.execute("CREATE TRIGGER hold_group AFTER INSERT ON annals_events"
                        + " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hold_group()");
            }
            String space = PostgresTestDatabase.schemaOf(url);
            Map<String, Object> outcomes = new ConcurrentHashMap<>();
            List<Thread> threads = new ArrayList<>();
            List<Thread> members = new ArrayList<>();
            List<RecordedEvent> tailed = new ArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            List<Throwable> failures = new ArrayList<>();
            Thread reader = new Thread(() -> {
                long after = 0;
                try {
                    while (true) {
                        boolean last = stop.get();
                        List<RecordedEvent> page = store.readAll(after, 100);
                        for (RecordedEvent e : page) {
                            tailed.add(e);
                            after = e.position();
                        }
                        if (last && page.isEmpty()) {
                            return;
                        }
                        Thread.sleep(2);
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            reader.start();
            try (Lock a = new Lock(space, "A")) {
                threads.addAll(takeBothPlaces(store, a, outcomes));
                for (String stream : List.of("held-open", "g-1", "g-2", "g-3", "g-4", "g-5")) {
                    Thread t = start(
                            outcomes,
                            stream,
                            () -> store.append(stream, ExpectedVersion.noStream(), List.of(EventData.of("A", "{}"))));
                    threads.add(t);
                    members.add(t);
                }
                awaitParked(members);
            }
            Thread.sleep(300); // the group inserted its rows and sleeps before it commits
            for (int i = 0; i < 40; i++) {
                store.append("later-" + i, ExpectedVersion.noStream(), List.of(EventData.of("L", "{}")));
            }
            assertThat(outcomes).as("the group still open").doesNotContainKey("held-open");
            for (Thread t : threads) {
                t.join(60_000);
            }
            stop.set(true);
            reader.join(60_000);
            assertThat(failures).isEmpty();
            assertThat(outcomes.values()).allMatch(AppendResult.class::isInstance);
            List<RecordedEvent> all = store.readAll(0, 1000);
            assertThat(all).hasSize(48);
            assertThat(tailed)
                    .extracting(RecordedEvent::position)
                    .containsExactlyElementsOf(
                            all.stream().map(RecordedEvent::position).toList());
            assertThat(mostStreamsInOneTransaction(url, "A")).isEqualTo(6);
        }
    }

    // ------------------------------------------------------------------ a group's backend killed

    @Test
    void a_group_whose_backend_is_terminated_goes_again_and_writes_each_append_once() throws Exception {
        String url = DB.newSchemaUrl("kill");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            String space = PostgresTestDatabase.schemaOf(url);
            Map<String, Object> outcomes = new ConcurrentHashMap<>();
            List<Thread> threads = new ArrayList<>();
            List<Thread> members = new ArrayList<>();
            try (Lock a = new Lock(space, "A");
                    Lock b = new Lock(space, "B")) {
                threads.addAll(takeBothPlaces(store, a, outcomes));
                for (int i = 0; i < 8; i++) {
                    String stream = "member-" + i;
                    int n = i;
                    Thread t = start(
                            outcomes,
                            stream,
                            () -> store.append(
                                    stream,
                                    ExpectedVersion.noStream(),
                                    List.of(EventData.of("B", "{\"n\":" + n + "}"))));
                    threads.add(t);
                    members.add(t);
                }
                awaitParked(members);
                a.release();
                b.awaitWaiting(1);
                int killed = b.terminateWaiters();
                assertThat(killed).isEqualTo(1);
            }
            for (Thread t : threads) {
                t.join(60_000);
                assertThat(t.isAlive())
                        .as("an append still runs a minute later")
                        .isFalse();
            }
            for (int i = 0; i < 8; i++) {
                assertThat(outcomes.get("member-" + i)).isInstanceOf(AppendResult.class);
                assertThat(store.readStream("member-" + i, 1, 10))
                        .extracting(RecordedEvent::json)
                        .containsExactly("{\"n\":" + i + "}");
            }
        }
    }

    // ------------------------------------------------------------------ close while in line

    @ParameterizedTest(name = "group commit: {0}")
    @ValueSource(booleans = {true, false})
    void closing_the_store_while_appends_wait_ends_every_call(boolean group) throws Exception {
        String url = DB.newSchemaUrl("close");
        JdbcEventStore store = JdbcEventStore.builder(url).groupCommit(group).open();
        String space = PostgresTestDatabase.schemaOf(url);
        Map<String, Object> outcomes = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        long closedIn;
        try (Lock a = new Lock(space, "A")) {
            for (int i = 0; i < 6; i++) {
                String stream = "waiting-" + i;
                threads.add(start(
                        outcomes,
                        stream,
                        () -> store.append(stream, ExpectedVersion.noStream(), List.of(EventData.of("A", "{}")))));
            }
            if (group) {
                a.awaitWaiting(2);
                awaitParked(threads, 4);
            } else {
                a.awaitWaiting(6);
            }
            Thread.sleep(200);
            long t0 = System.nanoTime();
            Thread closer = new Thread(store::close);
            closer.start();
            closer.join(60_000);
            closedIn = (System.nanoTime() - t0) / 1_000_000;
            assertThat(closer.isAlive()).as("close() still runs a minute later").isFalse();
            for (Thread t : threads) {
                t.join(30_000);
            }
            assertThat(threads)
                    .as("appends still waiting 30 s after close() returned in %d ms (the lock still held)", closedIn)
                    .noneMatch(Thread::isAlive);
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
    }

    // ------------------------------------------------------------------ hostile values

    @Test
    void hostile_values_in_a_group_round_trip_exactly() throws Exception {
        String url = DB.newSchemaUrl("hostile");
        List<String> nasty = List.of(
                "NULL",
                "null",
                "\"",
                "\\",
                "\\\\\"",
                "{a,b}",
                "a,b",
                "{}",
                " padded ",
                "it's",
                "\"NULL\"",
                "é\u00a0ü \u4e2d\u6587 \ud83d\ude00",
                "back\\slash\"quote{brace}comma,",
                "NuLl",
                "[1,2]",
                "(x)");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            String space = PostgresTestDatabase.schemaOf(url);
            Map<String, Object> outcomes = new ConcurrentHashMap<>();
            Map<String, EventData> sent = new LinkedHashMap<>();
            List<Thread> threads = new ArrayList<>();
            List<Thread> members = new ArrayList<>();
            try (Lock a = new Lock(space, "A")) {
                threads.addAll(takeBothPlaces(store, a, outcomes));
                for (int i = 0; i < nasty.size(); i++) {
                    String v = nasty.get(i);
                    String stream = v.isBlank() ? "blank" + i : v;
                    String json = "{ \"v\" : " + jsonString(v) + " , \"k\":[ " + jsonString(v) + " ] }";
                    EventData e = new EventData(UUID.randomUUID(), "A", json, Map.of(v, v, "n", "NULL"));
                    sent.put(stream, e);
                    Thread t =
                            start(outcomes, stream, () -> store.append(stream, ExpectedVersion.noStream(), List.of(e)));
                    threads.add(t);
                    members.add(t);
                }
                awaitParked(members, members.size());
            }
            for (Thread t : threads) {
                t.join(60_000);
            }
            for (Map.Entry<String, EventData> s : sent.entrySet()) {
                assertThat(outcomes.get(s.getKey())).as(s.getKey()).isInstanceOf(AppendResult.class);
                List<RecordedEvent> read = store.readStream(s.getKey(), 1, 10);
                assertThat(read).hasSize(1);
                RecordedEvent r = read.get(0);
                assertThat(r.streamId()).isEqualTo(s.getKey());
                assertThat(r.eventId()).isEqualTo(s.getValue().eventId());
                assertThat(r.json()).isEqualTo(s.getValue().json());
                assertThat(r.metadata()).isEqualTo(s.getValue().metadata());
                assertThat(outcomes.get(s.getKey())).isEqualTo(new AppendResult(1, r.position()));
            }
            assertThat(mostStreamsInOneTransaction(url, "A")).isGreaterThan(2);
        }
    }

    private static String jsonString(String v) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.append('"').toString();
    }

    // ------------------------------------------------------------------ races

    /**
     * Threads repeat a few appends (same event id, same stream, any(), noStream() or exactly(0))
     * while others append the same ids to streams of their own: for each id exactly one append
     * stores it; if an append to its own stream won, every repeat returns that result and every
     * other stream's append fails with a duplicate id; if another stream won, all the rest fail.
     */
    @Test
    void racing_repeats_and_stolen_ids_store_each_event_once() throws Exception {
        String url = DB.newSchemaUrl("repeat");
        int threads = 12;
        int rounds = 60;
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            List<Throwable> failures = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                UUID[] ids = {UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID()};
                int round = r;
                CyclicBarrier start = new CyclicBarrier(threads);
                List<Thread> workers = new ArrayList<>();
                Map<String, Object> outcomes = new ConcurrentHashMap<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    int which = id % 3;
                    EventData e = new EventData(ids[which], "Rep", "{\"w\":" + which + "}", Map.of());
                    String stream = id >= 9 ? "thief-" + round + "-" + id : "rep-" + round + "-" + which;
                    ExpectedVersion expected = switch (id % 4) {
                        case 0 -> ExpectedVersion.noStream();
                        case 1 -> ExpectedVersion.exactly(0);
                        default -> ExpectedVersion.any();
                    };
                    Thread w = new Thread(() -> {
                        try {
                            start.await();
                            outcomes.put(id + "", store.append(stream, expected, List.of(e)));
                        } catch (RuntimeException ex) {
                            outcomes.put(id + "", ex);
                        } catch (Throwable ex) {
                            synchronized (failures) {
                                failures.add(ex);
                            }
                        }
                    });
                    workers.add(w);
                    w.start();
                }
                for (Thread w : workers) {
                    w.join(60_000);
                }
                for (int which = 0; which < 3; which++) {
                    List<RecordedEvent> own = store.readStream("rep-" + round + "-" + which, 1, 10);
                    List<RecordedEvent> holders = new ArrayList<>(own);
                    for (int t = which + 9; t < threads; t += 3) {
                        holders.addAll(store.readStream("thief-" + round + "-" + t, 1, 10));
                    }
                    int storedBy = holders.size();
                    RecordedEvent stored = holders.isEmpty() ? null : holders.get(0);
                    assertThat(storedBy).as("id %s stored once", ids[which]).isEqualTo(1);
                    for (int t = which; t < threads; t += 3) {
                        Object outcome = outcomes.get(t + "");
                        boolean ownStream = t < 9;
                        boolean won =
                                ownStream ? !own.isEmpty() : stored.streamId().equals("thief-" + round + "-" + t);
                        if (won) {
                            assertThat(outcome)
                                    .as("round %d, thread %d (%s)", round, t, ids[which])
                                    .isEqualTo(new AppendResult(stored.version(), stored.position()));
                        } else {
                            assertThat(outcome)
                                    .as("round %d, thread %d (%s)", round, t, ids[which])
                                    .isInstanceOf(DuplicateEventIdException.class);
                        }
                    }
                }
            }
            assertThat(failures).isEmpty();
            assertThat(store.readAll(0, 100_000)).hasSize(rounds * 3);
        }
    }

    /**
     * Appenders race deletions of the streams they append to (any(), exactly(), noStream()):
     * nothing is ever stored after a tombstone, every acknowledged append was either removed by
     * the deletion or is in its stream at its version, and a reader tailing readAll sees every
     * event once, in order.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"read committed", "repeatable read", "repeatable read, no group commit"})
    void deletions_racing_grouped_appends_leave_no_event_after_a_tombstone(String sessions) throws Exception {
        String url = DB.newSchemaUrl("delrace");
        int writers = 10;
        try (JdbcEventStore store = sessions.startsWith("repeatable read")
                ? JdbcEventStore.builder(pool(url, "TRANSACTION_REPEATABLE_READ"))
                        .groupCommit(!sessions.endsWith("no group commit"))
                        .open()
                : JdbcEventStore.open(url)) {
            try (Connection c = DriverManager.getConnection(url);
                    Statement st = c.createStatement()) {
                // each statement that inserts events takes a few ms: appends line up and group
                st.execute("""
                        CREATE FUNCTION slow_statement() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN PERFORM pg_sleep(random() * 0.006); RETURN NULL; END $$""");
                st.execute("CREATE TRIGGER slow_statement AFTER INSERT ON annals_events FOR EACH STATEMENT "
                        + "EXECUTE FUNCTION slow_statement()");
            }
            long deadline = System.nanoTime() + 12_000_000_000L;
            List<Throwable> failures = new ArrayList<>();
            Map<String, Set<Long>> acked = new ConcurrentHashMap<>();
            Map<UUID, AppendResult> ackedIds = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < writers; t++) {
                int id = t;
                workers.add(new Thread(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    try {
                        while (System.nanoTime() < deadline) {
                            String stream = "d-" + window(deadline, rnd);
                            EventData e = new EventData(UUID.randomUUID(), "T" + rnd.nextInt(4), "{}", Map.of());
                            try {
                                ExpectedVersion expected;
                                int k = rnd.nextInt(3);
                                if (k == 0) {
                                    expected = ExpectedVersion.any();
                                } else if (k == 1) {
                                    expected = ExpectedVersion.noStream();
                                } else {
                                    expected = ExpectedVersion.exactly(store.currentVersion(stream));
                                }
                                AppendResult r = store.append(stream, expected, List.of(e));
                                assertThat(acked.computeIfAbsent(stream, s -> ConcurrentHashMap.newKeySet())
                                                .add(r.version()))
                                        .as("version %d of %s acknowledged twice", r.version(), stream)
                                        .isTrue();
                                ackedIds.put(e.eventId(), r);
                            } catch (StreamDeletedException | WrongExpectedVersionException expectedFailure) {
                                // fine
                            }
                        }
                    } catch (Throwable e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                }));
            }
            Thread deleter = new Thread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                try {
                    while (System.nanoTime() < deadline) {
                        try {
                            store.deleteStream("d-" + window(deadline, rnd), ExpectedVersion.any());
                        } catch (StreamDeletedException | WrongExpectedVersionException fine) {
                            // fine
                        }
                        Thread.sleep(rnd.nextInt(5));
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            List<RecordedEvent> tailed = new ArrayList<>();
            Thread reader = new Thread(() -> {
                long after = 0;
                try {
                    while (!stop.get()) {
                        List<RecordedEvent> page = store.readAll(after, 500);
                        for (RecordedEvent e : page) {
                            tailed.add(e);
                            after = e.position();
                        }
                        if (page.isEmpty()) {
                            Thread.sleep(1);
                        }
                    }
                    List<RecordedEvent> page;
                    while (!(page = store.readAll(after, 500)).isEmpty()) {
                        for (RecordedEvent e : page) {
                            tailed.add(e);
                            after = e.position();
                        }
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            workers.forEach(Thread::start);
            deleter.start();
            reader.start();
            for (Thread w : workers) {
                w.join(120_000);
            }
            deleter.join(60_000);
            stop.set(true);
            reader.join(60_000);
            assertThat(failures).isEmpty();

            // no event after a tombstone, nor any but the tombstone in a deleted stream
            try (Connection c = DriverManager.getConnection(url);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT e.stream_id, e.version, e.type FROM annals_events e"
                            + " JOIN annals_deleted_streams d ON d.stream_id = e.stream_id"
                            + " WHERE e.type <> '$stream-deleted' OR e.version <> d.version")) {
                List<String> wrong = new ArrayList<>();
                while (rs.next()) {
                    wrong.add(rs.getString(1) + "@" + rs.getLong(2) + ":" + rs.getString(3));
                }
                assertThat(wrong).as("events of deleted streams").isEmpty();
            }
            // every acknowledged event is either stored where it was acknowledged or was removed
            try (Connection c = DriverManager.getConnection(url)) {
                Map<UUID, String> where = new ConcurrentHashMap<>();
                try (Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("SELECT event_id, version, position FROM annals_events"
                                + " UNION ALL SELECT event_id, version, position FROM annals_removed_events")) {
                    while (rs.next()) {
                        assertThat(where.put((UUID) rs.getObject(1), rs.getLong(2) + "@" + rs.getLong(3)))
                                .isNull();
                    }
                }
                for (Map.Entry<UUID, AppendResult> e : ackedIds.entrySet()) {
                    assertThat(where.get(e.getKey()))
                            .as("acknowledged event %s", e.getKey())
                            .isEqualTo(
                                    e.getValue().version() + "@" + e.getValue().position());
                }
            }
            // the tail read every event in order once (deleted ones may have gone before it came)
            List<Long> positions = tailed.stream().map(RecordedEvent::position).toList();
            assertThat(positions).isSorted().doesNotHaveDuplicates();
            Set<Long> seen = new java.util.HashSet<>(positions);
            try (Connection c = DriverManager.getConnection(url);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT position FROM annals_events")) {
                while (rs.next()) {
                    assertThat(seen).as("an event the tailing reader skipped").contains(rs.getLong(1));
                }
            }
            assertThat(mostStreamsInOneTransaction(url, null))
                    .isGreaterThan(sessions.endsWith("no group commit") ? 0 : 1);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** One of 30 streams of a window that moves on every 300 ms, so that some outlive deletions. */
    private static long window(long deadline, ThreadLocalRandom rnd) {
        return (deadline - System.nanoTime()) / 300_000_000L * 30 + rnd.nextInt(30);
    }

    /**
     * Two appends of type A ("filler-0", "filler-1") that take the store's two places and wait in
     * the server for {@code a}, so that the appends after them line up; their threads.
     */
    static List<Thread> takeBothPlaces(JdbcEventStore store, Lock a, Map<String, Object> outcomes) throws Exception {
        List<Thread> fillers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String stream = "filler-" + i;
            fillers.add(start(
                    outcomes,
                    stream,
                    () -> store.append(stream, ExpectedVersion.noStream(), List.of(EventData.of("A", "{}")))));
        }
        a.awaitWaiting(2);
        return fillers;
    }

    static Thread start(Map<String, Object> outcomes, String name, Supplier<AppendResult> call) {
        Thread t = new Thread(() -> {
            try {
                outcomes.put(name, call.get());
            } catch (RuntimeException e) {
                outcomes.put(name, e);
            }
        });
        t.start();
        return t;
    }

    static void awaitParked(List<Thread> threads) throws InterruptedException {
        awaitParked(threads, threads.size());
    }

    private static void awaitParked(List<Thread> threads, int n) throws InterruptedException {
        for (int i = 0; i < 3000; i++) {
            if (threads.stream()
                            .filter(t -> t.getState() == Thread.State.WAITING)
                            .count()
                    == n) {
                Thread.sleep(50);
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the appends did not line up");
    }

    /** The advisory lock of an event type, held on a connection of the test's own. */
    static final class Lock implements AutoCloseable {
        private final Connection c;
        private final int space;
        private final int key;
        private boolean held;

        Lock(String schema, String type) throws SQLException {
            this.c = DriverManager.getConnection(PostgresTestDatabase.URL);
            this.space = LockKeys.space(schema, TableNames.DEFAULT_PREFIX);
            this.key = LockKeys.type(type);
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(?, ?)")) {
                ps.setInt(1, space);
                ps.setInt(2, key);
                ps.execute();
            }
            held = true;
        }

        private PreparedStatement waiters(String what) throws SQLException {
            PreparedStatement ps = c.prepareStatement("SELECT " + what + " FROM pg_locks WHERE locktype = 'advisory'"
                    + " AND classid = ?::oid AND objid = ?::oid AND objsubid = 2 AND NOT granted");
            ps.setLong(1, Integer.toUnsignedLong(space));
            ps.setLong(2, Integer.toUnsignedLong(key));
            return ps;
        }

        void awaitWaiting(int n) throws Exception {
            try (PreparedStatement ps = waiters("count(*)")) {
                for (int i = 0; i < 3000; i++) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getLong(1) == n) {
                            return;
                        }
                    }
                    Thread.sleep(10);
                }
            }
            throw new AssertionError("never " + n + " waiting for the lock");
        }

        int terminateWaiters() throws SQLException {
            int n = 0;
            try (PreparedStatement ps = waiters("pg_terminate_backend(pid)");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    n += rs.getBoolean(1) ? 1 : 0;
                }
            }
            return n;
        }

        void release() throws SQLException {
            if (held) {
                held = false;
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(?, ?)")) {
                    ps.setInt(1, space);
                    ps.setInt(2, key);
                    ps.execute();
                }
            }
        }

        @Override
        public void close() throws SQLException {
            try {
                release();
            } finally {
                c.close();
            }
        }
    }

    static List<String> rowsOf(String url, String stream) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement ps = c.prepareStatement(
                        "SELECT version, type FROM annals_events WHERE stream_id = ? ORDER BY version")) {
            ps.setString(1, stream);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(rs.getLong(1) + ":" + rs.getString(2));
                }
            }
        }
        return rows;
    }

    /** The most streams whose events of {@code type} (null: any) one transaction wrote. */
    private static long mostStreamsInOneTransaction(String url, String type) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT max(n) FROM (SELECT count(DISTINCT stream_id) AS n"
                        + " FROM annals_events" + (type == null ? "" : " WHERE type = '" + type + "'")
                        + " GROUP BY xmin::text) AS t")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
