package io.annals.eventstore;

import io.annals.eventstore.internal.Tags;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * An event as stored: the {@link EventData} appended plus where and when it landed.
 *
 * @param streamId the stream it belongs to
 * @param version its place in the stream, from 1
 * @param position its place in the global log: positive, strictly increasing in
 *     {@link EventStore#readAll} order, not necessarily contiguous
 * @param eventId the id given at append
 * @param type the type name given at append
 * @param json the payload (the same JSON tree as appended, not necessarily the same text)
 * @param metadata the metadata given at append
 * @param recordedAt when the store wrote it, from the store's clock, UTC
 * @param tags the tags given at append; empty for events appended without tags
 */
public record RecordedEvent(
        String streamId,
        long version,
        long position,
        UUID eventId,
        String type,
        String json,
        Map<String, String> metadata,
        Instant recordedAt,
        Set<String> tags) {
    /** @throws NullPointerException if an argument is null */
    public RecordedEvent {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(json, "json");
        Objects.requireNonNull(recordedAt, "recordedAt");
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        tags = tags == null ? Set.of() : Tags.copyOf(tags);
    }

    /** An event without tags. */
    public RecordedEvent(
            String streamId,
            long version,
            long position,
            UUID eventId,
            String type,
            String json,
            Map<String, String> metadata,
            Instant recordedAt) {
        this(streamId, version, position, eventId, type, json, metadata, recordedAt, Set.of());
    }
}
