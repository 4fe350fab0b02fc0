package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.tck.EventStoreContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.ProjectionRunnerContract.Total;
import io.annals.eventstore.tck.ProjectionRunnerContract.Totals;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 6 of the reliability suite: PostgreSQL goes away while appends and projections run.
 * The default build cuts every session of the store from the server side
 * ({@code pg_terminate_backend}) several times; the nightly build stops the server itself with
 * {@code pg_ctlcluster ... stop -m immediate} and starts it again. Either way the store and the
 * runner must recover by themselves, with nothing lost, nothing duplicated, and typed errors
 * meanwhile.
 */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresOutageTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();
    private static final String APP = "annals-outage-test";

    @AfterAll
    static void dropSchemas() throws Exception {
        PostgresServer.ensureRunning();
        DB.dropAll();
    }

    /** Cuts the store's sessions from the server side. */
    private interface Outage {
        void happen(Random random) throws Exception;
    }

    @Test
    @Timeout(300)
    void sessions_killed_under_appends_and_projections_are_replaced_without_loss_or_duplicates() throws Exception {
        survive(5, random -> {
            PostgresTestDatabase.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    + "WHERE application_name = '" + APP + "' AND pid <> pg_backend_pid()");
            Thread.sleep(100 + random.nextInt(200));
        });
    }

    @Test
    @Tag("nightly")
    @Timeout(1800)
    void a_server_restart_under_appends_and_projections_is_survived_without_loss_or_duplicates() throws Exception {
        survive(3, random -> {
            try {
                PostgresServer.stopImmediately();
                Thread.sleep(2000 + random.nextInt(3000));
            } finally {
                PostgresServer.ensureRunning();
            }
        });
    }

    private void survive(int outages, Outage outage) throws Exception {
        String url = DB.newSchemaUrl("outage") + "&ApplicationName=" + APP;
        Random random = new Random(6);
        try (JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(6).open()) {
            DepositTables.create(store.dataSource());
            KeyedProjector<String, Total> totals = store.projectors().keyed(new Totals("totals"), CODEC, TOTALS);
            Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
            List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong lastPosition = new AtomicLong();
            Thread writer = new Thread(
                    () -> {
                        Random r = new Random(60);
                        while (writing.get()) {
                            EventData e = CODEC.encode(new Deposited(1 + r.nextInt(100)));
                            String account = "acct-" + r.nextInt(6);
                            while (true) { // the same event id until it is acknowledged: retries are safe
                                try {
                                    lastPosition.set(store.append(account, ExpectedVersion.any(), List.of(e))
                                            .position());
                                    acknowledged.add(e.eventId());
                                    break;
                                } catch (RuntimeException failure) {
                                    errors.add(failure.getClass().getName() + ": " + failure.getMessage());
                                    sleep(50);
                                }
                            }
                        }
                    },
                    "outage-writer");
            try (ProjectionRunner runner = ProjectionRunner.builder(store)
                    .add(totals)
                    .add(store.projectors().sql(new DepositTables(), CODEC))
                    .batchSize(20)
                    .pollInterval(Duration.ofMillis(20))
                    .maxBackoff(Duration.ofSeconds(2))
                    .build()) {
                runner.start();
                writer.start();
                for (int i = 0; i < outages; i++) {
                    Thread.sleep(300 + random.nextInt(500));
                    outage.happen(random);
                }
                // Recovery: new appends are acknowledged and applied once the server is back.
                int before = acknowledged.size();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (acknowledged.size() < before + 20 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(acknowledged.size())
                        .as("appends resumed; errors: %s", errors)
                        .isGreaterThanOrEqualTo(before + 20);
                writing.set(false);
                writer.join(120_000);
                assertThat(runner.awaitPosition(lastPosition.get(), Duration.ofSeconds(120)))
                        .as("the runner caught up by itself: %s", runner.statuses())
                        .isTrue();

                List<RecordedEvent> all = EventStoreContract.readAllOf(store);
                assertThat(all)
                        .extracting(RecordedEvent::eventId)
                        .doesNotHaveDuplicates()
                        .containsExactlyInAnyOrderElementsOf(acknowledged);
                Map<String, Total> expected = new TreeMap<>();
                for (RecordedEvent r : all) {
                    long amount = CODEC.decode(r).event().amount();
                    expected.merge(
                            r.streamId(),
                            new Total(amount, 1),
                            (x, y) -> new Total(x.sum() + y.sum(), x.count() + y.count()));
                }
                Map<String, Total> keyed = new TreeMap<>();
                totals.list(0, 100).forEach(row -> keyed.put(row.key(), row.value()));
                assertThat(keyed).isEqualTo(expected);
                assertThat(DepositTables.totals(store.dataSource())).isEqualTo(expected);
                assertThat(DepositTables.logged(store.dataSource())).isEqualTo(all.size());
                assertThat(errors)
                        .as("errors during the outage are EventStoreExceptions")
                        .allMatch(m -> m.startsWith("io.annals.eventstore.EventStoreException: append to stream"));
                System.out.printf(
                        "outages: %d, events: %d, append errors meanwhile: %d%n", outages, all.size(), errors.size());
            } finally {
                writing.set(false);
                writer.join(120_000);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
