package io.annals.eventstore;

import io.annals.eventstore.internal.AppendChecks;
import io.annals.eventstore.internal.EventIds;
import io.annals.eventstore.internal.Tags;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * An event to append: its id, its type name, its JSON payload and optional string metadata
 * (correlation ids, the user who caused it...), and the tags that name what it is about.
 *
 * <p>The event id makes appends idempotent: re-appending the same ids after a lost
 * acknowledgement is recognised and writes nothing (see {@link EventStore#append}). The record
 * checks what it can by itself (nulls, blank or over-long type); the store checks the JSON and the
 * size limits before it writes anything.
 *
 * @param eventId unique id of this event, across all streams
 * @param type the event's type name, such as {@code "PriceChanged"}; 1 to 200 characters, not blank
 * @param json the payload: one JSON object
 * @param metadata string key/values stored beside the payload; never null, copied; keys that
 *     begin with {@code $} are reserved for the library (schema versions, correlation)
 * @param tags what the event is about, such as {@code "product:tea"} or {@code "name:green tea"},
 *     for {@link EventStore#read(Query, long, int) queries} and
 *     {@link AppendCondition consistency conditions} that span streams: 0 to 100 tags, each 1 to
 *     200 characters, not blank, without control characters, compared exactly; never null, copied
 *     (iterated in their natural order)
 */
public record EventData(UUID eventId, String type, String json, Map<String, String> metadata, Set<String> tags) {

    /** The longest type name accepted. */
    public static final int MAX_TYPE_LENGTH = 200;

    /**
     * @throws NullPointerException if an argument, a metadata key or value, or a tag is null
     * @throws IllegalArgumentException if {@code type} is blank or longer than 200 characters, or
     *     a tag breaks a rule
     */
    public EventData {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(json, "json");
        Objects.requireNonNull(metadata, "metadata");
        AppendChecks.checkType(type);
        metadata = Map.copyOf(metadata);
        tags = Tags.copyOf(tags);
    }

    /** An event without tags. */
    public EventData(UUID eventId, String type, String json, Map<String, String> metadata) {
        this(eventId, type, json, metadata, Set.of());
    }

    /**
     * This event with these tags instead of its own.
     *
     * @throws IllegalArgumentException if a tag breaks a rule
     */
    public EventData withTags(Set<String> tags) {
        return new EventData(eventId, type, json, metadata, tags);
    }

    /**
     * This event with these tags instead of its own.
     *
     * @throws IllegalArgumentException if a tag breaks a rule
     */
    public EventData withTags(String... tags) {
        return withTags(new java.util.TreeSet<>(java.util.Arrays.asList(tags)));
    }

    /**
     * An event with a new id and no metadata. New ids follow the clock (UUIDs of version 7, with
     * 62 random bits), so that the stores' index of event ids grows at its end.
     */
    public static EventData of(String type, String json) {
        return new EventData(EventIds.next(), type, json, Map.of());
    }

    /** An event with a new id, as {@link #of(String, String)} makes them. */
    public static EventData of(String type, String json, Map<String, String> metadata) {
        return new EventData(EventIds.next(), type, json, metadata);
    }
}
