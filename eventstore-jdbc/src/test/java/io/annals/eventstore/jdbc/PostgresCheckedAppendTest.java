package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.AppendConditionFailedException;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.DuplicateEventIdException;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.StreamDeletedException;
import io.annals.eventstore.WrongExpectedVersionException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An append across streams, with tags or with a condition, sent on PostgreSQL in one round trip
 * (the table's lock and {@code lock-keys}, then {@code append-checked}): what sessions,
 * locks held elsewhere, concurrent repeats and deletions, and hostile values do to it.
 */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@Timeout(300)
class PostgresCheckedAppendTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    private static Query tagQuery(String tag) {
        return Query.of(QueryItem.tags(tag));
    }

    // ------------------------------------------------------------------ sessions

    @Test
    void sixteen_claimants_of_one_tag_one_wins_every_round_on_serializable_and_repeatable_read_sessions()
            throws Exception {
        String serializableUrl = DB.newSchemaUrl("iso") + "&options=-c%20default_transaction_isolation%3Dserializable";
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(DB.newSchemaUrl("iso"));
        config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
        config.setMaximumPoolSize(16);
        try (HikariDataSource theirs = new HikariDataSource(config);
                JdbcEventStore onTheirs = JdbcEventStore.open(theirs);
                JdbcEventStore onUrl =
                        JdbcEventStore.builder(serializableUrl).maxPoolSize(16).open()) {
            for (JdbcEventStore store : List.of(onTheirs, onUrl)) {
                claimRace(store, 16, 100);
            }
        }
    }

    private static void claimRace(JdbcEventStore store, int threads, int rounds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CyclicBarrier decided = new CyclicBarrier(threads);
        try {
            for (int round = 0; round < rounds; round++) {
                String tag = "name:" + round;
                Query query = tagQuery(tag);
                List<Future<Boolean>> attempts = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String stream = "claimant-" + t;
                    attempts.add(pool.submit(() -> {
                        List<RecordedEvent> seen = store.read(query, 0, 10);
                        decided.await(30, TimeUnit.SECONDS);
                        if (!seen.isEmpty()) {
                            return false;
                        }
                        try {
                            store.append(
                                    List.of(new StreamAppend(
                                            stream,
                                            ExpectedVersion.any(),
                                            List.of(EventData.of("Claimed", "{}")
                                                    .withTags(tag)))),
                                    new AppendCondition(query, 0));
                            return true;
                        } catch (AppendConditionFailedException lost) {
                            return false;
                        }
                    }));
                }
                int won = 0;
                for (Future<Boolean> f : attempts) {
                    won += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
                }
                assertThat(won).as("winners of round %d", round).isEqualTo(1);
                assertThat(store.read(query, 0, 10))
                        .as("claims of round %d", round)
                        .hasSize(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void a_checked_append_leaves_the_session_settings_as_it_found_them() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(DB.newSchemaUrl("leak") + "&options=-c%20default_transaction_isolation%3Dserializable");
        config.setMaximumPoolSize(1);
        try (HikariDataSource one = new HikariDataSource(config);
                JdbcEventStore store = JdbcEventStore.open(one)) {
            store.append(
                    List.of(new StreamAppend(
                            "s",
                            ExpectedVersion.noStream(),
                            List.of(EventData.of("E", "{}").withTags("t")))),
                    new AppendCondition(tagQuery("t"), 0));
            // and one that writes nothing, so that the diagnosis runs too
            assertThatThrownBy(() -> store.append(
                            List.of(new StreamAppend(
                                    "s",
                                    ExpectedVersion.noStream(),
                                    List.of(EventData.of("E", "{}").withTags("t")))),
                            new AppendCondition(tagQuery("t"), 0)))
                    .isInstanceOf(WrongExpectedVersionException.class);
            try (Connection c = one.getConnection();
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT current_setting('plan_cache_mode'),"
                            + " current_setting('transaction_isolation')")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("auto");
                assertThat(rs.getString(2)).isEqualTo("serializable");
            }
        }
    }

    /**
     * The server logs every warning it sends (log_min_messages defaults to warning): a statement
     * that warns on every append fills the server's log, one line per append.
     */
    @Test
    void a_checked_append_makes_the_server_warn_about_nothing() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(DB.newSchemaUrl("warn"));
        config.setMaximumPoolSize(2);
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (HikariDataSource pool = new HikariDataSource(config);
                JdbcEventStore store = JdbcEventStore.open(recordingWarnings(pool, warnings))) {
            store.append("plain", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}")));
            assertThat(warnings).as("a plain append").isEmpty();
            store.append(
                    List.of(
                            new StreamAppend("a", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}"))),
                            new StreamAppend(
                                    "b",
                                    ExpectedVersion.noStream(),
                                    List.of(EventData.of("E", "{}").withTags("t")))),
                    new AppendCondition(tagQuery("t"), 0));
            assertThat(store.readAll(0, 10)).hasSize(3);
            assertThat(warnings).as("a checked append").isEmpty();
        }
    }

    /** {@code real}, whose statements add the warnings the server sent them to {@code warnings}. */
    private static javax.sql.DataSource recordingWarnings(javax.sql.DataSource real, List<String> warnings) {
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(
                javax.sql.DataSource.class.getClassLoader(),
                new Class<?>[] {javax.sql.DataSource.class},
                (proxy, method, args) -> {
                    Object result = invoke(real, method, args);
                    if (result instanceof Connection c) {
                        return java.lang.reflect.Proxy.newProxyInstance(
                                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (p, m, a) -> {
                                    Object r = invoke(c, m, a);
                                    if (r instanceof PreparedStatement ps) {
                                        return recording(ps, PreparedStatement.class, warnings);
                                    }
                                    if (r instanceof Statement st) {
                                        return recording(st, Statement.class, warnings);
                                    }
                                    return r;
                                });
                    }
                    return result;
                });
    }

    private static <T extends Statement> T recording(T real, Class<T> type, List<String> warnings) {
        return type.cast(java.lang.reflect.Proxy.newProxyInstance(
                type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        for (java.sql.SQLWarning w = real.getWarnings(); w != null; w = w.getNextWarning()) {
                            // what the server logs (a NOTICE, like CREATE TABLE IF NOT EXISTS's, it does not)
                            if (w instanceof org.postgresql.util.PSQLWarning p
                                    && p.getServerErrorMessage() != null
                                    && "WARNING"
                                            .equals(p.getServerErrorMessage().getSeverity())) {
                                warnings.add(w.getMessage());
                            }
                        }
                    }
                    return invoke(real, method, args);
                }));
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    // ------------------------------------------------------------------ locks

    /**
     * A condition that locks the whole table ({@code SHARE ROW EXCLUSIVE}, then its events' keys)
     * and a conditional append of the one round trip on a tag of those events: the one round trip
     * must not hold its keys while it waits for the table, or the two wait for each other in a
     * circle (a deadlock PostgreSQL breaks after deadlock_timeout, or a lock timeout before that).
     */
    @Test
    void a_condition_that_locks_the_table_and_a_one_trip_append_on_its_tag_never_wait_in_a_circle() throws Exception {
        String url = DB.newSchemaUrl("circle");
        int space = LockKeys.space(PostgresTestDatabase.schemaOf(url), TableNames.DEFAULT_PREFIX);
        int tagKey = LockKeys.tag("name:x");
        // a type whose key the table-locking append takes before the tag's
        String blockerType = null;
        for (int i = 0; blockerType == null; i++) {
            String candidate = "Renamed" + i;
            int k = LockKeys.type(candidate);
            if (k < tagKey && k != LockKeys.WIDE && k != LockKeys.type("Claimed")) {
                blockerType = candidate;
            }
        }
        int blockerKey = LockKeys.type(blockerType);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        // a busy timeout under deadlock_timeout (1 s): a circle shows as a lock timeout
        try (JdbcEventStore store = JdbcEventStore.builder(url)
                        .busyTimeout(Duration.ofMillis(800))
                        .open();
                Connection holder = DriverManager.getConnection(PostgresTestDatabase.URL)) {
            store.append("warm", ExpectedVersion.any(), List.of(EventData.of("Warm", "{}")));
            long warm = store.readAll(0, 10).get(0).position();
            holder.setAutoCommit(false);
            try (PreparedStatement ps = holder.prepareStatement("SELECT pg_advisory_xact_lock(?, ?)")) {
                ps.setInt(1, space);
                ps.setInt(2, blockerKey);
                ps.execute();
            }
            String type = blockerType;
            CompletableFuture<List<AppendResult>> everything = CompletableFuture.supplyAsync(
                    () -> store.append(
                            List.of(new StreamAppend(
                                    "admin",
                                    ExpectedVersion.noStream(),
                                    List.of(EventData.of(type, "{}").withTags("name:x")))),
                            new AppendCondition(Query.all(), warm)),
                    pool);
            awaitAdvisoryWaiter(holder, space, blockerKey);
            CompletableFuture<Object> claim = CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            return store.append(
                                    List.of(new StreamAppend(
                                            "claimant",
                                            ExpectedVersion.noStream(),
                                            List.of(EventData.of("Claimed", "{}")
                                                    .withTags("name:x")))),
                                    new AppendCondition(tagQuery("name:x"), warm));
                        } catch (RuntimeException e) {
                            return e;
                        }
                    },
                    pool);
            awaitTableWaiter(holder, PostgresTestDatabase.schemaOf(url));
            holder.commit();

            assertThat(everything.get(30, TimeUnit.SECONDS)).hasSize(1);
            assertThat(claim.get(30, TimeUnit.SECONDS))
                    .as("the claim, after the table-locking append that took the name")
                    .isInstanceOf(AppendConditionFailedException.class);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A session killed by the server while its one round trip waits for a lock: nothing written,
     * an error, and the pool serves the next append.
     */
    @Test
    void a_one_trip_append_whose_session_is_terminated_while_it_waits_writes_nothing_and_the_store_goes_on()
            throws Exception {
        String url = DB.newSchemaUrl("kill");
        int space = LockKeys.space(PostgresTestDatabase.schemaOf(url), TableNames.DEFAULT_PREFIX);
        int key = LockKeys.tag("seat:a");
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try (JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(2).open();
                Connection holder = DriverManager.getConnection(PostgresTestDatabase.URL)) {
            holder.setAutoCommit(false);
            try (PreparedStatement ps = holder.prepareStatement("SELECT pg_advisory_xact_lock(?, ?)")) {
                ps.setInt(1, space);
                ps.setInt(2, key);
                ps.execute();
            }
            CompletableFuture<List<AppendResult>> waiting = CompletableFuture.supplyAsync(
                    () -> store.append(
                            List.of(
                                    new StreamAppend("a", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}"))),
                                    new StreamAppend(
                                            "b",
                                            ExpectedVersion.noStream(),
                                            List.of(EventData.of("E", "{}").withTags("seat:a")))),
                            new AppendCondition(tagQuery("seat:a"), 0)),
                    pool);
            int pid = awaitAdvisoryWaiter(holder, space, key);
            try (PreparedStatement ps = holder.prepareStatement("SELECT pg_terminate_backend(?)")) {
                ps.setInt(1, pid);
                ps.execute();
            }
            assertThatThrownBy(() -> waiting.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(EventStoreException.class);
            holder.commit();
            assertThat(store.readAll(0, 10)).isEmpty();
            List<AppendResult> again = store.append(
                    List.of(new StreamAppend(
                            "a",
                            ExpectedVersion.noStream(),
                            List.of(EventData.of("E", "{}").withTags("seat:a")))),
                    new AppendCondition(tagQuery("seat:a"), 0));
            assertThat(again).hasSize(1);
            assertThat(store.readAll(0, 10)).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void a_one_trip_append_that_waits_past_the_busy_timeout_fails_saying_so_and_writes_nothing() throws Exception {
        String url = DB.newSchemaUrl("timeout");
        int space = LockKeys.space(PostgresTestDatabase.schemaOf(url), TableNames.DEFAULT_PREFIX);
        int key = LockKeys.tag("seat:a");
        try (JdbcEventStore store = JdbcEventStore.builder(url)
                        .busyTimeout(Duration.ofMillis(300))
                        .open();
                Connection holder = DriverManager.getConnection(PostgresTestDatabase.URL)) {
            holder.setAutoCommit(false);
            try (PreparedStatement ps = holder.prepareStatement("SELECT pg_advisory_xact_lock(?, ?)")) {
                ps.setInt(1, space);
                ps.setInt(2, key);
                ps.execute();
            }
            assertThatThrownBy(() -> store.append(
                            List.of(new StreamAppend(
                                    "a",
                                    ExpectedVersion.noStream(),
                                    List.of(EventData.of("E", "{}").withTags("seat:a")))),
                            new AppendCondition(tagQuery("seat:a"), 0)))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("busy timeout");
            holder.commit();
            assertThat(store.readAll(0, 10)).isEmpty();
        }
    }

    /** Until a session waits for the advisory lock (space, key); returns its pid. */
    private static int awaitAdvisoryWaiter(Connection c, int space, int key) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("SELECT pid FROM pg_locks WHERE locktype = 'advisory'"
                + " AND classid = ?::oid AND objid = ?::oid AND objsubid = 2 AND NOT granted")) {
            ps.setLong(1, Integer.toUnsignedLong(space));
            ps.setLong(2, Integer.toUnsignedLong(key));
            for (int i = 0; i < 3000; i++) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return rs.getInt(1);
                    }
                }
                Thread.sleep(5);
            }
        }
        throw new AssertionError("no session waited for the held lock");
    }

    /** Until a session waits for a lock on the events table. */
    private static void awaitTableWaiter(Connection c, String schema) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_locks WHERE locktype = 'relation'"
                + " AND relation = (? || '.annals_events')::regclass AND NOT granted")) {
            ps.setString(1, schema);
            for (int i = 0; i < 3000; i++) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(5);
            }
        }
        throw new AssertionError("no session waited for the events table");
    }

    // ------------------------------------------------------------------ repeats

    @Test
    void one_call_repeated_from_many_threads_at_once_is_stored_once_and_each_gets_the_same_results() throws Exception {
        int threads = 8;
        try (JdbcEventStore store = JdbcEventStore.builder(DB.newSchemaUrl("repeat"))
                .maxPoolSize(threads)
                .open()) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                for (int round = 0; round < 60; round++) {
                    String tag = "order:" + round;
                    ExpectedVersion expected = switch (round % 3) {
                        case 0 -> ExpectedVersion.noStream();
                        case 1 -> ExpectedVersion.any();
                        default -> ExpectedVersion.exactly(0);
                    };
                    AppendCondition condition = round % 2 == 0 ? new AppendCondition(tagQuery(tag), 0) : null;
                    List<StreamAppend> call = List.of(
                            new StreamAppend(
                                    "x-" + round,
                                    expected,
                                    List.of(EventData.of("A", "{}").withTags(tag), EventData.of("B", "{}"))),
                            new StreamAppend(
                                    "w-" + round,
                                    expected,
                                    List.of(EventData.of("C", "{}").withTags(tag))));
                    CyclicBarrier start = new CyclicBarrier(threads);
                    List<Future<List<AppendResult>>> done = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        done.add(pool.submit(() -> {
                            start.await(30, TimeUnit.SECONDS);
                            return condition == null ? store.append(call) : store.append(call, condition);
                        }));
                    }
                    Set<List<AppendResult>> results = new HashSet<>();
                    for (Future<List<AppendResult>> f : done) {
                        results.add(f.get(60, TimeUnit.SECONDS));
                    }
                    assertThat(results).as("results of round %d", round).hasSize(1);
                    assertThat(store.read(tagQuery(tag), 0, 10))
                            .as("round %d", round)
                            .hasSize(2);
                    List<AppendResult> r = results.iterator().next();
                    assertThat(r.get(0).position()).isLessThan(r.get(1).position());
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(store.readAll(0, 1000)).hasSize(60 * 3);
        }
    }

    @Test
    void a_repeat_of_a_call_whose_events_were_deleted_names_the_removal_whatever_its_expectations() throws Exception {
        try (JdbcEventStore store = JdbcEventStore.open(DB.newSchemaUrl("removed"))) {
            EventData a = EventData.of("A", "{}").withTags("t");
            EventData b = EventData.of("B", "{}").withTags("t");
            List<StreamAppend> call = List.of(
                    new StreamAppend("one", ExpectedVersion.any(), List.of(a)),
                    new StreamAppend("two", ExpectedVersion.any(), List.of(b)));
            store.append(call, new AppendCondition(tagQuery("t"), 0));
            store.deleteStream("one", ExpectedVersion.any());
            for (List<StreamAppend> again : List.of(
                    call,
                    List.of(
                            new StreamAppend("elsewhere", ExpectedVersion.any(), List.of(a)),
                            new StreamAppend("two", ExpectedVersion.any(), List.of(b))),
                    List.of(new StreamAppend("fresh", ExpectedVersion.noStream(), List.of(a))))) {
                assertThatThrownBy(() -> store.append(again, new AppendCondition(tagQuery("nothing"), 0)))
                        .isInstanceOf(DuplicateEventIdException.class)
                        .hasMessageContaining("removed");
                assertThatThrownBy(() -> store.append(again))
                        .isInstanceOf(DuplicateEventIdException.class)
                        .hasMessageContaining("removed");
            }
            assertThat(store.readAll(0, 100)).extracting(RecordedEvent::type).containsExactly("B", "$stream-deleted");
        }
    }

    // ------------------------------------------------------------------ deletions

    /**
     * Transfers across two streams, with a condition, while one of them is deleted: each call
     * either lands whole before the deletion (its event in the deleted stream removed, the other
     * kept) or fails with StreamDeletedException writing nothing; nothing lands after a
     * tombstone.
     */
    @Test
    void transfers_racing_the_deletion_of_one_of_their_streams_land_whole_before_it_or_not_at_all() throws Exception {
        int threads = 6;
        try (JdbcEventStore store = JdbcEventStore.builder(DB.newSchemaUrl("delrace"))
                .maxPoolSize(threads + 2)
                .open()) {
            ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
            try {
                for (int round = 0; round < 40; round++) {
                    String doomed = "doomed-" + round;
                    store.append(doomed, ExpectedVersion.noStream(), List.of(EventData.of("Opened", "{}")));
                    CyclicBarrier start = new CyclicBarrier(threads + 1);
                    ConcurrentLinkedQueue<UUID> landed = new ConcurrentLinkedQueue<>();
                    ConcurrentLinkedQueue<UUID> refused = new ConcurrentLinkedQueue<>();
                    List<Future<?>> done = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        String other = "other-" + round + "-" + t;
                        int n = t;
                        done.add(pool.submit(() -> {
                            start.await(30, TimeUnit.SECONDS);
                            for (int i = 0; i < 5; i++) {
                                EventData mark = EventData.of("Moved", "{}").withTags("move:" + n);
                                List<StreamAppend> call = List.of(
                                        new StreamAppend(doomed, ExpectedVersion.any(), List.of(mark)),
                                        new StreamAppend(
                                                other,
                                                ExpectedVersion.any(),
                                                List.of(EventData.of("Moved", "{}")
                                                        .withTags("move:" + n))));
                                try {
                                    store.append(call, new AppendCondition(tagQuery("none:" + n), 0));
                                    landed.add(mark.eventId());
                                } catch (StreamDeletedException e) {
                                    refused.add(mark.eventId());
                                }
                            }
                            return null;
                        }));
                    }
                    int pause = round % 5;
                    done.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        Thread.sleep(pause);
                        store.deleteStream(doomed, ExpectedVersion.any());
                        return null;
                    }));
                    for (Future<?> f : done) {
                        f.get(60, TimeUnit.SECONDS);
                    }
                    assertThatThrownBy(() -> store.readStream(doomed, 1, 10))
                            .isInstanceOf(StreamDeletedException.class);
                    // each landed call left its other part; each refused one nothing
                    long others = 0;
                    for (int t = 0; t < threads; t++) {
                        others += store.readStream("other-" + round + "-" + t, 1, 100)
                                .size();
                    }
                    assertThat(others).as("round %d", round).isEqualTo(landed.size());
                    assertThat(landed.size() + refused.size()).isEqualTo(threads * 5);
                }
                List<RecordedEvent> all = store.readAll(0, 100_000);
                Map<String, Long> tombstones = new HashMap<>();
                for (RecordedEvent e : all) {
                    if (e.type().equals("$stream-deleted")) {
                        tombstones.put(e.streamId(), e.version());
                    }
                }
                for (RecordedEvent e : all) {
                    assertThat(e.streamId())
                            .as("an event of a deleted stream survived")
                            .doesNotStartWith("doomed-x");
                    if (tombstones.containsKey(e.streamId())) {
                        assertThat(e.type()).isEqualTo("$stream-deleted");
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Calls across a contended stream and one of their own, in both orders, with and without a
     * condition, while plain appends move the contended stream: each lands whole, in the order
     * of its parts, or not at all.
     */
    @Test
    void calls_whose_expectation_on_a_contended_stream_fails_write_nothing_of_their_other_parts() throws Exception {
        int threads = 6;
        int calls = 60;
        try (JdbcEventStore store = JdbcEventStore.builder(DB.newSchemaUrl("parts"))
                .maxPoolSize(threads + 2)
                .open()) {
            ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
            CyclicBarrier start = new CyclicBarrier(threads + 1);
            ConcurrentLinkedQueue<List<AppendResult>> landed = new ConcurrentLinkedQueue<>();
            try {
                List<Future<Integer>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String own = "own-" + t;
                    int n = t;
                    done.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        int refused = 0;
                        for (int i = 0; i < calls; i++) {
                            long seen = store.currentVersion("hot");
                            StreamAppend hot = new StreamAppend(
                                    "hot",
                                    ExpectedVersion.exactly(seen),
                                    List.of(EventData.of("H", "{}").withTags("who:" + n)));
                            StreamAppend mine = new StreamAppend(
                                    own,
                                    ExpectedVersion.any(),
                                    List.of(
                                            EventData.of("M", "{}"),
                                            EventData.of("M", "{}").withTags("who:" + n)));
                            List<StreamAppend> call = i % 2 == 0 ? List.of(hot, mine) : List.of(mine, hot);
                            try {
                                List<AppendResult> r = i % 3 == 0
                                        ? store.append(call, new AppendCondition(tagQuery("never:" + n), 0))
                                        : store.append(call);
                                assertThat(r.get(0).position())
                                        .isLessThan(r.get(1).position());
                                landed.add(r);
                            } catch (WrongExpectedVersionException e) {
                                assertThat(e.streamId()).isEqualTo("hot");
                                refused++;
                            }
                        }
                        return refused;
                    }));
                }
                done.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    for (int i = 0; i < calls * 2; i++) {
                        store.append("hot", ExpectedVersion.any(), List.of(EventData.of("Plain", "{}")));
                    }
                    return 0;
                }));
                int refused = 0;
                for (Future<Integer> f : done) {
                    refused += f.get(120, TimeUnit.SECONDS);
                }
                assertThat(landed.size() + refused).isEqualTo(threads * calls);
                List<RecordedEvent> all = store.readAll(0, 100_000);
                long mine = all.stream().filter(e -> e.type().equals("M")).count();
                long hot = all.stream().filter(e -> e.type().equals("H")).count();
                assertThat(mine).isEqualTo(2L * landed.size());
                assertThat(hot).isEqualTo(landed.size());
                assertThat(store.currentVersion("hot")).isEqualTo(landed.size() + calls * 2L);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    // ------------------------------------------------------------------ hostile values

    @Test
    void hostile_stream_ids_types_tags_metadata_and_payloads_go_through_the_one_trip_as_data() {
        List<String> names = List.of(
                "NULL",
                "null",
                " padded ",
                "a,b",
                "{x}",
                "\"quoted\"",
                "back\\slash",
                "it's",
                "?",
                "a$1",
                "-- comment",
                "/* open",
                "'); DROP TABLE annals_events; --",
                "caf\u00e9 \ud83d\ude00",
                "\u2028line",
                "x".repeat(200));
        try (JdbcEventStore store = JdbcEventStore.open(DB.newSchemaUrl("hostile"))) {
            List<StreamAppend> parts = new ArrayList<>();
            Set<String> allTags = new LinkedHashSet<>(names);
            for (int i = 0; allTags.size() < 100; i++) {
                allTags.add("t" + i + "\\\"{},");
            }
            for (String name : names) {
                Map<String, String> metadata = Map.of("m" + name, name, "k", "\\u0000 \"\\");
                parts.add(new StreamAppend(
                        name,
                        ExpectedVersion.noStream(),
                        List.of(new EventData(
                                UUID.randomUUID(),
                                name,
                                "{\"v\":\"" + "\\\"\\\\\\u2028\\ud83d\\ude00" + "\",\"n\":1e400}",
                                metadata,
                                allTags))));
            }
            List<QueryItem> items = new ArrayList<>();
            for (String name : names) {
                items.add(QueryItem.of(Set.of(name, "Other"), Set.of(name, "t1\\\"{},")));
                items.add(QueryItem.of(Set.of(name), Set.of()));
                items.add(QueryItem.of(Set.of(), Set.of(name)));
            }
            while (items.size() < 100) {
                items.add(QueryItem.of(Set.of("U" + items.size(), "V"), Set.of("u" + items.size(), "w")));
            }
            Query query = new Query(items);
            List<AppendResult> results = store.append(parts, new AppendCondition(query, 0));
            assertThat(results).hasSize(names.size());
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                List<RecordedEvent> stream = store.readStream(name, 1, 10);
                assertThat(stream).as(name).hasSize(1);
                RecordedEvent e = stream.get(0);
                assertThat(e.type()).isEqualTo(name);
                assertThat(e.tags()).isEqualTo(allTags);
                assertThat(e.metadata()).containsEntry("m" + name, name).containsEntry("k", "\\u0000 \"\\");
                assertThat(e.position()).isEqualTo(results.get(i).position());
                if (i > 0) {
                    assertThat(e.position()).isGreaterThan(results.get(i - 1).position());
                }
            }
            for (String name : names) {
                assertThat(store.read(tagQuery(name), 0, 100)).as(name).hasSize(names.size());
                assertThat(store.read(Query.of(QueryItem.types(name)), 0, 100))
                        .as(name)
                        .hasSize(1);
            }
            // the same condition now fails, on the first event
            assertThatThrownBy(() -> store.append(
                            List.of(new StreamAppend("late", ExpectedVersion.any(), List.of(EventData.of("L", "{}")))),
                            new AppendCondition(query, 0)))
                    .isInstanceOf(AppendConditionFailedException.class)
                    .satisfies(e -> assertThat(((AppendConditionFailedException) e).conflictingPosition())
                            .isEqualTo(results.get(0).position()));
            // and holds after the last
            assertThat(store.append(
                            List.of(new StreamAppend("late", ExpectedVersion.any(), List.of(EventData.of("L", "{}")))),
                            new AppendCondition(
                                    query, results.get(names.size() - 1).position())))
                    .hasSize(1);
        }
    }
}
