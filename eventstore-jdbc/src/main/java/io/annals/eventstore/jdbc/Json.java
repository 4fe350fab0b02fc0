package io.annals.eventstore.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.EventStoreException;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    /**
     * Stored metadata back: empty for null. Read with the streaming parser rather than a mapper:
     * it is read with every event, and a flat object of strings needs no databinding.
     */
    static Map<String, String> metadata(@Nullable String json) {
        if (json == null) {
            return Map.of();
        }
        try (JsonParser p = MAPPER.getFactory().createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw notStrings(json);
            }
            Map<String, String> out = new HashMap<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String key = p.currentName();
                if (p.nextToken() != JsonToken.VALUE_STRING) {
                    throw notStrings(json);
                }
                out.put(key, p.getText());
            }
            if (p.nextToken() != null) {
                throw notStrings(json);
            }
            return out;
        } catch (IOException e) {
            throw new EventStoreException("stored metadata is not a JSON object of strings: " + e.getMessage(), e);
        }
    }

    private static EventStoreException notStrings(String json) {
        return new EventStoreException("stored metadata is not a JSON object of strings: "
                + (json.length() > 200 ? json.substring(0, 200) + "..." : json));
    }

    /** Tags as stored: a JSON array of strings, null when there are none. */
    static @Nullable String tags(Set<String> tags) {
        return tags.isEmpty() ? null : array(List.copyOf(tags));
    }

    /** Stored tags back: empty for null. Read with the streaming parser, as metadata is. */
    static Set<String> tags(@Nullable String json) {
        if (json == null) {
            return Set.of();
        }
        try (JsonParser p = MAPPER.getFactory().createParser(json)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw notTags(json);
            }
            Set<String> out = new HashSet<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                if (t != JsonToken.VALUE_STRING) {
                    throw notTags(json);
                }
                out.add(p.getText());
            }
            if (p.nextToken() != null) {
                throw notTags(json);
            }
            return out;
        } catch (IOException e) {
            throw new EventStoreException("stored tags are not a JSON array of strings: " + e.getMessage(), e);
        }
    }

    private static EventStoreException notTags(String json) {
        return new EventStoreException("stored tags are not a JSON array of strings: "
                + (json.length() > 200 ? json.substring(0, 200) + "..." : json));
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
