package io.annals.eventstore.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.ConnectionFactory;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.ProjectionStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What the relay does without a broker; runs in every build (only a port where none listens). */
class RabbitRelayWithoutBrokerTest {

    @TempDir
    Path dir;

    private JdbcEventStore store(String file) {
        return JdbcEventStore.open("jdbc:sqlite:" + dir.resolve(file));
    }

    private static void appendMixed(JdbcEventStore store, int n) {
        for (int i = 0; i < n; i++) {
            store.append("s", ExpectedVersion.any(), List.of(EventData.of("Created", "{}")));
        }
    }

    @Test
    @Timeout(60)
    void an_unreachable_broker_fails_the_batch_and_leaves_the_checkpoint() {
        ConnectionFactory nowhere = new ConnectionFactory();
        nowhere.setHost("127.0.0.1");
        nowhere.setPort(1); // nothing listens there
        nowhere.setConnectionTimeout(2_000);
        try (JdbcEventStore store = store("unreachable.db")) {
            appendMixed(store, 3);
            try (RabbitRelay relay = RabbitRelay.builder(store, nowhere)
                    .exchange("x")
                    .name("nowhere")
                    .build()) {
                ProjectionStatus status = relay.catchUp();
                assertThat(status.state()).isEqualTo(ProjectionStatus.State.FAILED);
                assertThat(status.lastError())
                        .hasValueSatisfying(
                                m -> assertThat(m).contains("subscriber nowhere failed on a batch of 3 events"));
                assertThat(status.checkpoint()).isZero();
            }
        }
    }

    @Test
    void the_builder_refuses_a_relay_without_an_exchange_and_bad_settings() {
        try (JdbcEventStore store = store("builder.db")) {
            RabbitRelay.Builder b = RabbitRelay.builder(store, new ConnectionFactory());
            assertThatThrownBy(b::build).hasMessageContaining("set the exchange");
            assertThatThrownBy(() -> b.batchSize(0)).hasMessageContaining("batchSize must be at least 1");
            assertThatThrownBy(() -> b.name(" ")).hasMessageContaining("subscriber name");
            assertThatThrownBy(() -> b.onlyTypes(Set.of())).hasMessageContaining("at least one event type");
            assertThatThrownBy(() -> b.confirmTimeout(Duration.ZERO)).hasMessageContaining("confirmTimeout");
            assertThatThrownBy(() -> b.confirmTimeout(Duration.ofSeconds(Long.MAX_VALUE)))
                    .hasMessageContaining("at most PT24H");
        }
    }

    @Test
    void the_default_routing_key_is_the_type_and_stays_within_amqp_limits() {
        assertThat(RabbitRelay.typeRoutingKey("PriceChanged")).isEqualTo("PriceChanged");
        String ascii = "T".repeat(255);
        assertThat(RabbitRelay.typeRoutingKey(ascii)).isEqualTo(ascii);

        String wide = "é".repeat(150); // 300 bytes in UTF-8
        String other = "é".repeat(149) + "è";
        String key = RabbitRelay.typeRoutingKey(wide);

        assertThat(key.getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(255);
        assertThat(key).startsWith("é".repeat(100) + "#").isEqualTo(RabbitRelay.typeRoutingKey(wide));
        assertThat(RabbitRelay.typeRoutingKey(other)).isNotEqualTo(key);
        String emoji = RabbitRelay.typeRoutingKey("😀".repeat(70)); // 280 bytes: never cut inside a character
        assertThat(new String(emoji.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8))
                .isEqualTo(emoji)
                .startsWith("😀".repeat(50) + "#");
    }
}
