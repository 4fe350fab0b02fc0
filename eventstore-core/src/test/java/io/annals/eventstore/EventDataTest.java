package io.annals.eventstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class EventDataTest {

    private static final String JSON = "{\"n\":1}";

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t\n"})
    void a_blank_type_is_rejected(String type) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> EventData.of(type, JSON))
                .withMessageContaining("blank");
    }

    @Test
    void a_type_of_200_characters_is_accepted() {
        assertThat(EventData.of("t".repeat(200), JSON).type()).hasSize(200);
    }

    @Test
    void a_type_of_201_characters_is_rejected() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> EventData.of("t".repeat(201), JSON))
                .withMessageContaining("200")
                .withMessageContaining("201");
    }

    @Test
    void a_null_field_is_rejected_by_name() {
        UUID id = UUID.randomUUID();
        assertThatNullPointerException()
                .isThrownBy(() -> new EventData(null, "T", JSON, Map.of()))
                .withMessage("eventId");
        assertThatNullPointerException()
                .isThrownBy(() -> new EventData(id, null, JSON, Map.of()))
                .withMessage("type");
        assertThatNullPointerException()
                .isThrownBy(() -> new EventData(id, "T", null, Map.of()))
                .withMessage("json");
        assertThatNullPointerException()
                .isThrownBy(() -> new EventData(id, "T", JSON, null))
                .withMessage("metadata");
    }

    @Test
    void a_null_metadata_key_or_value_is_rejected() {
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("user", null);
        Map<String, String> nullKey = Collections.singletonMap(null, "x");

        assertThatNullPointerException().isThrownBy(() -> EventData.of("T", JSON, nullValue));
        assertThatNullPointerException().isThrownBy(() -> EventData.of("T", JSON, nullKey));
    }

    @Test
    void metadata_is_copied_so_later_changes_to_the_map_do_not_leak_in() {
        Map<String, String> metadata = new HashMap<>();
        metadata.put("correlationId", "c-1");

        EventData data = EventData.of("T", JSON, metadata);
        metadata.put("user", "mallory");

        assertThat(data.metadata()).containsExactly(Map.entry("correlationId", "c-1"));
        assertThatThrownBy(() -> data.metadata().put("user", "mallory"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void of_gives_a_new_id_each_time_and_no_metadata() {
        EventData a = EventData.of("T", JSON);
        EventData b = EventData.of("T", JSON);

        assertThat(a.eventId()).isNotEqualTo(b.eventId());
        assertThat(a.metadata()).isEmpty();
        assertThat(a.type()).isEqualTo("T");
        assertThat(a.json()).isEqualTo(JSON);
    }
}
