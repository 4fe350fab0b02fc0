package io.annals.eventstore.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.EventStoreException;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The JSON the store itself writes: metadata, and lists bound as one parameter. */
final class Json {

    /** No read limit on names and strings: metadata is bounded by the store's own limits. */
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxStringLength(Integer.MAX_VALUE)
                    .build())
            .build());

    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

    private Json() {}

    /** Metadata as stored: a JSON object of strings, null when empty. */
    static @Nullable String metadata(Map<String, String> metadata) {
        if (metadata.isEmpty()) {
            return null;
        }
        try {
            return MAPPER.writeValueAsString(metadata);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("metadata cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Stored metadata back: empty for null. */
    static Map<String, String> metadata(@Nullable String json) {
        if (json == null) {
            return Map.of();
        }
        try {
            return MAPPER.readValue(json, STRING_MAP);
        } catch (JsonProcessingException e) {
            throw new EventStoreException(
                    "stored metadata is not a JSON object of strings: " + e.getOriginalMessage(), e);
        }
    }

    /** A JSON array of these strings (null elements as JSON null). */
    static String array(List<? extends @Nullable Object> items) {
        try {
            return MAPPER.writeValueAsString(
                    items.stream().map(i -> i == null ? null : i.toString()).toList());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write a list as JSON: " + e.getOriginalMessage(), e);
        }
    }
}
