package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.tck.EventStoreContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.sql.DataSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scenario 8 on PostgreSQL, and scenario 5: the connection drops right after the append's
 * statement reached the server (auto-committed: the events are stored), so the caller gets an
 * error instead of the acknowledgement and retries with the same event ids.
 */
@Tag("postgres")
class PostgresFaultTest extends FaultContract {

    private static final ReliabilityDb DB = ReliabilityDb.postgres();
    private boolean remembered;

    @Override
    ReliabilityDb db() {
        if (!remembered) {
            remembered = true;
            remember(DB);
        }
        return DB;
    }

    /** A DataSource without a pool: every connection is a new session. */
    private static DataSource plainDataSource(String url) {
        org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
        ds.setURL(url);
        return ds;
    }

    // --- 5. lost acknowledgement ----------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"exactly", "any", "noStream"})
    void a_retry_after_an_acknowledgement_lost_past_the_commit_stores_one_copy(String expectation) throws Exception {
        String url = db().newUrl("lost-ack");
        DroppingDataSource.Trap trap = new DroppingDataSource.Trap();
        try (JdbcEventStore store = JdbcEventStore.open(DroppingDataSource.wrap(plainDataSource(url), trap))) {
            store.append("other", ExpectedVersion.any(), List.of(EventData.of("Before", "{}")));
            ExpectedVersion expected = switch (expectation) {
                case "exactly" -> ExpectedVersion.exactly(0);
                case "any" -> ExpectedVersion.any();
                default -> ExpectedVersion.noStream();
            };
            List<EventData> batch = List.of(
                    EventData.of("A", "{\"n\":1}"), EventData.of("B", "{\"n\":2}"), EventData.of("C", "{\"n\":3}"));

            trap.afterCommit.set(true);
            Throwable lost = catchThrowable(() -> store.append("s", expected, batch));
            assertThat(lost)
                    .as("the caller sees a typed error, not an acknowledgement")
                    .isInstanceOf(EventStoreException.class)
                    .isNotInstanceOf(WrongExpectedVersionException.class)
                    .hasMessageContaining("append to stream s failed");
            assertThat(DroppingDataSource.isDrop(lost)).isTrue();
            assertThat(store.currentVersion("s")).as("yet it was committed").isEqualTo(3);

            AppendResult retried = store.append("s", expected, batch);
            store.append("other", ExpectedVersion.any(), List.of(EventData.of("After", "{}")));
            AppendResult again = store.append("s", expected, batch);

            List<RecordedEvent> stream = store.readStream("s", 1, 100);
            assertThat(stream)
                    .extracting(RecordedEvent::eventId)
                    .containsExactlyElementsOf(
                            batch.stream().map(EventData::eventId).toList());
            assertThat(retried).isEqualTo(new AppendResult(3, stream.get(2).position()));
            assertThat(again).isEqualTo(retried);
            assertThat(EventStoreContract.readAllOf(store)).hasSize(5);
        }
    }

    @Test
    void a_retry_after_a_connection_lost_before_the_commit_stores_one_copy() throws Exception {
        String url = db().newUrl("lost-before");
        DroppingDataSource.Trap trap = new DroppingDataSource.Trap();
        try (JdbcEventStore store = JdbcEventStore.open(DroppingDataSource.wrap(plainDataSource(url), trap))) {
            List<EventData> batch = List.of(EventData.of("A", "{}"), EventData.of("B", "{}"));
            trap.beforeCommit.set(true);
            assertThat(catchThrowable(() -> store.append("s", ExpectedVersion.noStream(), batch)))
                    .isInstanceOf(EventStoreException.class);
            assertThat(store.currentVersion("s")).as("nothing committed").isZero();

            assertThat(store.append("s", ExpectedVersion.noStream(), batch).version())
                    .isEqualTo(2);
            assertThat(EventStoreContract.readAllOf(store)).hasSize(2);
        }
    }

    @Test
    @Tag("nightly")
    @Timeout(1800)
    void many_rounds_of_lost_acknowledgements_store_each_batch_once() throws Exception {
        String url = db().newUrl("lost-many");
        DroppingDataSource.Trap trap = new DroppingDataSource.Trap();
        Random random = new Random(5);
        try (JdbcEventStore store = JdbcEventStore.open(DroppingDataSource.wrap(plainDataSource(url), trap))) {
            long version = 0;
            for (int round = 0; round < 500; round++) {
                List<EventData> batch = new ArrayList<>();
                for (int i = 0; i <= random.nextInt(4); i++) {
                    batch.add(EventData.of("E", "{\"round\":" + round + "}"));
                }
                (random.nextBoolean() ? trap.afterCommit : trap.beforeCommit).set(true);
                ExpectedVersion expected =
                        random.nextBoolean() ? ExpectedVersion.exactly(version) : ExpectedVersion.any();
                AppendResult r;
                try {
                    r = store.append("s", expected, batch);
                } catch (EventStoreException e) {
                    assertThat(DroppingDataSource.isDrop(e)).as(e.toString()).isTrue();
                    r = store.append("s", expected, batch);
                }
                version += batch.size();
                assertThat(r.version()).isEqualTo(version);
            }
            assertThat(store.currentVersion("s")).isEqualTo(version);
        }
    }
}
