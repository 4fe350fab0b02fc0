package io.annals.eventstore;

import io.annals.eventstore.internal.Text;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * An event to append: its id, its type name, its JSON payload and optional string metadata
 * (correlation ids, the user who caused it...).
 *
 * <p>The event id makes appends idempotent: re-appending the same ids after a lost
 * acknowledgement is recognised and writes nothing (see {@link EventStore#append}). The record
 * checks what it can by itself (nulls, blank or over-long type); the store checks the JSON and the
 * size limits before it writes anything.
 *
 * @param eventId unique id of this event, across all streams
 * @param type the event's type name, such as {@code "PriceChanged"}; 1 to 200 characters, not blank
 * @param json the payload: one JSON object
 * @param metadata string key/values stored beside the payload; never null, copied
 */
public record EventData(UUID eventId, String type, String json, Map<String, String> metadata) {

    /** The longest type name accepted. */
    public static final int MAX_TYPE_LENGTH = 200;

    /**
     * @throws NullPointerException if an argument, a metadata key or a metadata value is null
     * @throws IllegalArgumentException if {@code type} is blank or longer than 200 characters
     */
    public EventData {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(json, "json");
        Objects.requireNonNull(metadata, "metadata");
        if (type.isBlank()) {
            throw new IllegalArgumentException("event type must not be blank");
        }
        if (type.length() > MAX_TYPE_LENGTH) {
            throw new IllegalArgumentException(
                    "event type must be at most " + MAX_TYPE_LENGTH + " characters, was " + type.length());
        }
        Text.badCharacter(type).ifPresent(bad -> {
            throw new IllegalArgumentException("event type holds " + bad);
        });
        metadata = Map.copyOf(metadata);
    }

    /** An event with a new random id and no metadata. */
    public static EventData of(String type, String json) {
        return new EventData(UUID.randomUUID(), type, json, Map.of());
    }

    /** An event with a new random id. */
    public static EventData of(String type, String json, Map<String, String> metadata) {
        return new EventData(UUID.randomUUID(), type, json, metadata);
    }
}
