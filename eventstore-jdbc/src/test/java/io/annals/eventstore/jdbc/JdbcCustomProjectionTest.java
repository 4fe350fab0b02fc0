package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.projection.Projector;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A projection writing tables of its own, in the batch's transaction, on both databases. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class JdbcCustomProjectionTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    /** What a test does with a pool and a store on a database that has the deposit tables. */
    interface OnStore {
        void run(HikariDataSource ds, JdbcEventStore store) throws Exception;
    }

    /** Opens a pool and a store on {@code url}, creates the deposit tables, and runs {@code body}. */
    static void onStore(String url, OnStore body) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        try (HikariDataSource ds = new HikariDataSource(config);
                JdbcEventStore store = JdbcEventStore.open(ds)) {
            DepositTables.create(ds);
            body.run(ds, store);
        }
    }

    static void appliesEveryEventOnceAndRebuilds(String url) throws Exception {
        onStore(url, (ds, store) -> {
            for (int i = 0; i < 60; i++) {
                store.append(
                        "acct-" + (i % 6),
                        ExpectedVersion.any(),
                        List.of(CODEC.encode(new Deposited(i + 1)), CODEC.encode(new Deposited(1))));
            }
            store.append("acct-0", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(0))));
            store.append("noise", ExpectedVersion.any(), List.of(EventData.of("Other", "{}")));
            DepositTables tables = new DepositTables();
            Projector projector = store.projectors().sql(tables, CODEC);
            try (ProjectionRunner runner =
                    ProjectionRunner.builder(store).add(projector).batchSize(9).build()) {
                List<ProjectionStatus> statuses = runner.catchUp();
                assertThat(statuses.get(0).lastError()).isEmpty();
                assertThat(DepositTables.logged(ds)).isEqualTo(121);
                Map<String, io.annals.eventstore.tck.ProjectionRunnerContract.Total> expected = new TreeMap<>();
                for (int a = 1; a < 6; a++) {
                    long sum = 0;
                    for (int i = a; i < 60; i += 6) {
                        sum += i + 2;
                    }
                    expected.put("acct-" + a, new io.annals.eventstore.tck.ProjectionRunnerContract.Total(sum, 20));
                }
                assertThat(DepositTables.totals(ds)).isEqualTo(expected);

                runner.rebuild("deposit-tables", p -> {});
                assertThat(DepositTables.logged(ds)).isEqualTo(121);
                assertThat(DepositTables.totals(ds)).isEqualTo(expected);
            }
        });
    }

    /** Deposit tables that drop an account's rows when its stream is deleted. */
    static class ForgettingTables extends DepositTables {
        final List<String> deleted = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void streamDeleted(Connection c, String streamId) throws SQLException {
            deleted.add(streamId);
            try (PreparedStatement log = c.prepareStatement("DELETE FROM deposit_log WHERE account = ?");
                    PreparedStatement total = c.prepareStatement("DELETE FROM account_totals WHERE account = ?")) {
                log.setString(1, streamId);
                log.executeUpdate();
                total.setString(1, streamId);
                total.executeUpdate();
            }
        }
    }

    static void forgetsADeletedStreamInLogOrder(String url) throws Exception {
        onStore(url, (ds, store) -> {
            store.append("acct-a", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(5))));
            store.append("acct-b", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(7))));
            store.deleteStream("acct-a", ExpectedVersion.any());
            // the id of a deleted stream is never used again: a later deposit goes to another
            store.append("acct-b", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(1))));
            ForgettingTables tables = new ForgettingTables();
            try (ProjectionRunner runner = ProjectionRunner.builder(store)
                    .add(store.projectors().sql(tables, CODEC))
                    .build()) {
                runner.catchUp();
                assertThat(tables.deleted).containsExactly("acct-a");
                assertThat(DepositTables.totals(ds))
                        .containsOnlyKeys("acct-b")
                        .containsEntry("acct-b", new io.annals.eventstore.tck.ProjectionRunnerContract.Total(8, 2));
                assertThat(DepositTables.logged(ds)).isEqualTo(2);

                // a rebuild never sees the removed events: the same rows
                runner.rebuild("deposit-tables", p -> {});
                assertThat(DepositTables.totals(ds)).containsOnlyKeys("acct-b");
                assertThat(DepositTables.logged(ds)).isEqualTo(2);
            }
        });
    }

    /**
     * Deposit tables written a run of events at a time: the log as one JDBC batch, each account's
     * total once per run. Records every call, so the runs and the tombstones between them show.
     */
    static final class RunTables extends ForgettingTables {
        final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile long poison = -1;

        @Override
        public void applyAll(Connection c, List<Envelope<Deposited>> events) throws SQLException {
            calls.add("run " + events.stream().map(e -> e.event().amount()).toList());
            for (Envelope<Deposited> e : events) {
                if (e.event().amount() == poison) {
                    throw new SQLException("deposits of " + poison + " are refused");
                }
            }
            Map<String, long[]> byAccount = new java.util.LinkedHashMap<>();
            try (PreparedStatement log =
                    c.prepareStatement("INSERT INTO deposit_log (position, account, amount) VALUES (?, ?, ?)")) {
                for (Envelope<Deposited> e : events) {
                    log.setLong(1, e.recorded().position());
                    log.setString(2, e.recorded().streamId());
                    log.setLong(3, e.event().amount());
                    log.addBatch();
                    long[] sum = byAccount.computeIfAbsent(e.recorded().streamId(), a -> new long[2]);
                    sum[0] += e.event().amount();
                    sum[1]++;
                }
                log.executeBatch();
            }
            try (PreparedStatement up = c.prepareStatement("""
                    INSERT INTO account_totals (account, total, deposits) VALUES (?, ?, ?)
                    ON CONFLICT (account) DO UPDATE SET total = account_totals.total + excluded.total,
                                                        deposits = account_totals.deposits + excluded.deposits""")) {
                for (Map.Entry<String, long[]> a : byAccount.entrySet()) {
                    up.setString(1, a.getKey());
                    up.setLong(2, a.getValue()[0]);
                    up.setLong(3, a.getValue()[1]);
                    up.executeUpdate();
                }
            }
        }

        @Override
        public void apply(Connection c, Envelope<Deposited> e) {
            throw new AssertionError("a projection with applyAll is given runs, never single events");
        }

        @Override
        public void streamDeleted(Connection c, String streamId) throws SQLException {
            calls.add("deleted " + streamId);
            super.streamDeleted(c, streamId);
        }
    }

    static void appliesRunsSplitAtTombstones(String url) throws Exception {
        onStore(url, (ds, store) -> {
            store.append("acct-c", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(3))));
            store.append("acct-a", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(5))));
            store.append("noise", ExpectedVersion.any(), List.of(EventData.of("Other", "{}")));
            store.append("acct-b", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(7))));
            store.deleteStream("acct-c", ExpectedVersion.any());
            store.append(
                    "acct-b",
                    ExpectedVersion.any(),
                    List.of(CODEC.encode(new Deposited(1)), CODEC.encode(new Deposited(2))));
            RunTables tables = new RunTables();
            try (ProjectionRunner runner = ProjectionRunner.builder(store)
                    .add(store.projectors().sql(tables, CODEC))
                    .build()) {
                runner.catchUp();
                // the event the codec does not know is skipped; the tombstone splits the runs
                assertThat(tables.calls).containsExactly("run [5, 7]", "deleted acct-c", "run [1, 2]");
                assertThat(DepositTables.totals(ds))
                        .containsOnlyKeys("acct-a", "acct-b")
                        .containsEntry("acct-a", new io.annals.eventstore.tck.ProjectionRunnerContract.Total(5, 1))
                        .containsEntry("acct-b", new io.annals.eventstore.tck.ProjectionRunnerContract.Total(10, 3));
                assertThat(DepositTables.logged(ds)).isEqualTo(4);

                tables.calls.clear();
                runner.rebuild("deposit-tables", p -> {});
                assertThat(tables.calls).containsExactly("run [5, 7]", "deleted acct-c", "run [1, 2]");
                assertThat(DepositTables.logged(ds)).isEqualTo(4);
            }
        });
    }

    /**
     * A run fails as a whole; the stop policy then applies the batch's events one per batch, so it
     * stops at the event that fails alone, every event before it applied once.
     */
    static void aFailingRunIsIsolatedToItsEvent(String url) throws Exception {
        onStore(url, (ds, store) -> {
            long poisonAt = 0;
            long before = 0;
            for (long amount : new long[] {1, 2, 13, 4}) {
                long position = store.append(
                                "acct-" + amount, ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(amount))))
                        .position();
                if (amount == 13) {
                    poisonAt = position;
                } else if (amount == 2) {
                    before = position;
                }
            }
            RunTables tables = new RunTables();
            tables.poison = 13;
            Projector projector = store.projectors().sql(tables, CODEC);
            try (ProjectionRunner runner = ProjectionRunner.builder(store)
                    .add(projector)
                    .onError("deposit-tables", io.annals.eventstore.projection.ErrorPolicy.stopAfter(0))
                    .build()) {
                ProjectionStatus status = runner.catchUp().get(0);
                assertThat(status.state()).isEqualTo(ProjectionStatus.State.FAILED);
                assertThat(status.lastError())
                        .get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                        .contains("position " + poisonAt)
                        .contains("deposits of 13 are refused");
                assertThat(tables.calls).containsExactly("run [1, 2, 13, 4]", "run [1]", "run [2]", "run [13]");
                assertThat(projector.checkpoint()).isEqualTo(before);
                assertThat(DepositTables.totals(ds)).containsOnlyKeys("acct-1", "acct-2");
                assertThat(DepositTables.logged(ds)).isEqualTo(2);
            }
        });
    }

    /**
     * A JDK proxy declares every method of the interface: it gets {@code apply} for each event, so
     * that what it does around {@code apply} runs, whatever the projection behind it declares.
     */
    static void aJdkProxyGetsApplyForEachEvent(String url) throws Exception {
        onStore(url, (ds, store) -> {
            for (long amount = 1; amount <= 5; amount++) {
                store.append("acct-a", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(amount))));
            }
            DepositTables target = new DepositTables();
            List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            @SuppressWarnings("unchecked")
            SqlProjection<Deposited> proxy = (SqlProjection<Deposited>) java.lang.reflect.Proxy.newProxyInstance(
                    SqlProjection.class.getClassLoader(), new Class<?>[] {SqlProjection.class}, (p, method, args) -> {
                        seen.add(method.getName());
                        try {
                            return method.invoke(target, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            try (ProjectionRunner runner = ProjectionRunner.builder(store)
                    .add(store.projectors().sql(proxy, CODEC))
                    .build()) {
                runner.catchUp();
            }
            assertThat(seen).filteredOn("apply"::equals).hasSize(5);
            assertThat(seen).doesNotContain("applyAll");
            assertThat(DepositTables.totals(ds))
                    .containsEntry("acct-a", new io.annals.eventstore.tck.ProjectionRunnerContract.Total(15, 5));
        });
    }

    @Nested
    class On_SQLite {
        @TempDir
        Path dir;

        @Test
        void every_event_is_applied_once_and_a_rebuild_starts_from_empty_tables() throws Exception {
            appliesEveryEventOnceAndRebuilds("jdbc:sqlite:" + dir.resolve("custom.db"));
        }

        @Test
        void the_tombstone_of_a_deleted_stream_reaches_the_projection() throws Exception {
            forgetsADeletedStreamInLogOrder("jdbc:sqlite:" + dir.resolve("forget.db"));
        }

        @Test
        void apply_all_gets_the_events_in_runs_split_at_tombstones() throws Exception {
            appliesRunsSplitAtTombstones("jdbc:sqlite:" + dir.resolve("runs.db"));
        }

        @Test
        void a_failing_run_is_isolated_to_the_event_that_fails() throws Exception {
            aFailingRunIsIsolatedToItsEvent("jdbc:sqlite:" + dir.resolve("failing-run.db"));
        }

        @Test
        void a_jdk_proxy_gets_apply_for_each_event() throws Exception {
            aJdkProxyGetsApplyForEachEvent("jdbc:sqlite:" + dir.resolve("proxy.db"));
        }
    }

    @Nested
    @Tag("postgres")
    class On_PostgreSQL {
        @Test
        void every_event_is_applied_once_and_a_rebuild_starts_from_empty_tables() throws Exception {
            appliesEveryEventOnceAndRebuilds(DB.newSchemaUrl("custom"));
        }

        @Test
        void the_tombstone_of_a_deleted_stream_reaches_the_projection() throws Exception {
            forgetsADeletedStreamInLogOrder(DB.newSchemaUrl("forget"));
        }

        @Test
        void apply_all_gets_the_events_in_runs_split_at_tombstones() throws Exception {
            appliesRunsSplitAtTombstones(DB.newSchemaUrl("runs"));
        }

        @Test
        void a_failing_run_is_isolated_to_the_event_that_fails() throws Exception {
            aFailingRunIsIsolatedToItsEvent(DB.newSchemaUrl("failing_run"));
        }
    }
}
