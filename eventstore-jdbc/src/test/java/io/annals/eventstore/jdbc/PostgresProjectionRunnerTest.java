package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The projection contract on PostgreSQL; "another process" is a second pool on the schema. */
@Tag("postgres")
class PostgresProjectionRunnerTest extends ProjectionRunnerContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();
    private final Map<EventStore, String> urls = new ConcurrentHashMap<>();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected EventStore newStore() {
        String url = DB.newSchemaUrl("projections");
        JdbcEventStore store = JdbcEventStore.open(url);
        urls.put(store, url);
        return store;
    }

    @Override
    protected KeyedProjector<String, Total> keyed(EventStore store, Totals projection) {
        return ((JdbcEventStore) store).projectors().keyed(projection, CODEC, TOTALS);
    }

    @Test
    @Timeout(120)
    void more_projections_than_the_default_pool_has_connections_still_run() {
        JdbcEventStore store = (JdbcEventStore) store();
        List<KeyedProjector<String, Total>> projectors = new ArrayList<>();
        ProjectionRunner.Builder builder = ProjectionRunner.builder(store).pollInterval(Duration.ofMillis(10));
        for (int i = 0; i < 10; i++) {
            KeyedProjector<String, Total> p = keyed(store, new Totals("totals-" + i));
            projectors.add(p);
            builder.add(p);
        }
        ProjectionRunner runner = closeLater(builder.build());
        runner.start();
        AppendResult last = null;
        for (int i = 0; i < 50; i++) {
            last = deposit(store, "acct-" + (i % 5), i + 1);
        }

        assertThat(runner.awaitPosition(last.position(), Duration.ofSeconds(60)))
                .isTrue();
        for (KeyedProjector<String, Total> p : projectors) {
            assertThat(readModel(p)).isEqualTo(fold(store));
        }
    }

    @Test
    void a_data_source_with_auto_commit_off_is_refused() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(DB.newSchemaUrl("autocommit"));
        config.setAutoCommit(false);
        try (HikariDataSource ds = new HikariDataSource(config)) {
            assertThatThrownBy(() -> JdbcEventStore.open(ds))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("auto-commit");
        }
    }

    @Override
    protected EventStore reopen(EventStore store) {
        JdbcEventStore again = JdbcEventStore.open(urls.get(store));
        urls.put(again, urls.get(store));
        return again;
    }
}
