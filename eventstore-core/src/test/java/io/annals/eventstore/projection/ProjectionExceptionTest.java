package io.annals.eventstore.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.RecordedEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProjectionExceptionTest {

    private static RecordedEvent event(long position) {
        return new RecordedEvent(
                "acct-" + position,
                1,
                position,
                UUID.nameUUIDFromBytes(new byte[] {(byte) position}),
                "Deposited",
                "{}",
                Map.of(),
                Instant.EPOCH);
    }

    @Test
    void a_batch_failure_names_the_batch_and_never_claims_to_know_the_event() {
        IllegalStateException cause = new IllegalStateException("refused");

        ProjectionException e = ProjectionException.ofBatch("totals", List.of(event(7), event(8), event(12)), cause);

        assertThat(e.getMessage())
                .startsWith("projection totals failed on a batch of 3 events, positions 7 to 12 (first: ")
                .contains("stream acct-7 version 1")
                .contains("so which one is not known")
                .endsWith(cause.toString())
                .doesNotContain("failed on event");
        assertThat(e.position()).isEqualTo(7);
        assertThat(e.projection()).isEqualTo("totals");
        assertThat(e.getCause()).isSameAs(cause);
    }

    @Test
    void a_batch_of_one_event_is_a_failure_on_that_event() {
        IllegalStateException cause = new IllegalStateException("refused");

        ProjectionException e = ProjectionException.ofBatch("totals", List.of(event(9)), cause);

        assertThat(e.getMessage()).isEqualTo(new ProjectionException("totals", event(9), cause).getMessage());
        assertThat(e.position()).isEqualTo(9);
    }

    @Test
    void a_batch_without_events_is_refused() {
        assertThatThrownBy(() -> ProjectionException.ofBatch("totals", List.of(), new IllegalStateException()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one event");
    }
}
