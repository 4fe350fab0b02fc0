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

    @Nested
    class On_SQLite {
        @TempDir
        Path dir;

        @Test
        void every_event_is_applied_once_and_a_rebuild_starts_from_empty_tables() throws Exception {
            appliesEveryEventOnceAndRebuilds("jdbc:sqlite:" + dir.resolve("custom.db"));
        }
    }

    @Nested
    @Tag("postgres")
    class On_PostgreSQL {
        @Test
        void every_event_is_applied_once_and_a_rebuild_starts_from_empty_tables() throws Exception {
            appliesEveryEventOnceAndRebuilds(DB.newSchemaUrl("custom"));
        }
    }
}
