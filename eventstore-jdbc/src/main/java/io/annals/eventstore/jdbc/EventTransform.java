package io.annals.eventstore.jdbc;

import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.RecordedEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * What a {@link StoreCopy} writes for each event it reads: nothing (the event is dropped), one
 * event (kept or changed) or several (split). The events written go to the same stream, in the
 * order returned.
 *
 * <pre>{@code
 * EventTransform transform = EventTransform.dropTypes(Set.of("PageViewed"))
 *         .andThen(EventTransform.renameType("PriceUpdated", "PriceChanged"));
 * }</pre>
 *
 * <p>Keep the event id of an event you keep or change ({@link #unchanged} does, and so do the
 * helpers here): ids are unique across the store, and a copy that keeps them can be checked
 * against its source. The extra events of a split need new ids, different from every other id
 * of the copy; derive them from the original's ({@code UUID.nameUUIDFromBytes}) to make the copy
 * repeatable.
 *
 * <p>A transform runs once per event, in the order of the source's log, on the copy's thread. An
 * exception stops the copy, naming the event.
 */
@FunctionalInterface
public interface EventTransform {

    /**
     * The events to write for {@code event}.
     *
     * @param event an event of the source, with its stream, version, position and time there
     * @return the events to append to {@code event.streamId()} in the target, in order: empty to
     *     drop it; never null
     * @throws RuntimeException to stop the copy; the copy names the event
     */
    List<EventData> apply(RecordedEvent event);

    /**
     * This transform, then {@code next} on each event it returns. {@code next} sees each event
     * as a {@link RecordedEvent} with the stream, version, position and time of the event read
     * from the source, and the id, type, payload and metadata this transform returned.
     */
    default EventTransform andThen(EventTransform next) {
        Objects.requireNonNull(next, "next");
        return event -> {
            List<EventData> first = checked(apply(event), event);
            List<EventData> out = new ArrayList<>();
            for (EventData data : first) {
                out.addAll(checked(
                        next.apply(new RecordedEvent(
                                event.streamId(),
                                event.version(),
                                event.position(),
                                data.eventId(),
                                data.type(),
                                data.json(),
                                data.metadata(),
                                event.recordedAt())),
                        event));
            }
            return out;
        };
    }

    /** Every event as it is: the copy is the same log (at other positions). */
    static EventTransform identity() {
        return event -> List.of(unchanged(event));
    }

    /** Drops the events of the types named; keeps every other event as it is. */
    static EventTransform dropTypes(Set<String> types) {
        Set<String> dropped = Set.copyOf(types);
        return event -> dropped.contains(event.type()) ? List.of() : List.of(unchanged(event));
    }

    /**
     * Stores the events of type {@code from} under the type {@code to}, with the same id,
     * payload and metadata; keeps every other event as it is.
     *
     * @throws IllegalArgumentException if {@code to} is not a valid type name (blank, over 200
     *     characters or holding control characters)
     */
    static EventTransform renameType(String from, String to) {
        Objects.requireNonNull(from, "from");
        new EventData(new UUID(0, 0), to, "{}", Map.of()); // the record's checks of a type, once, here
        return event -> List.of(
                event.type().equals(from)
                        ? new EventData(event.eventId(), to, event.json(), event.metadata(), event.tags())
                        : unchanged(event));
    }

    /**
     * Brings every event to the shape today's code writes, through {@code codec}: an event of a
     * type the codec knows (by its name or an alias) is decoded, which upcasts it, and encoded
     * again under its current type name at its class's current schema version, with its event id
     * and its metadata (but for {@link EventCodec#SCHEMA_VERSION_KEY}, set as
     * {@link EventCodec#encode} sets it), and its tags with those the codec computes for it
     * added (so a copy also tags events stored before their type had tags). An event of a retired
     * type is dropped. An event of a
     * type the codec neither knows nor retired stops the copy: it is never dropped silently.
     *
     * <p>The payload is what the class writes: a field of the stored JSON that the class does
     * not have is not copied. An event written by newer code (a schema version above its
     * class's) stops the copy.
     *
     * @throws EventStoreException (from {@link #apply}) naming the event that cannot be read
     */
    static <E extends Event> EventTransform upcasting(EventCodec<E> codec) {
        Objects.requireNonNull(codec, "codec");
        return event -> {
            if (codec.isRetired(event.type())) {
                return List.of();
            }
            if (!codec.knows(event.type())) {
                throw new EventStoreException("event " + event.eventId() + " of type " + event.type()
                        + " in stream " + event.streamId() + " at version " + event.version() + " (position "
                        + event.position() + ") has a type the codec neither knows nor retired: register"
                        + " its class (or an alias) or retire the type");
            }
            E decoded = codec.decode(event).event();
            Map<String, String> metadata = new LinkedHashMap<>(event.metadata());
            metadata.remove(EventCodec.SCHEMA_VERSION_KEY);
            int version = codec.schemaVersion(decoded);
            if (version != 1) {
                metadata.put(EventCodec.SCHEMA_VERSION_KEY, Integer.toString(version));
            }
            Set<String> tags = new TreeSet<>(event.tags());
            tags.addAll(codec.tags(decoded));
            return List.of(
                    new EventData(event.eventId(), codec.typeName(decoded), codec.toJson(decoded), metadata, tags));
        };
    }

    /** {@code event} as data to append: the same id, type, payload, metadata and tags. */
    static EventData unchanged(RecordedEvent event) {
        return new EventData(event.eventId(), event.type(), event.json(), event.metadata(), event.tags());
    }

    private static List<EventData> checked(List<EventData> events, RecordedEvent from) {
        if (events == null) {
            throw new IllegalStateException(
                    "a transform returned null for event " + from.eventId() + ": return an empty list to drop it");
        }
        return events;
    }
}
