package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
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

    // Schema versions, upcasters, aliases and retired types: every misconfiguration fails when
    // the codec is built (or at the call that makes it), never on the first old event.

    private static JacksonEventCodec.Builder<Shop> shop() {
        return JacksonEventCodec.builder(Shop.class).register("Renamed", Renamed.class);
    }

    @Test
    void a_class_at_version_3_needs_an_upcaster_from_each_older_version() {
        assertThatThrownBy(() -> shop().register("Priced", Priced.class, 3)
                        .upcast("Priced", 2, n -> n)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Priced is registered at version 3 but has no upcaster from version 1 to 2");
    }

    @Test
    void two_upcasters_for_one_step_are_refused() {
        JacksonEventCodec.Builder<Shop> builder =
                shop().register("Priced", Priced.class, 2).upcast("Priced", 1, n -> n);

        assertThatThrownBy(() -> builder.upcast("Priced", 1, n -> n))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("two upcasters of Priced from version 1 to 2");
    }

    @Test
    void an_upcaster_at_or_above_the_class_s_version_is_refused() {
        assertThatThrownBy(() -> shop().register("Priced", Priced.class, 2)
                        .upcast("Priced", 1, n -> n)
                        .upcast("Priced", 2, n -> n)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("an upcaster of Priced from version 2, but its class is registered at version 2");
    }

    @Test
    void an_upcaster_of_an_unregistered_type_or_of_an_alias_is_refused() {
        assertThatThrownBy(() -> shop().upcast("Priced", 1, n -> n).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("upcasters of 'Priced', which is not registered");
        assertThatThrownBy(() -> shop().alias("Retitled", "Renamed")
                        .upcast("Retitled", 1, n -> n)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("upcasters of 'Retitled', an alias: register them under Renamed");
    }

    @Test
    void an_alias_of_nothing_or_of_an_alias_is_refused() {
        assertThatThrownBy(() -> shop().alias("Old", "Missing").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("alias 'Old' of 'Missing', which is not registered");
        assertThatThrownBy(() ->
                        shop().alias("Older", "Old").alias("Old", "Renamed").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("(it is an alias: name the current type)");
    }

    @Test
    void a_name_is_registered_aliased_or_retired_once() {
        assertThatThrownBy(() -> shop().alias("Renamed", "Retitled"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'Renamed' is registered already")
                .hasMessageContaining("takes the name events were stored under before the rename first");
        assertThatThrownBy(() -> shop().retire("Renamed"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'Renamed' is registered")
                .hasMessageContaining("remove its registration");
        assertThatThrownBy(() -> shop().retire("Gone").register("Gone", Priced.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'Gone' is retired already");
        assertThatThrownBy(() -> shop().alias("Old", "Renamed").retire("Old"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'Old' is an alias of Renamed already");
        assertThatThrownBy(() -> shop().register("Priced", Priced.class, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be at least 1, was 0");
    }

    @Test
    void every_problem_is_named_at_once() {
        assertThatThrownBy(() -> shop().register("Priced", Priced.class, 3)
                        .alias("Old", "Missing")
                        .build())
                .hasMessageContaining("from version 1 to 2")
                .hasMessageContaining("from version 2 to 3")
                .hasMessageContaining("alias 'Old'");
    }

    @Test
    void the_schema_version_is_stored_in_metadata_only_when_it_is_not_1() {
        JacksonEventCodec<Shop> versioned = shop().register("Priced", Priced.class, 2)
                .upcast("Priced", 1, n -> n)
                .build();

        assertThat(versioned.encode(new Renamed("a", "b")).metadata()).isEmpty();
        assertThat(versioned
                        .encode(new Priced("a", BigDecimal.ONE), Map.of("user", "ann"))
                        .metadata())
                .containsExactlyInAnyOrderEntriesOf(Map.of("user", "ann", "$schemaVersion", "2"));
        assertThat(versioned.schemaVersion(new Priced("a", BigDecimal.ONE))).isEqualTo(2);
    }

    @Test
    void metadata_keys_beginning_with_a_dollar_are_reserved() {
        assertThatThrownBy(() -> codec.encode(new Renamed("a", "b"), Map.of("$schemaVersion", "9")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'$schemaVersion' begins with $, which is reserved");
    }

    @Test
    void an_alias_is_read_as_its_type_and_listed_among_its_stored_names() {
        JacksonEventCodec<Shop> renamed = shop().register("PriceSet", Priced.class)
                .alias("Priced", "PriceSet")
                .build();

        assertThat(renamed.fromJson("Priced", "{\"sku\":\"a\",\"price\":1}"))
                .isEqualTo(new Priced("a", BigDecimal.ONE));
        assertThat(renamed.typeName(new Priced("a", BigDecimal.ONE))).isEqualTo("PriceSet");
        assertThat(renamed.storedNames("Priced")).containsExactly("PriceSet", "Priced");
        assertThat(renamed.storedNames("Renamed")).containsExactly("Renamed");
        assertThat(renamed.knows("Priced")).isTrue();
    }

    @Test
    void a_retired_type_is_neither_known_nor_decoded() {
        JacksonEventCodec<Shop> retiring = shop().retire("Priced").build();

        assertThat(retiring.knows("Priced")).isFalse();
        assertThat(retiring.isRetired("Priced")).isTrue();
        assertThatThrownBy(() -> retiring.fromJson("Priced", "{}"))
                .hasMessageContaining("event type 'Priced' is retired");
        assertThatThrownBy(() -> retiring.decode(stored("Priced", "{}")))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("retired");
    }

    @Test
    void an_upcaster_returning_null_fails_naming_its_step() {
        JacksonEventCodec<Shop> broken = shop().register("Priced", Priced.class, 2)
                .upcast("Priced", 1, n -> null)
                .build();

        assertThatThrownBy(() -> broken.fromJson("Priced", 1, "{}"))
                .hasMessageContaining("the upcaster of Priced from version 1 returned null");
    }

    @Nested
    class Tags {

        private final JacksonEventCodec<Shop> tagging = JacksonEventCodec.builder(Shop.class)
                .register("Priced", Priced.class)
                .register("ItemRenamed", Renamed.class)
                .alias("Renamed", "ItemRenamed")
                .tags(Priced.class, p -> Set.of("sku:" + p.sku()))
                .build();

        @Test
        void encode_adds_the_tags_the_function_of_the_class_computes_and_none_for_other_classes() {
            assertThat(tagging.encode(new Priced("tea", BigDecimal.ONE)).tags()).containsExactly("sku:tea");
            assertThat(tagging.encode(new Renamed("tea", "green")).tags()).isEmpty();
            assertThat(tagging.encode(new Priced("tea", BigDecimal.ONE), Map.of("user", "ann"))
                            .tags())
                    .containsExactly("sku:tea");
        }

        @Test
        void a_query_item_built_by_the_codec_names_the_aliases_of_a_renamed_type() {
            QueryItem item = tagging.queryItem(Set.of("ItemRenamed"), Set.of("sku:tea"));

            assertThat(item.types()).containsExactlyInAnyOrder("ItemRenamed", "Renamed");
            assertThat(item.tags()).containsExactly("sku:tea");
            assertThatThrownBy(() -> tagging.queryItem(Set.of("Nope"), Set.of()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Nope");
        }

        @Test
        void a_function_of_a_supertype_tags_every_class_without_one_of_its_own() {
            JacksonEventCodec<Shop> bySupertype = JacksonEventCodec.builder(Shop.class)
                    .register("Priced", Priced.class)
                    .register("Renamed", Renamed.class)
                    .tags(Shop.class, e -> Set.of("shop"))
                    .tags(Renamed.class, r -> Set.of("renamed:" + r.sku()))
                    .build();

            assertThat(bySupertype.encode(new Priced("tea", BigDecimal.ONE)).tags())
                    .containsExactly("shop");
            assertThat(bySupertype.encode(new Renamed("tea", "green")).tags()).containsExactly("renamed:tea");
        }

        @Test
        void a_function_of_an_unregistered_class_or_a_second_one_is_refused() {
            assertThatThrownBy(() -> JacksonEventCodec.builder(Shop.class)
                            .register("Priced", Priced.class)
                            .tags(Unregistered.class, u -> Set.of())
                            .build())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("tag function of " + Unregistered.class.getName())
                    .hasMessageContaining("neither registered nor a supertype");
            assertThatThrownBy(() -> JacksonEventCodec.builder(Shop.class)
                            .tags(Priced.class, p -> Set.of())
                            .tags(Priced.class, p -> Set.of("x")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("has a tag function already");
        }

        @Test
        void a_function_that_returns_null_or_a_bad_tag_fails_the_encode_naming_the_type() {
            JacksonEventCodec<Shop> bad = JacksonEventCodec.builder(Shop.class)
                    .register("Priced", Priced.class)
                    .register("Renamed", Renamed.class)
                    .tags(Priced.class, p -> null)
                    .tags(Renamed.class, r -> Set.of(r.name()))
                    .build();

            assertThatThrownBy(() -> bad.encode(new Priced("tea", BigDecimal.ONE)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tags of Priced are null");
            assertThatThrownBy(() -> bad.encode(new Renamed("tea", " ")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("must not be blank");
        }
    }
}
