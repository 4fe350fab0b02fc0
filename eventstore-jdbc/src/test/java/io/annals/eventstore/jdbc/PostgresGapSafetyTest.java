package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.SettledReads;
import io.annals.eventstore.tck.EventStoreContract;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The global log under concurrent writers whose transactions commit out of order, the hard way:
 * a trigger makes every append sleep a random few milliseconds after its rows are inserted (so
 * later transactions often commit first), one append is held open for seconds while the others
 * go on, and a reader tails {@code readAll} throughout. It must see every acknowledged event
 * exactly once, in position order, and must wait for the held append rather than skip it.
 */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresGapSafetyTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @ParameterizedTest(name = "reading by query: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(180)
    void a_tailing_reader_sees_every_event_once_in_order_while_transactions_commit_out_of_order(boolean byQuery)
            throws Exception {
        // by query: the horizon and the rows in one round trip; the query names the types of
        // every event written, so that it is not read as readAll
        Query everyWritten = Query.of(QueryItem.types("Written", "Held"));
        String url = DB.newSchemaUrl("gaps");
        try (JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(12).open()) {
            try (Connection c = DriverManager.getConnection(url);
                    Statement st = c.createStatement()) {
                st.execute("""
                        CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF NEW.stream_id = 'held-open' THEN
                                PERFORM pg_sleep(3);
                            ELSE
                                PERFORM pg_sleep(random() * 0.008);
                            END IF;
                            RETURN NULL;
                        END $$""");
                st.execute("CREATE TRIGGER slow_commit AFTER INSERT ON annals_events FOR EACH ROW "
                        + "EXECUTE FUNCTION slow_commit()");
            }

            int writers = 8;
            int appendsPerWriter = 60;
            Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
            List<RecordedEvent> seen = new ArrayList<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong heldPosition = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
            // Transactions of other applications that hold a transaction id throughout, in this
            // database and in another one: they must not matter to the reader at all.
            try (Connection here = foreignTransaction(PostgresTestDatabase.URL);
                    Connection elsewhere =
                            foreignTransaction(PostgresTestDatabase.URL.replace("/test?", "/postgres?"))) {
                Future<?> reader = pool.submit(() -> {
                    long checkpoint = 0;
                    while (true) {
                        boolean last = !writing.get();
                        // by query, in small pages: a full page is returned without waiting for
                        // the appends in flight, so only the horizon keeps it from skipping
                        List<RecordedEvent> page =
                                byQuery ? store.read(everyWritten, checkpoint, 3) : store.readAll(checkpoint, 25);
                        for (RecordedEvent r : page) {
                            assertThat(r.position()).isGreaterThan(checkpoint);
                            checkpoint = r.position();
                            seen.add(r);
                        }
                        if (page.isEmpty() && last) {
                            return null;
                        }
                        Thread.sleep(1);
                    }
                });
                List<Future<?>> done = new ArrayList<>();
                done.add(pool.submit(() -> {
                    Thread.sleep(300); // let the others get going
                    EventData e = EventData.of("Held", "{\"held\":true}");
                    AppendResult r = store.append("held-open", ExpectedVersion.noStream(), List.of(e));
                    heldPosition.set(r.position());
                    acknowledged.add(e.eventId());
                    return null;
                }));
                for (int w = 0; w < writers; w++) {
                    int writer = w;
                    done.add(pool.submit(() -> {
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        for (int i = 0; i < appendsPerWriter; i++) {
                            List<EventData> batch = new ArrayList<>();
                            for (int k = 0; k <= random.nextInt(3); k++) {
                                batch.add(EventData.of("Written", "{\"writer\":" + writer + ",\"i\":" + i + "}"));
                            }
                            store.append("stream-" + random.nextInt(20), ExpectedVersion.any(), batch);
                            batch.forEach(e -> acknowledged.add(e.eventId()));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(150, TimeUnit.SECONDS);
                }
                writing.set(false);
                reader.get(60, TimeUnit.SECONDS);
                assertThat(here.isValid(1) && elsewhere.isValid(1))
                        .as("held open throughout")
                        .isTrue();
            } finally {
                pool.shutdownNow();
            }

            List<UUID> seenIds = seen.stream().map(RecordedEvent::eventId).toList();
            assertThat(seenIds).doesNotHaveDuplicates();
            assertThat(seenIds).containsExactlyInAnyOrderElementsOf(acknowledged);
            List<RecordedEvent> all = EventStoreContract.readAllOf(store);
            assertThat(seenIds)
                    .containsExactlyElementsOf(
                            all.stream().map(RecordedEvent::eventId).toList());
            // The held append took its position early and committed late; events written while it
            // was open have higher positions, and the reader returned none of them before it.
            int heldIndex = seenIds.indexOf(all.stream()
                    .filter(r -> r.streamId().equals("held-open"))
                    .findFirst()
                    .orElseThrow()
                    .eventId());
            assertThat(seen.get(heldIndex).position()).isEqualTo(heldPosition.get());
            assertThat(seen.size() - heldIndex - 1)
                    .as("events committed while the held append was open, after it in the log")
                    .isGreaterThan(20);
        }
    }

    @Test
    @Timeout(60)
    void a_transaction_of_another_application_held_open_does_not_delay_readers_at_all() throws Exception {
        String url = DB.newSchemaUrl("foreign");
        try (JdbcEventStore store = JdbcEventStore.open(url);
                Connection here = foreignTransaction(url);
                Connection elsewhere = foreignTransaction(PostgresTestDatabase.URL.replace("/test?", "/postgres?"))) {
            try (Statement st = here.createStatement()) {
                st.execute("CREATE TABLE app_orders (id int)"); // and writes a table of its own
                st.execute("INSERT INTO app_orders VALUES (1)");
            }
            for (int i = 1; i <= 20; i++) {
                AppendResult r = store.append(
                        "s", ExpectedVersion.exactly(i - 1), List.of(EventData.of("E", "{\"i\":" + i + "}")));
                // read at once, no wait: the acknowledged event is there
                assertThat(store.readAll(0, 100))
                        .extracting(RecordedEvent::position)
                        .last()
                        .isEqualTo(r.position());
            }
            assertThat(here.isValid(1) && elsewhere.isValid(1))
                    .as("held open throughout")
                    .isTrue();
        }
    }

    @Test
    @Timeout(60)
    void a_report_that_reads_the_log_in_a_transaction_of_its_own_does_not_delay_readers() throws Exception {
        String url = DB.newSchemaUrl("report");
        try (JdbcEventStore store = JdbcEventStore.open(url);
                Connection report = DriverManager.getConnection(url)) {
            store.append("s", ExpectedVersion.noStream(), List.of(EventData.of("E", "{\"i\":0}")));
            // A long report of the application: it counts the events into a table of its own and
            // stays open (an idle-in-transaction session); it never appends.
            report.setAutoCommit(false);
            try (Statement st = report.createStatement()) {
                st.execute("CREATE TABLE app_report (events bigint)");
                st.execute("INSERT INTO app_report SELECT count(*) FROM annals_events");
            }
            for (int i = 1; i <= 5; i++) {
                AppendResult r =
                        store.append("s", ExpectedVersion.exactly(i), List.of(EventData.of("E", "{\"i\":" + i + "}")));
                assertThat(store.readAll(0, 100))
                        .as("read at once after append %d", i)
                        .extracting(RecordedEvent::position)
                        .last()
                        .isEqualTo(r.position());
            }
            assertThat(report.isValid(1)).as("held open throughout").isTrue();
        }
    }

    @Test
    @Timeout(60)
    void a_dump_by_another_role_does_not_delay_the_readers_of_an_application_role() throws Exception {
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String role = "annals_app_" + suffix;
        String schema = "annals_dumped_" + suffix;
        PostgresTestDatabase.execute("CREATE ROLE " + role + " LOGIN");
        try {
            // One role for the application, which appends and reads: what the docs recommend.
            PostgresTestDatabase.execute("CREATE SCHEMA " + schema + " AUTHORIZATION " + role);
            String url = PostgresTestDatabase.urlAs(role) + "&currentSchema=" + schema;
            try (JdbcEventStore store = JdbcEventStore.open(url);
                    Connection elsewhere =
                            foreignTransaction(PostgresTestDatabase.URL.replace("/test?", "/postgres?"));
                    Connection dump = DriverManager.getConnection(PostgresTestDatabase.URL)) {
                // pg_dump run by the administrator: a repeatable-read transaction that holds an
                // ACCESS SHARE lock on every table it dumps, and no transaction id.
                dump.setAutoCommit(false);
                dump.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                try (Statement st = dump.createStatement();
                        java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM " + schema + ".annals_events")) {
                    rs.next();
                }
                for (int i = 1; i <= 3; i++) {
                    AppendResult r = store.append(
                            "s", ExpectedVersion.exactly(i - 1), List.of(EventData.of("E", "{\"i\":" + i + "}")));
                    assertThat(store.readAll(0, 100))
                            .as("read at once after append %d", i)
                            .extracting(RecordedEvent::position)
                            .last()
                            .isEqualTo(r.position());
                }
                assertThat(dump.isValid(1) && elsewhere.isValid(1))
                        .as("held open throughout")
                        .isTrue();
            }
        } finally {
            PostgresTestDatabase.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            PostgresTestDatabase.execute("DROP ROLE IF EXISTS " + role);
        }
    }

    @Test
    @Timeout(60)
    void an_append_that_commits_between_the_horizon_and_the_rows_is_read_once_later() throws Exception {
        String url = DB.newSchemaUrl("between");
        try (JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(4).open()) {
            store.append("a", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}")));
            // An append held open inside its transaction by a lock the test holds.
            try (Connection gate = DriverManager.getConnection(url);
                    Statement st = gate.createStatement()) {
                st.execute("""
                        CREATE FUNCTION wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN PERFORM pg_advisory_xact_lock_shared(4711); RETURN NULL; END $$""");
                st.execute("CREATE TRIGGER wait_for_gate AFTER INSERT ON annals_events FOR EACH ROW "
                        + "EXECUTE FUNCTION wait_for_gate()");
                st.execute("SELECT pg_advisory_lock(4711)");
                ExecutorService pool = Executors.newSingleThreadExecutor();
                try {
                    Future<AppendResult> held = pool.submit(
                            () -> store.append("b", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}"))));
                    PostgresDialect dialect = new PostgresDialect(StoreSettings.defaults(), TableNames.defaults());
                    long horizon;
                    try (Connection c = DriverManager.getConnection(url)) {
                        // wait until the append holds the events lock and its transaction id
                        do {
                            horizon = dialect.logHorizon(c);
                        } while (!appendWaiting(c));
                        horizon = dialect.logHorizon(c);
                    }
                    st.execute("SELECT pg_advisory_unlock(4711)"); // the held append commits now
                    long b = held.get(30, TimeUnit.SECONDS).position();
                    assertThat(b)
                            .as("the held append is above the horizon read while it ran")
                            .isGreaterThanOrEqualTo(horizon);
                    // read with the old horizon: not yet; with a new one: once
                    assertThat(store.readAll(0, 10))
                            .extracting(RecordedEvent::streamId)
                            .containsExactly("a", "b");
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    @Test
    @Timeout(60)
    void a_filtered_read_counts_itself_complete_only_below_an_append_held_open() throws Exception {
        String url = DB.newSchemaUrl("settled");
        Query needed = Query.of(QueryItem.types("Needed"));
        try (JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(4).open()) {
            long a = store.append("a", ExpectedVersion.noStream(), List.of(EventData.of("Needed", "{}")))
                    .position();
            try (Connection gate = DriverManager.getConnection(url);
                    Statement st = gate.createStatement()) {
                st.execute("""
                        CREATE FUNCTION wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF NEW.stream_id = 'held' THEN PERFORM pg_advisory_xact_lock_shared(4711); END IF;
                            RETURN NULL;
                        END $$""");
                st.execute("CREATE TRIGGER wait_for_gate AFTER INSERT ON annals_events FOR EACH ROW "
                        + "EXECUTE FUNCTION wait_for_gate()");
                st.execute("SELECT pg_advisory_lock(4711)");
                ExecutorService pool = Executors.newSingleThreadExecutor();
                try {
                    Future<AppendResult> held = pool.submit(() ->
                            store.append("held", ExpectedVersion.noStream(), List.of(EventData.of("Needed", "{}"))));
                    try (Connection c = DriverManager.getConnection(url)) {
                        while (!appendWaiting(c)) {
                            Thread.sleep(1);
                        }
                    }
                    // committed after the held append took its transaction id: a higher position
                    long later = store.append("later", ExpectedVersion.noStream(), List.of(EventData.of("Other", "{}")))
                            .position();

                    SettledReads.SettledPage page =
                            SettledReads.of(store).orElseThrow().readSettled(needed, a, 10);

                    st.execute("SELECT pg_advisory_unlock(4711)"); // the held append commits now
                    long heldAt = held.get(30, TimeUnit.SECONDS).position();
                    assertThat(later).isGreaterThan(heldAt);
                    assertThat(page.events()).isEmpty();
                    assertThat(page.settled())
                            .as("complete up to where, with the append at %d still open", heldAt)
                            .isGreaterThanOrEqualTo(a)
                            .isLessThan(heldAt);
                    SettledReads.SettledPage after =
                            SettledReads.of(store).orElseThrow().readSettled(needed, a, 10);
                    assertThat(after.events())
                            .extracting(RecordedEvent::streamId)
                            .containsExactly("held");
                    assertThat(after.settled())
                            .as("the end of the log, once nothing is open")
                            .isEqualTo(later);
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    private static boolean appendWaiting(Connection c) throws Exception {
        try (Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4711 AND NOT granted")) {
            rs.next();
            return rs.getLong(1) > 0;
        }
    }

    /** A session of another application inside a transaction that holds a transaction id. */
    private static Connection foreignTransaction(String url) throws Exception {
        Connection c = DriverManager.getConnection(url);
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SELECT pg_current_xact_id()");
        }
        return c;
    }
}
