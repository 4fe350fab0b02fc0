package io.annals.eventstore.internal;

import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
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

    private static void checkEvent(AppendLimits limits, EventData e, int index) {
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
        if (streamId.isBlank()) {
            throw new IllegalArgumentException("stream id must not be blank");
        }
        if (streamId.length() > MAX_STREAM_ID_LENGTH) {
            throw new IllegalArgumentException(
                    "stream id must be at most " + MAX_STREAM_ID_LENGTH + " characters, was " + streamId.length());
        }
        for (int i = 0; i < streamId.length(); i++) {
            char c = streamId.charAt(i);
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException("stream id must not hold control characters (U+"
                        + String.format("%04X", (int) c) + " at index " + i + ")");
            }
            if (Character.isSurrogate(c)
                    && !(Character.isHighSurrogate(c)
                            && i + 1 < streamId.length()
                            && Character.isLowSurrogate(streamId.charAt(++i)))) {
                throw new IllegalArgumentException("stream id holds an unpaired surrogate at index " + i);
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
