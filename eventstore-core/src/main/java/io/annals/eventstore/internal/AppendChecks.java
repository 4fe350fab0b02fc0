package io.annals.eventstore.internal;

import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.StreamAppend;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The argument checks every store runs before it touches its storage, so that all stores reject
 * the same input with the same message and write nothing.
 */
public final class AppendChecks {

    /** The longest stream id accepted. */
    public static final int MAX_STREAM_ID_LENGTH = 200;

    /** Event types and metadata keys that begin with this are written only by the library. */
    public static final String RESERVED_PREFIX = "$";

    private AppendChecks() {}

    /**
     * Checks an append's arguments against every rule and {@code limits}.
     *
     * @throws NullPointerException if an argument or an event is null
     * @throws IllegalArgumentException naming the rule broken (and the event's index)
     */
    public static void checkAppend(
            AppendLimits limits, String streamId, ExpectedVersion expected, List<EventData> events) {
        checkStreamId(streamId);
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(events, "events");
        if (events.isEmpty()) {
            throw new IllegalArgumentException("an append needs at least one event");
        }
        if (events.size() > limits.maxEventsPerAppend()) {
            throw new IllegalArgumentException("an append holds at most " + limits.maxEventsPerAppend()
                    + " events, this one has " + events.size());
        }
        Set<UUID> ids = new HashSet<>();
        for (int i = 0; i < events.size(); i++) {
            EventData e = Objects.requireNonNull(events.get(i), "events[" + i + "]");
            if (!ids.add(e.eventId())) {
                throw new IllegalArgumentException(
                        "event id " + e.eventId() + " appears twice in one append (events[" + i + "])");
            }
            checkEvent(limits, e, i);
        }
    }

    /**
     * Checks the parts of an append across streams: at least one, each stream once, at most
     * {@code maxEventsPerAppend} events in all, no event id twice, and each part as
     * {@link #checkAppend} checks a one-stream append.
     *
     * @throws NullPointerException if an argument, a part or an event is null
     * @throws IllegalArgumentException naming the rule broken (and the part's index)
     */
    public static void checkAppends(AppendLimits limits, List<StreamAppend> appends) {
        Objects.requireNonNull(appends, "appends");
        if (appends.isEmpty()) {
            throw new IllegalArgumentException("an append across streams needs at least one part");
        }
        Set<String> streams = new HashSet<>();
        Set<UUID> ids = new HashSet<>();
        long total = 0;
        for (int p = 0; p < appends.size(); p++) {
            StreamAppend part = Objects.requireNonNull(appends.get(p), "appends[" + p + "]");
            try {
                checkAppend(limits, part.streamId(), part.expected(), part.events());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "appends[" + p + "] (stream " + part.streamId() + "): " + e.getMessage(), e);
            }
            if (!streams.add(part.streamId())) {
                throw new IllegalArgumentException("stream " + part.streamId() + " is named twice in one append "
                        + "(appends[" + p + "]); put all of its events in one part");
            }
            total += part.events().size();
            for (EventData e : part.events()) {
                if (!ids.add(e.eventId())) {
                    throw new IllegalArgumentException(
                            "event id " + e.eventId() + " appears twice in one append (appends[" + p + "])");
                }
            }
        }
        if (total > limits.maxEventsPerAppend()) {
            throw new IllegalArgumentException(
                    "an append holds at most " + limits.maxEventsPerAppend() + " events in all, this one has " + total);
        }
    }

    /**
     * Checks the arguments of {@link EventStore#read(Query, long, int)}.
     *
     * @throws NullPointerException if {@code query} is null
     * @throws IllegalArgumentException naming the rule broken
     */
    public static void checkRead(Query query, long afterPosition, int maxCount) {
        Objects.requireNonNull(query, "query");
        checkReadAll(afterPosition, maxCount);
    }

    private static void checkEvent(AppendLimits limits, EventData e, int index) {
        if (e.type().startsWith(RESERVED_PREFIX)) {
            throw new IllegalArgumentException("events[" + index + "]: event type " + e.type() + " begins with '"
                    + RESERVED_PREFIX + "', which is reserved for events the store writes");
        }
        long payload = Text.utf8Length(e.json());
        if (payload > limits.maxPayloadBytes()) {
            throw new IllegalArgumentException("events[" + index + "] (" + e.type()
                    + "): payload is " + payload + " bytes of UTF-8, over the limit of "
                    + limits.maxPayloadBytes());
        }
        JsonValidator.checkObject(e.json(), limits.maxJsonDepth()).ifPresent(problem -> {
            throw new IllegalArgumentException("events[" + index + "] (" + e.type() + "): invalid JSON: " + problem);
        });
        long metadata = 0;
        for (Map.Entry<String, String> m : e.metadata().entrySet()) {
            metadata += Text.utf8Length(m.getKey()) + Text.utf8Length(m.getValue());
            Optional<String> bad = Text.badCharacter(m.getKey()).or(() -> Text.badCharacter(m.getValue()));
            if (bad.isPresent()) {
                throw new IllegalArgumentException(
                        "events[" + index + "] (" + e.type() + "): metadata '" + m.getKey() + "' holds " + bad.get());
            }
        }
        if (metadata > limits.maxMetadataBytes()) {
            throw new IllegalArgumentException("events[" + index + "] (" + e.type()
                    + "): metadata is " + metadata + " bytes of UTF-8, over the limit of "
                    + limits.maxMetadataBytes());
        }
    }

    /**
     * Checks a stream id: 1 to 200 characters, not blank, no control characters, no unpaired
     * surrogate.
     *
     * @throws NullPointerException if {@code streamId} is null
     * @throws IllegalArgumentException naming the rule broken
     */
    public static void checkStreamId(String streamId) {
        Objects.requireNonNull(streamId, "streamId");
        checkName("stream id", streamId, MAX_STREAM_ID_LENGTH);
    }

    /**
     * Whether a stream of this id can exist: whether {@link #checkStreamId} passes. A read of an
     * id that cannot must not reach the database: the JDBC drivers send an unpaired surrogate as
     * {@code ?}, so that the read would find the stream of another id.
     */
    public static boolean couldBeStreamId(String streamId) {
        try {
            checkStreamId(streamId);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Checks an event type's name: 1 to 200 characters, not blank, no NUL, no unpaired surrogate.
     *
     * @throws IllegalArgumentException naming the rule broken
     */
    public static void checkType(String type) {
        if (type.isBlank()) {
            throw new IllegalArgumentException("event type must not be blank");
        }
        if (type.length() > EventData.MAX_TYPE_LENGTH) {
            throw new IllegalArgumentException(
                    "event type must be at most " + EventData.MAX_TYPE_LENGTH + " characters, was " + type.length());
        }
        Text.badCharacter(type).ifPresent(bad -> {
            throw new IllegalArgumentException("event type holds " + bad);
        });
    }

    /**
     * Checks a name (a stream id, a tag): 1 to {@code max} characters, not blank, no control
     * characters, no unpaired surrogate.
     *
     * @param what what the name is, for the message ("stream id", "tag")
     * @throws IllegalArgumentException naming the rule broken
     */
    public static void checkName(String what, String name, int max) {
        if (name.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
        if (name.length() > max) {
            throw new IllegalArgumentException(what + " must be at most " + max + " characters, was " + name.length());
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException(what + " must not hold control characters (U+"
                        + String.format("%04X", (int) c) + " at index " + i + ")");
            }
            if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
                i++; // a pair
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " holds an unpaired surrogate at index " + i);
            }
        }
    }

    /**
     * Checks the arguments of {@link EventStore#readStream}.
     *
     * @throws NullPointerException if {@code streamId} is null
     * @throws IllegalArgumentException naming the rule broken
     */
    public static void checkReadStream(String streamId, long fromVersion, int maxCount) {
        Objects.requireNonNull(streamId, "streamId");
        if (fromVersion < 1) {
            throw new IllegalArgumentException("fromVersion is 1-based, was " + fromVersion);
        }
        checkMaxCount(maxCount);
    }

    /**
     * Checks the arguments of {@link EventStore#readAll}.
     *
     * @throws IllegalArgumentException naming the rule broken
     */
    public static void checkReadAll(long afterPosition, int maxCount) {
        if (afterPosition < 0) {
            throw new IllegalArgumentException("afterPosition cannot be negative, was " + afterPosition);
        }
        checkMaxCount(maxCount);
    }

    private static void checkMaxCount(int maxCount) {
        if (maxCount < 1) {
            throw new IllegalArgumentException("maxCount must be at least 1, was " + maxCount);
        }
    }
}
