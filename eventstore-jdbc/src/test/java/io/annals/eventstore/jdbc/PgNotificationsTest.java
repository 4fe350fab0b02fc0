package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** How long the notifying thread pauses after a notification, by how many appends it stood for. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PgNotificationsTest {

    @Test
    void the_pause_is_10_ms_while_appends_are_few_and_grows_to_30_ms_in_a_steady_stream() {
        assertThat(pause(0)).isEqualTo(Duration.ofMillis(10));
        assertThat(pause(1)).isEqualTo(Duration.ofMillis(10));
        assertThat(pause(2)).isEqualTo(Duration.ofMillis(10));
        assertThat(pause(3)).isEqualTo(Duration.ofMillis(11));
        assertThat(pause(12)).isEqualTo(Duration.ofMillis(20));
        assertThat(pause(22)).isEqualTo(Duration.ofMillis(30));
        assertThat(pause(5_000)).isEqualTo(Duration.ofMillis(30));
        assertThat(pause(Integer.MAX_VALUE)).isEqualTo(Duration.ofMillis(30));
    }

    private static Duration pause(int covered) {
        return Duration.ofNanos(PgNotifications.pauseAfter(covered));
    }
}
