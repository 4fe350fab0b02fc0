package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.AppendConditionFailedException;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.StreamAppend;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * On PostgreSQL, conditional appends wait only for what they could conflict with: while a
 * transaction holds the lock of tag {@code seat:a} open, as a conditional append on that tag does
 * between its check and its commit, appends conditioned on other tags go through, and one
 * conditioned on {@code seat:a} waits (seen waiting in {@code pg_locks}, not guessed from time)
 * and goes through when the lock is released.
 */
@Tag("postgres")
class PostgresConditionLockTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    private static AppendCondition onTag(String tag) {
        return new AppendCondition(Query.of(QueryItem.tags(tag)), 0);
    }

    private static List<StreamAppend> claim(String stream, String tag) {
        return List.of(new StreamAppend(
                stream,
                ExpectedVersion.noStream(),
                List.of(EventData.of("SeatTaken", "{}").withTags(tag))));
    }

    @Test
    @Timeout(60)
    void appends_on_other_tags_go_through_while_one_on_the_held_tag_waits() throws Exception {
        String url = DB.newSchemaUrl("locks");
        String schema = url.substring(url.indexOf("currentSchema=") + "currentSchema=".length());
        int space = LockKeys.space(schema, TableNames.DEFAULT_PREFIX);
        int key = LockKeys.tag("seat:a");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (JdbcEventStore store = JdbcEventStore.open(url);
                Connection holder = DriverManager.getConnection(PostgresTestDatabase.URL)) {
            hold(holder, space, key);

            CompletableFuture<List<AppendResult>> held = CompletableFuture.supplyAsync(
                    () -> store.append(claim("student-a", "seat:a"), onTag("seat:a")), pool);
            awaitWaiter(holder, space, key);

            List<AppendResult> b = store.append(claim("student-b", "seat:b"), onTag("seat:b"));
            List<AppendResult> c = store.append(claim("student-c", "seat:c"), onTag("seat:c"));

            assertThat(b).hasSize(1);
            assertThat(c).hasSize(1);
            assertThat(held).isNotDone();
            assertThat(store.currentVersion("student-a")).isZero();

            holder.commit();

            assertThat(held.get(30, TimeUnit.SECONDS)).hasSize(1);
            assertThat(store.currentVersion("student-a")).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A one-stream append with tags and no condition is one statement that takes its tags' keys
     * shared before it inserts: behind a condition holding one of them it waits, and writes after
     * the condition's commit; on other tags it goes through.
     */
    @Test
    @Timeout(60)
    void a_tagged_append_without_a_condition_waits_for_a_condition_on_one_of_its_tags() throws Exception {
        String url = DB.newSchemaUrl("tagged");
        int space = LockKeys.space(PostgresTestDatabase.schemaOf(url), TableNames.DEFAULT_PREFIX);
        int key = LockKeys.tag("seat:a");
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try (JdbcEventStore store = JdbcEventStore.open(url);
                Connection holder = DriverManager.getConnection(PostgresTestDatabase.URL)) {
            hold(holder, space, key);

            EventData taken = EventData.of("SeatTaken", "{}").withTags("seat:b", "seat:a");
            CompletableFuture<AppendResult> held = CompletableFuture.supplyAsync(
                    () -> store.append("booking-1", ExpectedVersion.noStream(), List.of(taken)), pool);
            awaitWaiter(holder, space, key);
            try (PreparedStatement ps = holder.prepareStatement("SELECT a.query FROM pg_locks l"
                    + " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
                    + " AND l.objid = ?::oid AND l.objsubid = 2 AND NOT l.granted")) {
                ps.setLong(1, Integer.toUnsignedLong(key));
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1))
                            .as("one statement, its keys taken before its insert")
                            .startsWith("WITH locked AS");
                }
            }
            AppendResult other = store.append(
                    "booking-2",
                    ExpectedVersion.noStream(),
                    List.of(EventData.of("SeatTaken", "{}").withTags("seat:c")));

            assertThat(held).isNotDone();
            assertThat(store.currentVersion("booking-1")).isZero();
            holder.commit();

            AppendResult waited = held.get(30, TimeUnit.SECONDS);
            assertThat(waited.position())
                    .as("after the append that did not wait")
                    .isGreaterThan(other.position());
            assertThat(store.read(Query.of(QueryItem.tags("seat:a")), 0, 10))
                    .singleElement()
                    .satisfies(e -> assertThat(e.tags()).containsExactlyInAnyOrder("seat:a", "seat:b"));
            assertThat(store.read(Query.of(QueryItem.tags("seat:b")), 0, 10)).hasSize(1);
            // a repeat returns the original result and writes no tag twice
            assertThat(store.append("booking-1", ExpectedVersion.noStream(), List.of(taken)))
                    .isEqualTo(waited);
            try (Connection c = DriverManager.getConnection(url);
                    PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM annals_event_tags")) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(3);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The other way round: a one-stream append with tags that has taken its tags' keys shared and
     * not committed yet makes a condition on one of its tags wait, and the condition, once it has
     * its key, reads the tagged event and fails. The tagged append is held inside its statement,
     * after its keys, at its stream's lock, which the events' trigger takes before each row (a
     * deletion of the stream holds it so). Were the keys taken after the insert, or not at all, the
     * condition would not wait for the key, and could read the log before the tagged event
     * committed. The store waits for locks up to 60 s, so that the held append outlasts a slow
     * machine.
     */
    @Test
    @Timeout(60)
    void a_condition_waits_for_a_tagged_append_in_flight_on_its_tag_and_then_reads_its_event() throws Exception {
        String url = DB.newSchemaUrl("inflight");
        int space = LockKeys.space(PostgresTestDatabase.schemaOf(url), TableNames.DEFAULT_PREFIX);
        int key = LockKeys.tag("seat:a");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (JdbcEventStore store = JdbcEventStore.builder(url)
                        .busyTimeout(Duration.ofSeconds(60))
                        .open();
                Connection holder = DriverManager.getConnection(url)) {
            holder.setAutoCommit(false);
            int table;
            int stream;
            try (PreparedStatement ps = holder.prepareStatement("SELECT 'annals_events'::regclass::oid::integer,"
                    + " hashtext(?), pg_advisory_xact_lock('annals_events'::regclass::oid::integer, hashtext(?))")) {
                ps.setString(1, "booking-1");
                ps.setString(2, "booking-1");
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    table = rs.getInt(1);
                    stream = rs.getInt(2);
                }
            }

            CompletableFuture<AppendResult> tagged = CompletableFuture.supplyAsync(
                    () -> store.append(
                            "booking-1",
                            ExpectedVersion.noStream(),
                            List.of(EventData.of("SeatTaken", "{}").withTags("seat:a"))),
                    pool);
            awaitWaiter(holder, table, stream); // inside its statement, its keys taken
            CompletableFuture<List<AppendResult>> conditional = CompletableFuture.supplyAsync(
                    () -> store.append(claim("booking-2", "seat:a"), onTag("seat:a")), pool);
            awaitWaiter(holder, space, key); // the condition waits for the key the tagged append holds

            assertThat(tagged).isNotDone();
            assertThat(conditional).isNotDone();
            holder.commit();

            assertThat(tagged.get(30, TimeUnit.SECONDS).version()).isEqualTo(1);
            assertThatThrownBy(() -> conditional.get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(AppendConditionFailedException.class);
            assertThat(store.read(Query.of(QueryItem.tags("seat:a")), 0, 10))
                    .singleElement()
                    .satisfies(e -> assertThat(e.streamId()).isEqualTo("booking-1"));
            assertThat(store.currentVersion("booking-2")).isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A one-statement append reads its stream's version in the snapshot its statement took when
     * it started: a stream created just after makes it insert nothing though its expectation
     * holds by the time the store asks why. It then goes again; it never fails naming a version
     * that meets its expectation. Real threads, an append creating each stream and one expecting
     * it to exist, started together.
     */
    @Test
    @Timeout(120)
    void an_append_racing_the_creation_of_its_stream_never_fails_with_a_version_that_meets_it() throws Exception {
        String url = DB.newSchemaUrl("moved");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        int succeeded = 0;
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            for (int round = 0; round < 200; round++) {
                String stream = "booking-" + round;
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
                CompletableFuture<AppendResult> create = CompletableFuture.supplyAsync(
                        () -> {
                            await(start);
                            return store.append(
                                    stream, ExpectedVersion.noStream(), List.of(EventData.of("BookingOpened", "{}")));
                        },
                        pool);
                CompletableFuture<Object> take = CompletableFuture.supplyAsync(
                        () -> {
                            await(start);
                            try {
                                return store.append(
                                        stream,
                                        ExpectedVersion.streamExists(),
                                        List.of(EventData.of("SeatTaken", "{}").withTags("seat:" + stream)));
                            } catch (io.annals.eventstore.WrongExpectedVersionException e) {
                                return e;
                            }
                        },
                        pool);
                assertThat(create.get(30, TimeUnit.SECONDS).version()).isEqualTo(1);
                Object outcome = take.get(30, TimeUnit.SECONDS);
                if (outcome instanceof io.annals.eventstore.WrongExpectedVersionException e) {
                    assertThat(e.actual())
                            .as("round %d: %s", round, e.getMessage())
                            .isZero();
                } else {
                    assertThat(((AppendResult) outcome).version()).isEqualTo(2);
                    succeeded++;
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(succeeded).as("appends that found their stream").isPositive();
    }

    private static void await(java.util.concurrent.CyclicBarrier barrier) {
        try {
            barrier.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Timeout(60)
    void a_wide_append_waits_for_a_condition_in_flight_and_narrow_ones_do_not() throws Exception {
        String url = DB.newSchemaUrl("locks");
        String schema = url.substring(url.indexOf("currentSchema=") + "currentSchema=".length());
        int space = LockKeys.space(schema, TableNames.DEFAULT_PREFIX);
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try (JdbcEventStore store = JdbcEventStore.open(url);
                Connection holder = DriverManager.getConnection(PostgresTestDatabase.URL)) {
            holder.setAutoCommit(false);
            // what a conditional append holds between its check and its commit
            try (PreparedStatement ps = holder.prepareStatement("SELECT pg_advisory_xact_lock_shared(?, ?)")) {
                ps.setInt(1, space);
                ps.setInt(2, LockKeys.WIDE);
                ps.execute();
            }
            List<EventData> wide = new java.util.ArrayList<>();
            for (int i = 0; i < LockKeys.MAX_KEYS + 1; i++) {
                wide.add(EventData.of("Imported", "{}").withTags("item:" + i));
            }

            CompletableFuture<?> held =
                    CompletableFuture.runAsync(() -> store.append("import", ExpectedVersion.noStream(), wide), pool);
            awaitWaiter(holder, space, LockKeys.WIDE);
            store.append(
                    "narrow",
                    ExpectedVersion.noStream(),
                    List.of(EventData.of("One", "{}").withTags("item:0")));

            assertThat(held).isNotDone();
            holder.commit();
            held.get(30, TimeUnit.SECONDS);
            assertThat(store.currentVersion("import")).isEqualTo(LockKeys.MAX_KEYS + 1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Timeout(20)
    void a_store_with_a_pool_of_one_connection_announces_its_appends_without_waiting_for_a_second() {
        try (JdbcEventStore store =
                JdbcEventStore.builder(DB.newSchemaUrl("locks")).maxPoolSize(1).open()) {
            for (int i = 0; i < 3; i++) {
                store.append("s", ExpectedVersion.any(), List.of(EventData.of("E", "{}")));
                assertThat(store.readAll(0, 10)).hasSize(i + 1);
            }
        }
    }

    /**
     * An append takes the shared locks of its events' types in ascending order of their keys,
     * whatever the order of its events (the statement takes them in the order the store sends
     * them): held up at the higher key, it already holds the lower one. Appends and conditions
     * that took their keys in different orders could wait for each other in a circle.
     */
    @Test
    @Timeout(60)
    void an_append_takes_the_keys_of_its_types_in_ascending_order_whatever_the_order_of_its_events() throws Exception {
        String url = DB.newSchemaUrl("locks");
        int space = LockKeys.space(PostgresTestDatabase.schemaOf(url), TableNames.DEFAULT_PREFIX);
        String low = "DoorOpened";
        String high = "DoorClosed";
        if (LockKeys.type(low) > LockKeys.type(high)) {
            low = "DoorClosed";
            high = "DoorOpened";
        }
        List<EventData> highFirst = List.of(EventData.of(high, "{}"), EventData.of(low, "{}"));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (JdbcEventStore store = JdbcEventStore.open(url);
                Connection holder = DriverManager.getConnection(PostgresTestDatabase.URL)) {
            hold(holder, space, LockKeys.type(high));
            CompletableFuture<AppendResult> append = CompletableFuture.supplyAsync(
                    () -> store.append("door", ExpectedVersion.noStream(), highFirst), pool);
            awaitWaiter(holder, space, LockKeys.type(high));

            assertThat(heldWhileWaiting(holder, space, LockKeys.type(low), LockKeys.type(high)))
                    .as("the lower key is held while the append waits for the higher one")
                    .isTrue();
            holder.rollback();
            assertThat(append.get(30, TimeUnit.SECONDS).version()).isEqualTo(2);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Whether the session waiting for the advisory lock (space, waited) holds (space, held). */
    private static boolean heldWhileWaiting(Connection c, int space, int held, int waited) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT count(*) FROM pg_locks w JOIN pg_locks h ON h.pid = w.pid"
                        + " WHERE w.locktype = 'advisory' AND w.classid = ?::oid AND w.objid = ?::oid"
                        + " AND w.objsubid = 2 AND NOT w.granted"
                        + " AND h.locktype = 'advisory' AND h.classid = ?::oid AND h.objid = ?::oid"
                        + " AND h.objsubid = 2 AND h.granted")) {
            ps.setLong(1, Integer.toUnsignedLong(space));
            ps.setLong(2, Integer.toUnsignedLong(waited));
            ps.setLong(3, Integer.toUnsignedLong(space));
            ps.setLong(4, Integer.toUnsignedLong(held));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        }
    }

    /** Takes {@code key} exclusively in a transaction of {@code holder}, as a condition in flight holds it. */
    private static void hold(Connection holder, int space, int key) throws SQLException {
        holder.setAutoCommit(false);
        try (PreparedStatement ps = holder.prepareStatement("SELECT pg_advisory_xact_lock(?, ?)")) {
            ps.setInt(1, space);
            ps.setInt(2, key);
            ps.execute();
        }
    }

    /** Until a session waits for the advisory lock (space, key): pg_locks shows it not granted. */
    private static void awaitWaiter(Connection c, int space, int key) throws SQLException, InterruptedException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                + " AND classid = ?::oid AND objid = ?::oid AND objsubid = 2 AND NOT granted")) {
            // the int4 keys are shown as unsigned oids
            ps.setLong(1, Integer.toUnsignedLong(space));
            ps.setLong(2, Integer.toUnsignedLong(key));
            for (int i = 0; i < 3000; i++) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(10);
            }
        }
        throw new AssertionError("no append waited for the held lock");
    }
}
