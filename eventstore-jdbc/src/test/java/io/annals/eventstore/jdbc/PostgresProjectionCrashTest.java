package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.ProjectionRunnerContract.Totals;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connections killed under a running projection: mid-batch (the server ends the session after
 * half a batch was written) and under the lease. The runner must recover by itself, and the
 * read models must equal a fold of the log: nothing applied twice, nothing skipped.
 */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresProjectionCrashTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Test
    @Timeout(120)
    void killed_connections_mid_batch_and_under_the_lease_neither_duplicate_nor_skip_events() throws Exception {
        String url = DB.newSchemaUrl("crash");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(8);
        try (HikariDataSource ds = new HikariDataSource(config);
                JdbcEventStore store = JdbcEventStore.open(ds)) {
            DepositTables.create(ds);
            DepositTables tables = new DepositTables();
            AtomicInteger kills = new AtomicInteger();
            tables.hook = (c, e) -> {
                // Every 37th deposit, the first 3 times: the server kills this very session in the
                // middle of the batch, after the earlier events of the batch were written.
                if (e.event().amount() % 37 == 0 && kills.get() < 3 && kills.incrementAndGet() <= 3) {
                    try (Statement st = c.createStatement()) {
                        st.execute("SELECT pg_terminate_backend(pg_backend_pid())");
                    }
                }
            };
            KeyedProjector<String, ProjectionRunnerContract.Total> totals =
                    store.projectors().keyed(new Totals("totals"), CODEC, TOTALS);
            try (ProjectionRunner runner = ProjectionRunner.builder(store)
                    .add(store.projectors().sql(tables, CODEC))
                    .add(totals)
                    .batchSize(10)
                    .pollInterval(Duration.ofMillis(10))
                    .maxBackoff(Duration.ofMillis(200))
                    .build()) {
                runner.start();
                AppendResult last = null;
                for (int i = 1; i <= 300; i++) {
                    last = store.append(
                            "acct-" + (i % 10), ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(i))));
                    if (i % 100 == 0) {
                        // and the sessions holding the leases, from outside
                        PostgresTestDatabase.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                + "WHERE query LIKE '%pg_try_advisory_lock%' AND pid <> pg_backend_pid()");
                    }
                }
                assertThat(runner.awaitPosition(last.position(), Duration.ofSeconds(60)))
                        .isTrue();

                assertThat(kills.get()).isGreaterThanOrEqualTo(3);
                Map<String, ProjectionRunnerContract.Total> expected = new TreeMap<>();
                for (int i = 1; i <= 300; i++) {
                    expected.merge(
                            "acct-" + (i % 10),
                            new ProjectionRunnerContract.Total(i, 1),
                            (a, b) -> new ProjectionRunnerContract.Total(a.sum() + b.sum(), a.count() + b.count()));
                }
                assertThat(DepositTables.logged(ds)).isEqualTo(300);
                assertThat(DepositTables.totals(ds)).isEqualTo(expected);
                Map<String, ProjectionRunnerContract.Total> keyed = new TreeMap<>();
                totals.list(0, 100).forEach(r -> keyed.put(r.key(), r.value()));
                assertThat(keyed).isEqualTo(expected);
            }
        }
    }
}
