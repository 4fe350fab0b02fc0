package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.privacy.InMemorySubjectKeys;
import io.annals.eventstore.privacy.KeyWrapper;
import io.annals.eventstore.privacy.Sealed;
import io.annals.eventstore.privacy.Vault;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** A sealed value in an event, through the Jackson codec: stored as two strings, never in clear. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SealedJsonTest {

    sealed interface Watching extends Event permits WatchStarted {}

    record WatchStarted(String productId, Sealed email) implements Watching {}

    private final EventCodec<Watching> codec = JacksonEventCodec.builder(Watching.class)
            .register("WatchStarted", WatchStarted.class)
            .build();
    private final Vault vault = Vault.builder(new InMemorySubjectKeys(), KeyWrapper.aesGcm("k1", new byte[32]))
            .build();

    @Test
    void an_event_with_a_sealed_field_round_trips_and_its_json_holds_no_plaintext() {
        Sealed email = vault.seal("subject-1", "ann@example.com");
        EventData data = codec.encode(new WatchStarted("tea", email), Map.of());

        assertThat(data.json())
                .doesNotContain("ann@")
                .contains("\"subject\":\"subject-1\"")
                .contains("\"ciphertext\":\"v1.");
        WatchStarted back = (WatchStarted) codec.decode(recorded(data)).event();
        assertThat(back.email()).isEqualTo(email);
        assertThat(vault.reveal(back.email())).contains("ann@example.com");
    }

    @Test
    void a_stored_value_that_is_not_a_sealed_value_is_refused_when_decoded() {
        EventData forged = new EventData(
                java.util.UUID.randomUUID(),
                "WatchStarted",
                "{\"productId\":\"tea\",\"email\":{\"subject\":\"s\",\"ciphertext\":\"ann@example.com\"}}",
                Map.of());

        assertThatThrownBy(() -> codec.decode(recorded(forged)))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("not a sealed value")
                .hasMessageNotContaining("ann@example.com");
    }

    private static RecordedEvent recorded(EventData d) {
        return new RecordedEvent(
                "watch-1", 1, 1, d.eventId(), d.type(), d.json(), d.metadata(), Instant.EPOCH, Set.of());
    }
}
