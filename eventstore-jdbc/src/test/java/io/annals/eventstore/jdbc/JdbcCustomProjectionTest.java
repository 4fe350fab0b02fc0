package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
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

    static void appliesEveryEventOnceAndRebuilds(String url) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        try (HikariDataSource ds = new HikariDataSource(config);
                JdbcEventStore store = JdbcEventStore.open(ds)) {
            DepositTables.create(ds);
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
        }
    }

    /** Deposit tables that drop an account's rows when its stream is deleted. */
    static final class ForgettingTables extends DepositTables {
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
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        try (HikariDataSource ds = new HikariDataSource(config);
                JdbcEventStore store = JdbcEventStore.open(ds)) {
            DepositTables.create(ds);
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
        }
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
    }
}
