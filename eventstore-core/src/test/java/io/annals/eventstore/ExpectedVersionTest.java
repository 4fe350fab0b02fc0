package io.annals.eventstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ExpectedVersionTest {

    @ParameterizedTest
    @ValueSource(longs = {-1, Long.MIN_VALUE})
    void exactly_a_negative_version_is_rejected(long version) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ExpectedVersion.exactly(version))
                .withMessageContaining("negative")
                .withMessageContaining(Long.toString(version));
    }

    @Test
    void exactly_0_is_met_only_by_a_missing_stream_like_noStream() {
        for (long current = 0; current <= 3; current++) {
            assertThat(ExpectedVersion.exactly(0).isMetBy(current))
                    .as("current version %d", current)
                    .isEqualTo(ExpectedVersion.noStream().isMetBy(current))
                    .isEqualTo(current == 0);
        }
    }

    @Test
    void exactly_v_is_met_only_by_v() {
        ExpectedVersion three = ExpectedVersion.exactly(3);

        assertThat(three.isMetBy(3)).isTrue();
        assertThat(three.isMetBy(2)).isFalse();
        assertThat(three.isMetBy(4)).isFalse();
        assertThat(three).isEqualTo(ExpectedVersion.exactly(3)).hasToString("3");
    }

    @Test
    void any_is_met_by_every_version() {
        assertThat(ExpectedVersion.any().isMetBy(0)).isTrue();
        assertThat(ExpectedVersion.any().isMetBy(42)).isTrue();
    }

    @Test
    void streamExists_is_met_by_every_version_but_0() {
        assertThat(ExpectedVersion.streamExists().isMetBy(0)).isFalse();
        assertThat(ExpectedVersion.streamExists().isMetBy(1)).isTrue();
        assertThat(ExpectedVersion.streamExists().isMetBy(42)).isTrue();
    }

    @Test
    void each_says_what_it_expects_in_a_conflict_message() {
        assertThat(ExpectedVersion.any()).hasToString("any");
        assertThat(ExpectedVersion.noStream()).hasToString("no stream");
        assertThat(ExpectedVersion.streamExists()).hasToString("stream exists");
        assertThat(new WrongExpectedVersionException("product-42", ExpectedVersion.exactly(3), 5))
                .hasMessage("Wrong expected version for stream product-42: expected 3, actual 5");
    }
}
