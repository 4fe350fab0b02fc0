package io.annals.eventstore.jdbc;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.BitSet;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * How a keyed projection is split into segments ({@link JdbcProjectors#segments}): how many, which
 * of them this instance runs first, and how long a segment must stay without a runner before this
 * instance takes it over.
 *
 * <p>A stream belongs to segment {@link #segmentOf(String) segmentOf(streamId)}: the CRC-32 of
 * its id's UTF-8 bytes, modulo the count. The same in every process and every version of Java, so
 * that a stream's events are always applied by the same segment, in order.
 *
 * <p>Every instance adds every segment to its runner. The segments it {@linkplain #owning owns}
 * it runs at once; the others it leaves to their owners and takes over only when one has had no
 * runner for {@link #takeoverAfter} (its instance died or was stopped). A takeover is not undone
 * when the owner comes back: the segment stays where it is until the instance running it stops.
 * By default an instance owns every segment, which is what a single instance wants; with several,
 * give each its share: {@code Segments.of(4).owning(0, 1)} on one, {@code owning(2, 3)} on the
 * other.
 */
public final class Segments {

    /** The most segments a projection can be split into. */
    public static final int MAX_COUNT = 256;

    private final int count;
    private final BitSet owned;
    private final Duration takeoverAfter;

    private Segments(int count, BitSet owned, Duration takeoverAfter) {
        this.count = count;
        this.owned = owned;
        this.takeoverAfter = takeoverAfter;
    }

    /**
     * {@code count} segments, all owned by this instance; a segment it does not own is taken over
     * after 10 seconds without a runner (see {@link #takeoverAfter}).
     *
     * @throws IllegalArgumentException if {@code count} is not between 2 and {@value #MAX_COUNT}
     */
    public static Segments of(int count) {
        if (count < 2 || count > MAX_COUNT) {
            throw new IllegalArgumentException(
                    "a projection is split into 2 to " + MAX_COUNT + " segments, not " + count);
        }
        BitSet all = new BitSet(count);
        all.set(0, count);
        return new Segments(count, all, Duration.ofSeconds(10));
    }

    /**
     * The same, with this instance owning {@code segments} and no other: it runs them as soon as
     * they are free, and the others only when they have had no runner for {@link #takeoverAfter}.
     *
     * @throws IllegalArgumentException if a segment is not between 0 and the count minus one
     */
    public Segments owning(int... segments) {
        BitSet own = new BitSet(count);
        for (int s : segments) {
            if (s < 0 || s >= count) {
                throw new IllegalArgumentException(
                        "segment " + s + " does not exist: the segments are 0 to " + (count - 1));
            }
            own.set(s);
        }
        return new Segments(count, own, takeoverAfter);
    }

    /**
     * The same, taking a segment this instance does not own after it has had no runner for
     * {@code delay}; zero takes a free segment at once.
     *
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public Segments takeoverAfter(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("takeoverAfter cannot be negative, was " + delay);
        }
        return new Segments(count, owned, delay);
    }

    /** The number of segments. */
    public int count() {
        return count;
    }

    /** Whether this instance owns {@code segment}. */
    public boolean owns(int segment) {
        return owned.get(segment);
    }

    /** How long a segment this instance does not own stays free before this instance takes it. */
    public Duration takeoverAfter() {
        return takeoverAfter;
    }

    /** The segment whose runner applies the events of {@code streamId}. */
    public int segmentOf(String streamId) {
        CRC32 crc = new CRC32();
        crc.update(streamId.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % count);
    }

    /** The name of segment {@code segment} of {@code projection}: {@code projection[segment/count]}. */
    String name(String projection, int segment) {
        return projection + "[" + segment + "/" + count + "]";
    }

    @Override
    public String toString() {
        return "Segments[" + count + ", owning " + owned + ", takeover after " + takeoverAfter + "]";
    }
}
