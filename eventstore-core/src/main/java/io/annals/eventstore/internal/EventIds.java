package io.annals.eventstore.internal;

import java.security.SecureRandom;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * New event ids: time-ordered UUIDs of version 7 (RFC 9562), the milliseconds since 1970 in the
 * first 48 bits, a counter in the next 12 that keeps the ids of one process increasing within a
 * millisecond, and 62 random bits.
 *
 * <p>The stores keep a unique index on event ids. Random ids of version 4 put each new one on a
 * random page of that index, so an append of ten events writes ten of its pages (SQLite), and
 * after each checkpoint every page an insert touches goes to the WAL whole (PostgreSQL); ids that
 * follow the clock land on the index's last page, as positions do. The time in an id is only an
 * order for the index: it is read from the system clock, not the store's {@code Clock}, and means
 * nothing to the application.
 */
public final class EventIds {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The last id's milliseconds and counter: {@code millis << 12 | counter}. */
    private static final AtomicLong LAST = new AtomicLong();

    private EventIds() {}

    /** A new id: after every id this process made before. */
    public static UUID next() {
        long now = System.currentTimeMillis() << 12;
        // the counter carries into the milliseconds when a millisecond has more than 4,096 ids
        long stamp = LAST.updateAndGet(last -> now > last ? now : last + 1);
        long high = (stamp >>> 12) << 16 | 0x7000L | (stamp & 0xFFFL);
        long low = RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L;
        return new UUID(high, low);
    }
}
