package io.annals.eventstore;

import io.annals.eventstore.internal.EventIds;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Turns domain events into stored {@link EventData} and back. This is the seam that keeps JSON
 * libraries out of the core: {@code eventstore-jdbc} has a Jackson implementation with an
 * explicit registry of type names, schema versions, upcasters, aliases and retired types.
 *
 * <p>An implementation must never load a class named by stored data: type names map to classes
 * through a registry fixed in code.
 *
 * <p><b>Schema versions.</b> Every stored event has a schema version: the version of its JSON
 * shape, 1 unless the codec says otherwise. A version other than 1 is written under the reserved
 * metadata key {@link #SCHEMA_VERSION_KEY}; an event without it is at version 1, so events stored
 * before versions existed need no change. {@link #decode} reads the version back and hands it to
 * {@link #fromJson(String, int, String)}, which brings older shapes up to date (upcasting).
 *
 * @param <E> the events it handles
 */
public interface EventCodec<E extends Event> {

    /**
     * The metadata key holding an event's schema version, as a decimal number, when it is not 1.
     * Metadata keys beginning with {@code $} are reserved for the library.
     */
    String SCHEMA_VERSION_KEY = "$schemaVersion";

    /**
     * The stored type name of {@code event}.
     *
     * @throws IllegalArgumentException if the event's class is not registered
     */
    String typeName(E event);

    /**
     * The schema version {@code event} is written at. The default is 1.
     *
     * @throws IllegalArgumentException if the event's class is not registered
     */
    default int schemaVersion(E event) {
        return 1;
    }

    /**
     * The event as one JSON object, in the shape of its current schema version.
     *
     * @throws IllegalArgumentException if it cannot be serialised
     */
    String toJson(E event);

    /**
     * The event whose JSON {@link #toJson} wrote: at the schema version its class is written at
     * now. To read a stored event, use {@link #decode}, which knows the version it was stored at.
     *
     * @throws IllegalArgumentException if the type is unknown or the JSON does not fit its class
     */
    E fromJson(String typeName, String json);

    /**
     * The event stored as {@code json} under {@code typeName} at {@code schemaVersion}, brought
     * up to the shape its class reads. The default reads version 1 only, with {@link
     * #fromJson(String, String)}.
     *
     * @throws IllegalArgumentException if the type is unknown, the version is below 1 or cannot be
     *     read, or the JSON does not fit its class
     */
    default E fromJson(String typeName, int schemaVersion, String json) {
        if (schemaVersion != 1) {
            throw new IllegalArgumentException("this codec reads events of type " + typeName
                    + " at schema version 1 only; this one is at version " + schemaVersion);
        }
        return fromJson(typeName, json);
    }

    /**
     * Whether {@link #fromJson} can read events stored under {@code typeName}. Projections skip
     * the events of other types in the global log, and of retired types. The default says yes to
     * every type.
     */
    default boolean knows(String typeName) {
        return true;
    }

    /**
     * Whether {@code typeName} was retired: its events stay in the log, and every reader that
     * goes through this codec skips them on purpose (the command loop, projections). A type
     * neither known nor retired fails an aggregate's load instead: it is never dropped silently.
     * The default says no.
     */
    default boolean isRetired(String typeName) {
        return false;
    }

    /**
     * The tags of {@code event}: what it is about ({@code "product:tea"}, {@code "name:green tea"}),
     * computed from the event so that every writer tags it alike; {@link #encode} adds them. The
     * default gives none.
     *
     * @throws IllegalArgumentException if the event's class is not registered, or a tag breaks
     *     the rules of {@link EventData#tags()}
     */
    default Set<String> tags(E event) {
        return Set.of();
    }

    /**
     * The names events of {@code typeName} may be stored under: the name and its aliases (after
     * a rename), so that a query finds old events too. The default is the name alone.
     *
     * @throws IllegalArgumentException if the codec does not know {@code typeName}
     */
    default Set<String> storedNames(String typeName) {
        return Set.of(typeName);
    }

    /**
     * Every name this codec decodes events under (the current names and their aliases, not the
     * retired types), so that a reader can ask the store for those events alone; empty when the
     * codec does not say, which is the default, and readers then read every event.
     */
    default Set<String> decodedNames() {
        return Set.of();
    }

    /**
     * A query item for events of these types (under every name they are stored under, see
     * {@link #storedNames}) carrying all of {@code tags}.
     *
     * @param typeNames the current names of the types; empty for any type
     * @throws IllegalArgumentException if a type is unknown, or a tag breaks the rules of tags
     */
    default QueryItem queryItem(Set<String> typeNames, Set<String> tags) {
        Set<String> names = new java.util.TreeSet<>();
        for (String typeName : typeNames) {
            names.addAll(storedNames(typeName));
        }
        return new QueryItem(names, tags);
    }

    /** The event as data to append, with a new event id. */
    default EventData encode(E event) {
        return encode(event, Map.of());
    }

    /**
     * The event as data to append, with a new event id and {@code metadata} (its schema version
     * added when it is not 1).
     *
     * @throws IllegalArgumentException if a metadata key begins with {@code $} (reserved), or
     *     the codec gives the event a schema version below 1
     */
    default EventData encode(E event, Map<String, String> metadata) {
        for (String key : metadata.keySet()) {
            if (key.startsWith("$")) {
                throw new IllegalArgumentException(
                        "metadata key '" + key + "' begins with $, which is reserved for the library");
            }
        }
        int version = schemaVersion(event);
        if (version < 1) {
            throw new IllegalArgumentException("schema version of " + typeName(event) + " must be at least 1, was "
                    + version + ": no reader could decode the event");
        }
        Set<String> tags = tags(event);
        if (version == 1) {
            return new EventData(EventIds.next(), typeName(event), toJson(event), metadata, tags);
        }
        Map<String, String> withVersion = new LinkedHashMap<>(metadata);
        withVersion.put(SCHEMA_VERSION_KEY, Integer.toString(version));
        return new EventData(EventIds.next(), typeName(event), toJson(event), withVersion, tags);
    }

    /**
     * The schema version {@code recorded} was stored at: its {@link #SCHEMA_VERSION_KEY}, or 1.
     *
     * @throws IllegalArgumentException if the key holds anything but a positive whole number in
     *     ASCII digits, without sign or leading zero, up to {@link Integer#MAX_VALUE}
     */
    static int schemaVersion(RecordedEvent recorded) {
        String stored = recorded.metadata().get(SCHEMA_VERSION_KEY);
        if (stored == null) {
            return 1;
        }
        // read with every versioned event: plain digits checked by hand, no regular expression
        long version = 0;
        boolean plain = !stored.isEmpty() && stored.length() <= 10 && stored.charAt(0) != '0';
        for (int i = 0; plain && i < stored.length(); i++) {
            char c = stored.charAt(i);
            plain = c >= '0' && c <= '9';
            version = version * 10 + (c - '0');
        }
        if (plain && version <= Integer.MAX_VALUE) {
            return (int) version;
        }
        throw new IllegalArgumentException("metadata " + SCHEMA_VERSION_KEY
                + " must be a positive whole number in plain digits, was '"
                + (stored.length() > 40
                        ? stored.substring(0, 40) + "...' (" + stored.length() + " characters)"
                        : stored + "'"));
    }

    /**
     * Decodes a stored event, upcasting it from the schema version it was stored at.
     *
     * @throws EventStoreException naming the stream, version and position of an event that cannot
     *     be decoded (unknown or retired type, a version that cannot be read, JSON that does not
     *     fit)
     */
    default Envelope<E> decode(RecordedEvent recorded) {
        try {
            if (isRetired(recorded.type())) {
                throw new IllegalArgumentException("the type is retired: readers skip its events (see isRetired)");
            }
            return new Envelope<>(fromJson(recorded.type(), schemaVersion(recorded), recorded.json()), recorded);
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
