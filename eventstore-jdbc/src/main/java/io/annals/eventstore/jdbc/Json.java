package io.annals.eventstore.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.EventStoreException;
import java.io.IOException;
import java.util.ArrayList;
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
     * Stored metadata back, immutable: empty for null. The store writes it without spaces and
     * most of it needs no escapes, so that plain form is read by hand; anything else (escapes,
     * spaces, a key twice, metadata not written by the store, or not a JSON object of strings at
     * all) goes through the streaming parser, which took 200 ns for a small object where the
     * plain form takes a fraction of that.
     */
    static Map<String, String> metadata(@Nullable String json) {
        if (json == null) {
            return Map.of();
        }
        Map<String, String> plain = plainMetadata(json);
        return plain != null ? plain : parsedMetadata(json);
    }

    /**
     * {@code json} read as the plain form {@code {"k":"v","k2":"v2"}} (no spaces, no backslash,
     * no control character, no key twice); null if it is not in that form.
     */
    static @Nullable Map<String, String> plainMetadata(String json) {
        int n = json.length();
        if (n < 2 || json.charAt(0) != '{' || json.charAt(n - 1) != '}') {
            return null;
        }
        if (n == 2) {
            return Map.of();
        }
        List<String> parts = new ArrayList<>(4);
        int i = 1;
        while (true) {
            int keyEnd = plainString(json, i);
            if (keyEnd < 0 || json.charAt(keyEnd + 1) != ':') {
                return null;
            }
            int valueEnd = plainString(json, keyEnd + 2);
            if (valueEnd < 0) {
                return null;
            }
            parts.add(json.substring(i + 1, keyEnd));
            parts.add(json.substring(keyEnd + 3, valueEnd));
            char next = json.charAt(valueEnd + 1);
            if (next == '}') {
                if (valueEnd + 2 != n) {
                    return null;
                }
                break;
            }
            if (next != ',') {
                return null;
            }
            i = valueEnd + 2;
        }
        if (parts.size() == 2) {
            return Map.of(parts.get(0), parts.get(1));
        }
        if (parts.size() == 4 && !parts.get(0).equals(parts.get(2))) {
            return Map.of(parts.get(0), parts.get(1), parts.get(2), parts.get(3));
        }
        Map<String, String> out = new HashMap<>();
        for (int k = 0; k < parts.size(); k += 2) {
            if (out.put(parts.get(k), parts.get(k + 1)) != null) {
                return null; // a key twice: the parser says which one wins
            }
        }
        return Map.copyOf(out);
    }

    /**
     * The index of the closing quote of a plain string (no backslash, no control character) that
     * opens at {@code from}, with a character after it; -1 if there is none.
     */
    private static int plainString(String json, int from) {
        int last = json.length() - 1;
        if (from >= last || json.charAt(from) != '"') {
            return -1;
        }
        for (int i = from + 1; i < last; i++) {
            char c = json.charAt(i);
            if (c == '"') {
                return i;
            }
            if (c == '\\' || c < 0x20) {
                return -1;
            }
        }
        return -1;
    }

    /** Stored metadata read with the streaming parser: a flat object of strings needs no databinding. */
    private static Map<String, String> parsedMetadata(String json) {
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
            return Map.copyOf(out);
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
