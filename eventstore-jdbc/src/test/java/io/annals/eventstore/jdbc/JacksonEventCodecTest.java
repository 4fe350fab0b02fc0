package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.RecordedEvent;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class JacksonEventCodecTest {

    /** Not sealed, so that a class of it can be left unregistered. */
    interface Shop extends Event {}

    record Priced(String sku, BigDecimal price) implements Shop {}

    record Renamed(String sku, String name) implements Shop {}

    record Unregistered(String x) implements Shop {}

    private final JacksonEventCodec<Shop> codec = JacksonEventCodec.builder(Shop.class)
            .register("Priced", Priced.class)
            .register("Renamed", Renamed.class)
            .build();

    private static RecordedEvent stored(String type, String json) {
        return new RecordedEvent("shop-1", 3, 42, UUID.randomUUID(), type, json, Map.of(), Instant.EPOCH);
    }

    @Test
    void an_event_round_trips_under_its_registered_name_with_exact_decimals() {
        Priced e = new Priced("tea", new BigDecimal("0.10000000000000000001"));

        EventData data = codec.encode(e);

        assertThat(data.type()).isEqualTo("Priced");
        assertThat(data.json()).isEqualTo("{\"sku\":\"tea\",\"price\":0.10000000000000000001}");
        assertThat(codec.fromJson("Priced", data.json())).isEqualTo(e);
    }

    @Test
    void unknown_properties_are_ignored_so_old_code_reads_new_events() {
        assertThat(codec.fromJson("Renamed", "{\"sku\":\"a\",\"name\":\"b\",\"added\":1}"))
                .isEqualTo(new Renamed("a", "b"));
    }

    sealed interface Ledger extends Event permits Credited, Debited, Adjustment {}

    record Credited(long amount) implements Ledger {}

    record Debited(long amount) implements Ledger {}

    sealed interface Adjustment extends Ledger permits Fee, Refund {}

    record Fee(long amount) implements Adjustment {}

    record Refund(long amount) implements Adjustment {}

    @Test
    void a_sealed_hierarchy_with_a_class_left_unregistered_is_refused_when_the_codec_is_built() {
        assertThatThrownBy(() -> JacksonEventCodec.builder(Ledger.class)
                        .register("Credited", Credited.class)
                        .register("Debited", Debited.class)
                        .register("Fee", Fee.class)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is sealed")
                .hasMessageContaining(Refund.class.getName())
                .hasMessageNotContaining(Fee.class.getName());
        assertThat(JacksonEventCodec.builder(Ledger.class)
                        .register("Credited", Credited.class)
                        .register("Debited", Debited.class)
                        .register("Fee", Fee.class)
                        .register("Refund", Refund.class)
                        .build()
                        .knows("Refund"))
                .isTrue();
    }

    @Test
    void an_unregistered_class_cannot_be_encoded() {
        assertThatThrownBy(() -> codec.encode(new Unregistered("x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not registered");
    }

    @Test
    void a_stored_type_naming_a_class_is_never_loaded() {
        String gadget = "com.sun.rowset.JdbcRowSetImpl";

        assertThatThrownBy(() -> codec.decode(stored(gadget, "{\"dataSourceName\":\"ldap://x\"}")))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("unknown event type '" + gadget + "'")
                .hasMessageContaining("shop-1 at version 3 (position 42)");
    }

    @Test
    void json_that_does_not_fit_the_class_is_a_clear_error_naming_the_event() {
        assertThatThrownBy(() -> codec.decode(stored("Priced", "{\"sku\":\"a\",\"price\":\"cheap\"}")))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("cannot decode event")
                .hasMessageContaining("Priced");
    }

    @Test
    void a_name_or_class_cannot_be_registered_twice() {
        assertThatThrownBy(() -> JacksonEventCodec.builder(Shop.class)
                        .register("Priced", Priced.class)
                        .register("Priced", Renamed.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("registered already");
        assertThatThrownBy(() -> JacksonEventCodec.builder(Shop.class)
                        .register("A", Priced.class)
                        .register("B", Priced.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("registered already");
    }

    @Test
    void a_mapper_with_default_typing_is_refused() {
        ObjectMapper unsafe = new ObjectMapper();
        unsafe.activateDefaultTyping(
                BasicPolymorphicTypeValidator.builder()
                        .allowIfBaseType(Object.class)
                        .build(),
                ObjectMapper.DefaultTyping.NON_FINAL);

        assertThatThrownBy(() -> JacksonEventCodec.builder(Shop.class).objectMapper(unsafe))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("default typing");
    }

    @Test
    void a_state_codec_round_trips_a_record_and_throws_on_garbage() {
        JacksonStateCodec<Priced> state = JacksonStateCodec.of(Priced.class);
        Priced p = new Priced("tea", new BigDecimal("3.50"));

        assertThat(state.deserialize(state.serialize(p))).isEqualTo(p);
        assertThatThrownBy(() -> state.deserialize("{not json")).isInstanceOf(IllegalArgumentException.class);
    }
}
