package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Stored events and rows read by code that changed since: nothing may be misread or dropped quietly. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class EvolutionEdgeCaseTest {

    @TempDir
    Path dir;

    interface Shop extends Event {}

    /** Version 2: version 1 had no currency. */
    record Priced(String sku, BigDecimal price, String currency) implements Shop {}

    static final JacksonEventCodec<Shop> CODEC = JacksonEventCodec.builder(Shop.class)
            .register("Priced", Priced.class, 2)
            .upcast("Priced", 1, v1 -> v1.put("currency", "EUR"))
            .build();

    static RecordedEvent stored(String json, Map<String, String> metadata) {
        return new RecordedEvent("shop-1", 1, 1, UUID.randomUUID(), "Priced", json, metadata, Instant.EPOCH);
    }

    static Priced decode(JacksonEventCodec<Shop> codec, String json, Map<String, String> metadata) {
        return (Priced) codec.decode(stored(json, metadata)).event();
    }

    // --- decimals keep their scale on every path ---

    @Test
    void an_upcast_decimal_keeps_its_scale_like_one_read_directly() {
        Priced direct =
                decode(CODEC, "{\"sku\":\"a\",\"price\":30.00,\"currency\":\"EUR\"}", Map.of("$schemaVersion", "2"));
        Priced upcast = decode(CODEC, "{\"sku\":\"a\",\"price\":30.00}", Map.of());

        assertThat(direct.price()).isEqualTo(new BigDecimal("30.00"));
        assertThat(upcast.price()).isEqualTo(new BigDecimal("30.00")); // is 3E+1
        assertThat(upcast).isEqualTo(direct);
    }

    @Test
    void an_upcast_decimal_keeps_its_scale_with_a_mapper_of_ones_own() {
        JacksonEventCodec<Shop> codec = JacksonEventCodec.builder(Shop.class)
                .objectMapper(JsonMapper.builder()
                        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                        .build())
                .register("Priced", Priced.class, 2)
                .upcast("Priced", 1, v1 -> v1.put("currency", "EUR"))
                .build();

        Priced direct =
                decode(codec, "{\"sku\":\"a\",\"price\":3.50,\"currency\":\"EUR\"}", Map.of("$schemaVersion", "2"));
        Priced upcast = decode(codec, "{\"sku\":\"a\",\"price\":3.50}", Map.of());

        assertThat(direct.price()).isEqualTo(new BigDecimal("3.50"));
        assertThat(upcast.price()).isEqualTo(new BigDecimal("3.50"));
    }

    record View(BigDecimal price, String currency) {}

    @Test
    void a_row_read_through_a_default_keeps_its_decimal_scale() {
        JacksonStateCodec<View> rows = JacksonStateCodec.of(View.class).withDefault("currency", "EUR");

        View old = rows.deserialize("{\"price\":3.50}");

        assertThat(old.price()).isEqualTo(new BigDecimal("3.50")); // is 3.5, and is written back so
        assertThat(rows.serialize(old)).isEqualTo("{\"price\":3.50,\"currency\":\"EUR\"}");
    }

    // --- JacksonStateCodec: strict means strict ---

    record Total(long total) {}

    @Test
    void a_row_whose_decimal_component_became_a_long_is_refused_not_truncated() {
        // the row as written when Total had a BigDecimal total
        assertThatThrownBy(() -> JacksonStateCodec.of(Total.class).deserialize("{\"total\":3.75}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rebuild");
    }

    record Counted(long sum, int count) {}

    @Test
    void a_default_that_does_not_fit_its_component_is_refused() {
        assertThatThrownBy(() -> JacksonStateCodec.of(Counted.class).withDefault("count", 1.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("count");
    }

    record Sum(long sum, String currency) {}

    @Test
    void a_default_applies_with_a_mapper_of_ones_own() {
        JacksonStateCodec<Sum> rows = JacksonStateCodec.of(Sum.class, JacksonEventCodec.defaultObjectMapper())
                .withDefault("currency", "EUR");

        assertThat(rows.deserialize("{\"sum\":1}")).isEqualTo(new Sum(1, "EUR")); // currency is null
    }

    // --- schema versions ---

    @ParameterizedTest
    @ValueSource(strings = {"+2", "\u0662", "\uFF12"})
    void a_schema_version_that_is_not_plain_ascii_digits_is_refused(String version) {
        assertThatThrownBy(() -> decode(
                        CODEC, "{\"sku\":\"a\",\"price\":1,\"currency\":\"EUR\"}", Map.of("$schemaVersion", version)))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("positive whole number");
    }

    @Test
    void an_error_on_a_huge_stored_schema_version_does_not_repeat_all_of_it() {
        String huge = "9".repeat(100_000);

        assertThatThrownBy(() -> decode(CODEC, "{}", Map.of("$schemaVersion", huge)))
                .isInstanceOf(EventStoreException.class)
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(2_000));
    }

    @Test
    void fromJson_refuses_a_version_below_1_saying_so() {
        assertThatThrownBy(() -> CODEC.fromJson("Priced", 0, "{\"sku\":\"a\",\"price\":1}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("IndexOutOfBounds")
                .hasMessageContaining("version 0");
    }

    @Test
    void fromJson_of_what_toJson_wrote_gives_the_event_back() {
        Priced usd = new Priced("a", new BigDecimal("2.00"), "USD");

        // the pair the interface offers; the 2-argument fromJson upcasts the current shape again
        assertThat(CODEC.fromJson(CODEC.typeName(usd), CODEC.toJson(usd))).isEqualTo(usd); // currency EUR
    }

    /** A codec of one's own whose classes are at a version decode refuses. */
    record Plain(String x) implements Shop {}

    static final class VersionZero implements EventCodec<Shop> {
        @Override
        public String typeName(Shop event) {
            return "Plain";
        }

        @Override
        public int schemaVersion(Shop event) {
            return 0;
        }

        @Override
        public String toJson(Shop event) {
            return "{\"x\":\"" + ((Plain) event).x() + "\"}";
        }

        @Override
        public Shop fromJson(String typeName, String json) {
            return new Plain(json);
        }
    }

    @Test
    void encode_refuses_a_schema_version_that_decode_would_refuse() {
        // written, it would be an event no reader can decode
        assertThatThrownBy(() -> new VersionZero().encode(new Plain("a"))).isInstanceOf(IllegalArgumentException.class);
    }

    // --- build-time checks ---

    @Test
    void an_alias_of_an_alias_is_refused_whatever_the_order() {
        assertThatThrownBy(() -> JacksonEventCodec.builder(Shop.class)
                        .register("Priced", Priced.class, 2)
                        .upcast("Priced", 1, v1 -> v1)
                        .alias("PriceSet", "Priced")
                        .alias("PriceFixed", "PriceSet")
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PriceFixed");
    }

    @Test
    void a_class_registered_at_a_large_version_without_upcasters_is_refused_briefly() {
        // a version such as 20250101 would not be refused at all: the message runs out of memory
        assertThatThrownBy(() -> JacksonEventCodec.builder(Shop.class)
                        .register("Priced", Priced.class, 100_000)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(10_000));
    }

    // --- stored metadata ---

    @Test
    void stored_metadata_that_cannot_be_read_names_the_event() throws Exception {
        Path db = dir.resolve("meta.db");
        try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:" + db)) {
            store.append(
                    "shop-7",
                    ExpectedVersion.noStream(),
                    List.of(EventData.of("Priced", "{\"sku\":\"a\",\"price\":1}", Map.of("user", "ann"))));
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                    Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE annals_events SET metadata = '{\"user\":1}'");
            }

            assertThatThrownBy(() -> store.readAll(0, 100))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("shop-7");
        }
    }
}
