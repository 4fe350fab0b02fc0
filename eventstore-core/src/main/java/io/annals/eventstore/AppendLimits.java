package io.annals.eventstore;

/**
 * The limits an append must keep, checked by every store before it writes anything; give them
 * to a store's builder.
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
 * {@code \u0000}, without unpaired surrogates, without a key twice in one object (compared after
 * unescaping), and whose numbers are at most 1,000 characters long with an exponent of at most
 * 1,000 either way. Every store gives back what it accepted as the same JSON tree, and the Jackson
 * codecs of {@code eventstore-jdbc} read it with these limits.
 *
 * @param maxPayloadBytes largest UTF-8 size of one event's JSON, positive
 * @param maxMetadataBytes largest UTF-8 size of one event's metadata, positive
 * @param maxEventsPerAppend most events in one append, positive
 * @param maxJsonDepth deepest nesting of objects and arrays in a payload, positive
 */
public record AppendLimits(int maxPayloadBytes, int maxMetadataBytes, int maxEventsPerAppend, int maxJsonDepth) {

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
}
