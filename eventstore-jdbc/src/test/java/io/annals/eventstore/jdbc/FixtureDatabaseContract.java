package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * A database written by Annals {@value FixtureDatabases#VERSION} opens, migrates and keeps every
 * event, snapshot and read-model row in this build; new appends and projection batches carry on
 * where it stopped. See {@link FixtureDatabases}.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class FixtureDatabaseContract {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A builder on a fresh copy of the fixture database of {@code version}. */
    abstract JdbcEventStore.Builder restore(String version) throws Exception;

    @Test
    void the_fixture_opens_and_migrates_and_holds_everything_it_was_written_with() throws Exception {
        try (JdbcEventStore store = restore(FixtureDatabases.VERSION).open()) {
            List<RecordedEvent> log = store.readAll(0, 100);
            assertThat(log).hasSize(FixtureDatabases.EVENTS.size());
            for (int i = 0; i < log.size(); i++) {
                RecordedEvent r = log.get(i);
                FixtureDatabases.Appended e = FixtureDatabases.EVENTS.get(i);
                assertThat(r.streamId()).isEqualTo(e.streamId());
                assertThat(r.version()).isEqualTo(e.version());
                assertThat(r.eventId()).isEqualTo(e.eventId());
                assertThat(r.type()).isEqualTo("Deposited");
                assertThat(JSON.readTree(r.json()))
                        .isEqualTo(JSON.readTree(e.data().json()));
                assertThat(r.metadata()).isEqualTo(e.metadata());
                assertThat(r.recordedAt()).isEqualTo(FixtureDatabases.RECORDED_AT);
                if (i > 0) {
                    assertThat(r.position()).isGreaterThan(log.get(i - 1).position());
                }
            }
            assertThat(store.readStream("acct-1", 1, 10))
                    .extracting(RecordedEvent::version)
                    .containsExactly(1L, 2L, 3L);
            assertThat(store.snapshots().load("acct-1")).contains(FixtureDatabases.SNAPSHOT);

            KeyedProjector<String, ProjectionRunnerContract.Total> totals =
                    store.projectors().keyed(new ProjectionRunnerContract.Totals("totals"), CODEC, TOTALS);
            assertThat(totals.checkpoint()).isEqualTo(log.get(log.size() - 1).position());
            assertThat(totals.list(0, 10).stream().collect(Collectors.toMap(row -> row.key(), row -> row.value())))
                    .isEqualTo(FixtureDatabases.TOTALS_ROWS);
        }
    }

    @Test
    void a_fixture_database_takes_new_events_after_the_old_ones_and_its_projection_carries_on() throws Exception {
        try (JdbcEventStore store = restore(FixtureDatabases.VERSION).open()) {
            long last = store.readAll(0, 100)
                    .get(FixtureDatabases.EVENTS.size() - 1)
                    .position();
            long position = store.append(
                            "acct-2", ExpectedVersion.exactly(1), List.of(EventData.of("Deposited", "{\"amount\":4}")))
                    .position();
            assertThat(position).isGreaterThan(last);
            assertThat(store.readAll(last, 10))
                    .extracting(RecordedEvent::position)
                    .containsExactly(position);

            KeyedProjector<String, ProjectionRunnerContract.Total> totals =
                    store.projectors().keyed(new ProjectionRunnerContract.Totals("totals"), CODEC, TOTALS);
            try (ProjectionRunner runner =
                    ProjectionRunner.builder(store).add(totals).build()) {
                runner.catchUp();
            }
            assertThat(totals.get("acct-2")).contains(new ProjectionRunnerContract.Total(15, 2));
            assertThat(totals.get("acct-1")).contains(new ProjectionRunnerContract.Total(10, 3));
        }
    }

    @Test
    void a_fixture_database_refuses_validation_until_migrated_then_passes_it_and_opens_read_only() throws Exception {
        assertThatThrownBy(() -> restore(FixtureDatabases.VERSION)
                        .openMode(OpenMode.VALIDATE)
                        .open()
                        .close())
                .isInstanceOf(SchemaVersionException.class)
                .hasMessageContaining("missing")
                .hasMessageContaining("tags");
        JdbcEventStore.Builder fixture = restore(FixtureDatabases.VERSION);
        fixture.open().close(); // migrates
        try (JdbcEventStore store = fixture.openMode(OpenMode.VALIDATE).open()) {
            assertThat(store.readAll(0, 100)).hasSize(FixtureDatabases.EVENTS.size());
            // stored before tags existed: they carry none
            assertThat(store.readAll(0, 100))
                    .allSatisfy(e -> assertThat(e.tags()).isEmpty());
        }
        try (JdbcEventStore store = fixture.openMode(OpenMode.READ_ONLY).open()) {
            assertThat(store.readStream("acct-2", 1, 10)).hasSize(1);
        }
    }

    static Map<String, String> noMetadata() {
        return Map.of();
    }
}
