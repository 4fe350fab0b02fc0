package io.annals.pricetracker.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.privacy.InMemorySubjectKeys;
import io.annals.eventstore.privacy.KeyWrapper;
import io.annals.eventstore.privacy.Sealed;
import io.annals.eventstore.privacy.Vault;
import io.annals.eventstore.testing.AggregateFixture;
import io.annals.pricetracker.alerts.WatchCommand.RecordAlert;
import io.annals.pricetracker.alerts.WatchCommand.StartWatching;
import io.annals.pricetracker.alerts.WatchCommand.StopWatching;
import io.annals.pricetracker.alerts.WatchEvent.AlertRecorded;
import io.annals.pricetracker.alerts.WatchEvent.WatchStarted;
import io.annals.pricetracker.alerts.WatchEvent.WatchStopped;
import java.math.BigDecimal;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The watch's rules: an armed watch alerts once at or below its target; a stopped one never. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class WatchAggregateTest {

    private static final Vault VAULT = Vault.builder(new InMemorySubjectKeys(), KeyWrapper.aesGcm("test", new byte[32]))
            .build();
    private static final Sealed EMAIL = VAULT.seal("s1.subject", "ann@example.com");
    private static final Sealed NEW_EMAIL = VAULT.seal("s1.subject", "ann@example.com");
    private static final WatchStarted STARTED =
            new WatchStarted("tea", "s1.subject", EMAIL, new BigDecimal("8.00"), "EUR");

    private final AggregateFixture<Watch, WatchCommand, WatchEvent> fixture = AggregateFixture.of(new WatchAggregate());

    /** The alert of the start at version 1 (target 8.00), at {@code price}. */
    private static RecordAlert at(String price) {
        return at(1, "8.00", EMAIL, price);
    }

    private static RecordAlert at(long start, String target, Sealed email, String price) {
        return new RecordAlert("tea", "s1.subject", start, new BigDecimal(target), email, new BigDecimal(price), 7);
    }

    private static AlertRecorded alerted(long start, String target, Sealed email, String price, long productVersion) {
        return new AlertRecorded(
                "tea",
                "s1.subject",
                email,
                new BigDecimal(target),
                new BigDecimal(price),
                "EUR",
                productVersion,
                start);
    }

    @Test
    void starting_a_watch_arms_it() {
        fixture.given()
                .when(new StartWatching("tea", "s1.subject", EMAIL, new BigDecimal("8.00"), "EUR"))
                .thenEvents(STARTED)
                .thenState(w -> {
                    assertThat(w.armed()).isTrue();
                    assertThat(w.startVersion()).isEqualTo(1);
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"8", "8.000", "7.99", "0.01"})
    void a_price_at_or_below_the_target_records_the_alert_and_disarms(String price) {
        fixture.given(STARTED)
                .when(at(price))
                .thenEvents(alerted(1, "8.00", EMAIL, price, 7))
                .thenState(w -> {
                    assertThat(w.armed()).isFalse();
                    assertThat(w.alerts()).isEqualTo(1);
                });
    }

    @Test
    void a_price_above_the_target_records_nothing() {
        fixture.given(STARTED).when(at("8.01")).thenNothing();
    }

    @Test
    void a_start_alerts_once() {
        fixture.given(STARTED, alerted(1, "8.00", EMAIL, "7", 3)).when(at("6")).thenNothing();
    }

    @Test
    void a_start_made_after_the_change_is_not_used_up_by_its_alert() {
        WatchStarted again = new WatchStarted("tea", "s1.subject", NEW_EMAIL, new BigDecimal("5"), "EUR");
        // the change reached the first start's target; the second start came before the alert
        fixture.given(STARTED, again)
                .when(at("7.50"))
                .thenEvents(alerted(1, "8.00", EMAIL, "7.50", 7))
                .thenState(w -> {
                    assertThat(w.armed()).as("the second start is still armed").isTrue();
                    assertThat(w.targetPrice()).isEqualByComparingTo("5");
                });
        fixture.given(STARTED, again, alerted(1, "8.00", EMAIL, "7.50", 7))
                .when(at(2, "5", NEW_EMAIL, "5"))
                .thenEvents(alerted(2, "5", NEW_EMAIL, "5", 7));
    }

    @Test
    void a_stopped_watch_and_one_never_started_record_nothing() {
        fixture.given(STARTED, new WatchStopped("tea", "s1.subject"))
                .when(at("1"))
                .thenNothing();
        // stopped, then started again: the change before the new start alerts nobody
        fixture.given(
                        STARTED,
                        new WatchStopped("tea", "s1.subject"),
                        new WatchStarted("tea", "s1.subject", NEW_EMAIL, new BigDecimal("9"), "EUR"))
                .when(at("1"))
                .thenNothing();
        fixture.given().when(at("1")).thenNothing();
    }

    @Test
    void stopping_stops_an_armed_watch_only() {
        fixture.given(STARTED)
                .when(new StopWatching("tea", "s1.subject"))
                .thenEvents(new WatchStopped("tea", "s1.subject"));
        fixture.given(STARTED, new WatchStopped("tea", "s1.subject"))
                .when(new StopWatching("tea", "s1.subject"))
                .thenNothing();
        fixture.given().when(new StopWatching("tea", "s1.subject")).thenNothing();
    }

    @Test
    void a_target_that_is_not_positive_is_refused_when_the_command_is_made() {
        assertThatThrownBy(() -> new StartWatching("tea", "s1.subject", EMAIL, BigDecimal.ZERO, "EUR"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> new StartWatching("bad id!", "s1.subject", EMAIL, BigDecimal.ONE, "EUR"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void the_aggregate_id_puts_one_watch_per_person_and_product() {
        assertThat(new StopWatching("tea", "s1.x").aggregateId()).isEqualTo("tea/s1.x");
    }
}
