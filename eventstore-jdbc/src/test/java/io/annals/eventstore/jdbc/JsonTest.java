package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.EventStoreException;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The metadata the store writes comes back as it went in; anything else stored is refused. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class JsonTest {

    @org.junit.jupiter.api.Test
    void metadata_round_trips_with_escapes_and_unicode() {
        Map<String, String> metadata =
                Map.of("user", "ann \"the\" admin", "$schemaVersion", "2", "émoji", "🙂\n\\", "", "");

        assertThat(Json.metadata(Json.metadata(metadata))).isEqualTo(metadata);
        assertThat(Json.metadata(Json.metadata(Map.of()))).isEmpty();
        assertThat(Json.metadata((String) null)).isEmpty();
        assertThat(Json.metadata("{}")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"[]", "\"x\"", "{\"a\":1}", "{\"a\":null}", "{\"a\":{}}", "{\"a\":\"b\"} {}", "{\"a\":", ""})
    void stored_metadata_that_is_not_an_object_of_strings_is_refused(String stored) {
        assertThatThrownBy(() -> Json.metadata(stored))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("stored metadata is not a JSON object of strings");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{}",
                "{\"a\":\"b\"}",
                "{\"a\":\"b\",\"c\":\"\"}",
                "{\"\":\"x\"}",
                "{\"a\":\"}\",\"b\":\",\"}",
                "{\"a\":\"b\",\"a\":\"c\"}",
                "{ \"a\" : \"b\" }",
                "{\"a\":\"b\\\"c\"}",
                "{\"a\":\"b\\u0041\"}",
                "{\"\u00e9\":\"\ud83d\ude42\"}",
                "{\"a\":\"b\",}",
                "{\"a\":\"b\"",
                "{\"a\"}",
                "{\"a\":\"b\"}}",
                "{\"a\":\"b\"\"c\":\"d\"}",
                "{\"a\":\"line\nbreak\"}",
                "{\"a\"\"b\"}",
                "{\"a\":b}"
            })
    void stored_metadata_reads_as_a_json_parser_reads_it_or_is_refused(String stored) throws Exception {
        Map<String, String> expected;
        try {
            expected = new ObjectMapper()
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .readValue(stored, new TypeReference<Map<String, String>>() {});
        } catch (JsonProcessingException notJson) {
            assertThatThrownBy(() -> Json.metadata(stored))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("stored metadata is not a JSON object of strings");
            return;
        }
        assertThat(Json.metadata(stored)).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void only_the_plain_form_is_read_by_hand() {
        assertThat(Json.plainMetadata("{\"source\":\"w15\",\"user\":\"ann\"}"))
                .isEqualTo(Map.of("source", "w15", "user", "ann"));
        assertThat(Json.plainMetadata("{\"a\":\"b\\\"c\"}")).as("an escape").isNull();
        assertThat(Json.plainMetadata("{ \"a\":\"b\"}")).as("a space").isNull();
        assertThat(Json.plainMetadata("{\"a\":\"b\",\"a\":\"c\"}"))
                .as("a key twice")
                .isNull();
    }
}
