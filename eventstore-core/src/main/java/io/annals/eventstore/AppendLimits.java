package io.annals.eventstore;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The limits every store checks before it writes anything, and the checks themselves.
 *
 * <table>
 *   <caption>Limits and their defaults</caption>
 *   <tr><th>limit</th><th>default</th></tr>
 *   <tr><td>{@code maxPayloadBytes}: UTF-8 size of one event's JSON</td><td>1 MiB</td></tr>
 *   <tr><td>{@code maxMetadataBytes}: UTF-8 size of one event's metadata keys and values</td><td>64 KiB</td></tr>
 *   <tr><td>{@code maxEventsPerAppend}</td><td>10,000</td></tr>
 *   <tr><td>{@code maxJsonDepth}: nesting of objects and arrays in a payload</td><td>1,000</td></tr>
 * </table>
 *
 * <p>Fixed rules, not configurable: a stream id is 1 to 200 characters, not blank, without
 * control characters; a type is 1 to 200 characters, not blank; types and metadata hold no NUL
 * and no unpaired surrogate; a payload is one JSON object (RFC 8259) without the escape
 * {@code \u0000}, without unpaired surrogates, without a key twice in one object, and whose
 * numbers are at most 1,000 characters long with an exponent of at most 1,000 either way (so
 * that every store, PostgreSQL's {@code jsonb} included, keeps the same tree).
 *
 * @param maxPayloadBytes largest UTF-8 size of one event's JSON, positive
 * @param maxMetadataBytes largest UTF-8 size of one event's metadata, positive
 * @param maxEventsPerAppend most events in one append, positive
 * @param maxJsonDepth deepest nesting of objects and arrays in a payload, positive
 */
public record AppendLimits(int maxPayloadBytes, int maxMetadataBytes, int maxEventsPerAppend,
                           int maxJsonDepth) {

    /** The longest stream id accepted. */
    public static final int MAX_STREAM_ID_LENGTH = 200;

    private static final AppendLimits DEFAULTS = new AppendLimits(1 << 20, 64 << 10, 10_000, 1_000);

    /** @throws IllegalArgumentException if a limit is not positive */
    public AppendLimits {
        positive("maxPayloadBytes", maxPayloadBytes);
        positive("maxMetadataBytes", maxMetadataBytes);
        positive("maxEventsPerAppend", maxEventsPerAppend);
        positive("maxJsonDepth", maxJsonDepth);
    }

    /** 1 MiB payloads, 64 KiB metadata, 10,000 events per append, JSON nested 1,000 deep. */
    public static AppendLimits defaults() {
        return DEFAULTS;
    }

    /** A copy with another payload limit. */
    public AppendLimits withMaxPayloadBytes(int value) {
        return new AppendLimits(value, maxMetadataBytes, maxEventsPerAppend, maxJsonDepth);
    }

    /** A copy with another metadata limit. */
    public AppendLimits withMaxMetadataBytes(int value) {
        return new AppendLimits(maxPayloadBytes, value, maxEventsPerAppend, maxJsonDepth);
    }

    /** A copy with another limit on events per append. */
    public AppendLimits withMaxEventsPerAppend(int value) {
        return new AppendLimits(maxPayloadBytes, maxMetadataBytes, value, maxJsonDepth);
    }

    /** A copy with another nesting limit. */
    public AppendLimits withMaxJsonDepth(int value) {
        return new AppendLimits(maxPayloadBytes, maxMetadataBytes, maxEventsPerAppend, value);
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, was " + value);
        }
    }

    /**
     * Checks an append's arguments against every rule, so that a store can reject bad input
     * before it writes anything.
     *
     * @throws NullPointerException if an argument or an event is null
     * @throws IllegalArgumentException naming the rule broken (and the event's index)
     */
    public void checkAppend(String streamId, ExpectedVersion expected, List<EventData> events) {
        checkStreamId(streamId);
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(events, "events");
        if (events.isEmpty()) {
            throw new IllegalArgumentException("an append needs at least one event");
        }
        if (events.size() > maxEventsPerAppend) {
            throw new IllegalArgumentException("an append holds at most " + maxEventsPerAppend
                    + " events, this one has " + events.size());
        }
        Set<UUID> ids = new HashSet<>();
        for (int i = 0; i < events.size(); i++) {
            EventData e = Objects.requireNonNull(events.get(i), "events[" + i + "]");
            if (!ids.add(e.eventId())) {
                throw new IllegalArgumentException("event id " + e.eventId()
                        + " appears twice in one append (events[" + i + "])");
            }
            checkEvent(e, i);
        }
    }

    private void checkEvent(EventData e, int index) {
        long payload = utf8Length(e.json());
        if (payload > maxPayloadBytes) {
            throw new IllegalArgumentException("events[" + index + "] (" + e.type()
                    + "): payload is " + payload + " bytes of UTF-8, over the limit of "
                    + maxPayloadBytes);
        }
        String problem = JsonValidator.checkObject(e.json(), maxJsonDepth);
        if (problem != null) {
            throw new IllegalArgumentException("events[" + index + "] (" + e.type()
                    + "): invalid JSON: " + problem);
        }
        long metadata = 0;
        for (Map.Entry<String, String> m : e.metadata().entrySet()) {
            metadata += utf8Length(m.getKey()) + utf8Length(m.getValue());
            String bad = badCharacter(m.getKey());
            if (bad == null) {
                bad = badCharacter(m.getValue());
            }
            if (bad != null) {
                throw new IllegalArgumentException("events[" + index + "] (" + e.type()
                        + "): metadata '" + m.getKey() + "' holds " + bad);
            }
        }
        if (metadata > maxMetadataBytes) {
            throw new IllegalArgumentException("events[" + index + "] (" + e.type()
                    + "): metadata is " + metadata + " bytes of UTF-8, over the limit of "
                    + maxMetadataBytes);
        }
    }

    /**
     * Checks a stream id: 1 to 200 characters, not blank, no control characters.
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
            throw new IllegalArgumentException("stream id must be at most " + MAX_STREAM_ID_LENGTH
                    + " characters, was " + streamId.length());
        }
        for (int i = 0; i < streamId.length(); i++) {
            if (Character.isISOControl(streamId.charAt(i))) {
                throw new IllegalArgumentException("stream id must not hold control characters (U+"
                        + String.format("%04X", (int) streamId.charAt(i)) + " at index " + i + ")");
            }
            if (Character.isSurrogate(streamId.charAt(i))
                    && !(Character.isHighSurrogate(streamId.charAt(i)) && i + 1 < streamId.length()
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

    /**
     * What no store can keep as text: NUL (PostgreSQL refuses it) and unpaired UTF-16 surrogates
     * (not encodable in UTF-8; they would come back as '?').
     *
     * @return a description of the first such character, or null when there is none
     */
    static String badCharacter(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) {
                return "a NUL character (U+0000) at index " + i;
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "an unpaired surrogate at index " + i;
            }
        }
        return null;
    }

    /** The UTF-8 length of {@code s} without encoding it (unpaired surrogates count as 3). */
    static long utf8Length(String s) {
        long n = 0;
        int len = s.length();
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < len
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
