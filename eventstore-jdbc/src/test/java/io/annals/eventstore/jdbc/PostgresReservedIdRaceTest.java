package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.DuplicateEventIdException;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.snapshot.Snapshot;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An append that carries the id of an event which a concurrent deletion or truncation of
 * another stream is removing: the removal has not committed when the append's statement starts,
 * so the id is not reserved yet; the append then waits for the removal on the events' unique id,
 * and must be refused once the removal commits, the id being reserved from then on.
 *
 * <p>The removal is held open between its delete of the events and its commit by a row lock on
 * the stream's cache snapshot, which it deletes last; the test releases it once the append waits
 * behind the removal. Each way of appending runs another statement: one event alone, several
 * with tags, several across two streams with a condition, and a group of one-event appends
 * written together (group commit).
 */
@Tag("postgres")
class PostgresReservedIdRaceTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    /** Ways of appending the removed event {@code x} to stream b, each its own statement. */
    enum Append {
        ONE_EVENT {
            @Override
            void run(JdbcEventStore store, EventData x) {
                store.append("b", ExpectedVersion.any(), List.of(x));
            }
        },
        SEVERAL_WITH_TAGS {
            @Override
            void run(JdbcEventStore store, EventData x) {
                store.append(
                        "b",
                        ExpectedVersion.any(),
                        List.of(EventData.of("Before", "{}").withTags("t"), x.withTags("t")));
            }
        },
        ACROSS_STREAMS_WITH_A_CONDITION {
            @Override
            void run(JdbcEventStore store, EventData x) {
                store.append(
                        List.of(
                                new StreamAppend("c", ExpectedVersion.any(), List.of(EventData.of("Other", "{}"))),
                                new StreamAppend("b", ExpectedVersion.any(), List.of(x))),
                        new AppendCondition(Query.of(QueryItem.tags("none")), 0));
            }
        };

        abstract void run(JdbcEventStore store, EventData x);
    }

    @ParameterizedTest
    @EnumSource(Append.class)
    void an_append_waiting_behind_a_deletion_for_an_id_it_removes_is_refused(Append append) throws Exception {
        refusesTheIdOnceTheRemovalCommits(
                "delrace",
                (store, x) -> store.deleteStream("a", ExpectedVersion.any()),
                append,
                List.of("$stream-deleted"));
    }

    @ParameterizedTest
    @EnumSource(Append.class)
    void an_append_waiting_behind_a_truncation_for_an_id_it_removes_is_refused(Append append) throws Exception {
        refusesTheIdOnceTheRemovalCommits(
                "truncrace",
                (store, x) -> store.truncateStream("a", 2, new Snapshot("a", 1, x.eventId(), 1, "{}", Instant.EPOCH)),
                append,
                List.of("Later"));
    }

    /**
     * The append of the removed event is one of a group of appends written in one statement
     * (group commit): the group's insert waits for the deletion on the unique id, the check after
     * the insert then refuses the id and fails the group's statement, and each append goes again
     * alone. The one carrying the removed id is refused; the others of its group are written, each
     * once and each in a transaction of its own (had the refusal only left that append out, as a
     * collision does, they would share the group's). The store waits for locks up to 60 s, so that
     * the deletion, held open while the group forms, outlasts a slow machine.
     */
    @Test
    void a_group_waiting_behind_a_deletion_for_an_id_it_removes_refuses_that_append_alone() throws Exception {
        String url = DB.newSchemaUrl("grprace");
        EventData x = EventData.of("First", "{}");
        Map<String, Object> outcomes = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(1);
        List<Thread> threads = new ArrayList<>();
        try (JdbcEventStore store = JdbcEventStore.builder(url)
                        .maxPoolSize(8)
                        .busyTimeout(Duration.ofSeconds(60))
                        .open();
                Connection holder = DriverManager.getConnection(url);
                Connection watcher = DriverManager.getConnection(url)) {
            int holderPid = holdRemovalOfA(store, holder, x);
            Future<?> removing = pool.submit(() -> store.deleteStream("a", ExpectedVersion.any()));
            int removerPid = awaitBlockedBy(watcher, holderPid);

            try (PostgresGroupCommitRaceTest.Lock a =
                    new PostgresGroupCommitRaceTest.Lock(PostgresTestDatabase.schemaOf(url), "A")) {
                threads.addAll(PostgresGroupCommitRaceTest.takeBothPlaces(store, a, outcomes));
                threads.add(PostgresGroupCommitRaceTest.start(
                        outcomes, "b", () -> store.append("b", ExpectedVersion.noStream(), List.of(x))));
                for (int i = 0; i < 3; i++) {
                    String stream = "c-" + i;
                    threads.add(PostgresGroupCommitRaceTest.start(
                            outcomes,
                            stream,
                            () -> store.append(stream, ExpectedVersion.noStream(), List.of(EventData.of("C", "{}")))));
                }
                PostgresGroupCommitRaceTest.awaitParked(threads.subList(2, 6));
                a.release(); // the two appends ahead commit; the first in line writes the four as a group
            }
            int groupPid = awaitBlockedBy(watcher, removerPid);
            assertThat(queryOf(watcher, groupPid))
                    .as("the statement waiting for the deletion")
                    .contains("AS m(sid");
            holder.commit();
            removing.get(30, TimeUnit.SECONDS);
            for (Thread t : threads) {
                t.join(30_000);
                assertThat(t.isAlive()).isFalse();
            }

            assertThat(outcomes.get("b"))
                    .isInstanceOfSatisfying(
                            DuplicateEventIdException.class,
                            e -> assertThat(e.getMessage())
                                    .contains(x.eventId().toString())
                                    .contains("removed"));
            assertThat(PostgresGroupCommitRaceTest.rowsOf(url, "b")).isEmpty();
            for (String stream : List.of("c-0", "c-1", "c-2")) {
                assertThat(outcomes.get(stream)).as(stream).isInstanceOf(AppendResult.class);
                assertThat(PostgresGroupCommitRaceTest.rowsOf(url, stream))
                        .as(stream)
                        .containsExactly("1:C");
            }
            try (PreparedStatement ps = watcher.prepareStatement("SELECT count(DISTINCT xmin::text) FROM annals_events"
                    + " WHERE stream_id IN ('c-0', 'c-1', 'c-2')")) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1))
                            .as("transactions that wrote the group's other appends")
                            .isEqualTo(3);
                }
            }
            assertThat(outcomes.get("filler-0")).isInstanceOf(AppendResult.class);
            assertThat(outcomes.get("filler-1")).isInstanceOf(AppendResult.class);
            assertThat(PostgresGroupCommitRaceTest.rowsOf(url, "a")).containsExactly("3:$stream-deleted");
        } finally {
            pool.shutdownNow();
        }
    }

    private static String queryOf(Connection c, int pid) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("SELECT query FROM pg_stat_activity WHERE pid = ?")) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getString(1);
            }
        }
    }

    private interface Removal {
        void run(JdbcEventStore store, EventData removed) throws Exception;
    }

    private static void refusesTheIdOnceTheRemovalCommits(
            String name, Removal removal, Append append, List<String> left) throws Exception {
        String url = DB.newSchemaUrl(name);
        EventData x = EventData.of("First", "{}");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(4).open();
                Connection holder = DriverManager.getConnection(url);
                Connection watcher = DriverManager.getConnection(url)) {
            int holderPid = holdRemovalOfA(store, holder, x);

            Future<?> removing = pool.submit(() -> {
                removal.run(store, x);
                return null;
            });
            int removerPid = awaitBlockedBy(watcher, holderPid);
            Future<?> appending = pool.submit(() -> {
                append.run(store, x);
                return null;
            });
            awaitBlockedBy(watcher, removerPid);
            holder.commit();
            removing.get(30, TimeUnit.SECONDS);

            assertThatThrownBy(() -> appending.get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(DuplicateEventIdException.class)
                    .hasMessageContaining(x.eventId().toString())
                    .hasMessageContaining("removed");
            assertThat(store.readStream("b", 1, 10)).isEmpty();
            assertThat(store.readStream("c", 1, 10)).isEmpty();
            assertThat(store.readAll(0, 100)).extracting(RecordedEvent::type).containsExactlyElementsOf(left);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Writes stream a ({@code x}, then "Later") and a cache snapshot of it at version 1, then locks
     * that snapshot's row in a transaction of {@code holder}: a deletion of a removes the snapshot,
     * and a truncation before 2 drops it, last, so a removal of a waits there, between its delete
     * of the events and its commit, until {@code holder} commits. Returns the holder's pid.
     */
    private static int holdRemovalOfA(JdbcEventStore store, Connection holder, EventData x) throws Exception {
        store.append("a", ExpectedVersion.noStream(), List.of(x, EventData.of("Later", "{}")));
        store.snapshots().save(new Snapshot("a", 1, x.eventId(), 1, "{}", Instant.EPOCH));
        holder.setAutoCommit(false);
        try (PreparedStatement ps =
                holder.prepareStatement("SELECT 1 FROM annals_snapshots WHERE stream_id = 'a' FOR UPDATE")) {
            assertThat(ps.executeQuery().next()).isTrue();
        }
        return pid(holder);
    }

    private static int pid(Connection c) throws Exception {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Until a session waits for a lock {@code blocker} holds; returns its pid. */
    private static int awaitBlockedBy(Connection c, int blocker) throws Exception {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT pid FROM pg_stat_activity WHERE ? = ANY (pg_blocking_pids(pid))")) {
            ps.setInt(1, blocker);
            for (int i = 0; i < 3000; i++) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return rs.getInt(1);
                    }
                }
                Thread.sleep(5);
            }
        }
        throw new AssertionError("no session waited for session " + blocker);
    }
}
