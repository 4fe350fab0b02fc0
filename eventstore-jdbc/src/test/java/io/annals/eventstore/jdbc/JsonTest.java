package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
