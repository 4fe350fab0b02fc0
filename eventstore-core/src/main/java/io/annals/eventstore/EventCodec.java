package io.annals.eventstore;

/**
 * Turns domain events into stored {@link EventData} and back. This is the seam that keeps JSON
 * libraries out of the core: {@code eventstore-jdbc} has a Jackson implementation with an
 * explicit registry of type names.
 *
 * <p>An implementation must never load a class named by stored data: type names map to classes
 * through a registry fixed in code.
 *
 * @param <E> the events it handles
 */
public interface EventCodec<E extends Event> {

    /**
     * The stored type name of {@code event}.
     *
     * @throws IllegalArgumentException if the event's class is not registered
     */
    String typeName(E event);

    /**
     * The event as one JSON object.
     *
     * @throws IllegalArgumentException if it cannot be serialised
     */
    String toJson(E event);

    /**
     * The event stored as {@code json} under {@code typeName}.
     *
     * @throws IllegalArgumentException if the type is unknown or the JSON does not fit its class
     */
    E fromJson(String typeName, String json);

    /**
     * Whether {@link #fromJson} can read events stored under {@code typeName}. Projections skip
     * the events of other types in the global log. The default says yes to every type.
     */
    default boolean knows(String typeName) {
        return true;
    }

    /** The event as data to append, with a new event id. */
    default EventData encode(E event) {
        return EventData.of(typeName(event), toJson(event));
    }

    /**
     * Decodes a stored event.
     *
     * @throws EventStoreException naming the stream, version and position of an event that cannot
     *     be decoded (unknown type, JSON that does not fit)
     */
    default Envelope<E> decode(RecordedEvent recorded) {
        try {
            return new Envelope<>(fromJson(recorded.type(), recorded.json()), recorded);
        } catch (RuntimeException e) {
            throw new EventStoreException(
                    "cannot decode event " + recorded.eventId() + " of type "
                            + recorded.type() + " in stream " + recorded.streamId() + " at version "
                            + recorded.version() + " (position " + recorded.position() + "): "
                            + e.getMessage(),
                    e);
        }
    }
}
