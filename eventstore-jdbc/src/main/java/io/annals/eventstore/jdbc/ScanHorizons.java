package io.annals.eventstore.jdbc;

import java.lang.ref.WeakReference;
import org.jspecify.annotations.Nullable;

/**
 * The horizons of the last full pages of {@code readAll}, by the connection that read them and
 * the position each page ended at. A reader paging through the log asks next for the events after
 * the page it had; a horizon, once read outside a projection batch, stays true on the server that
 * read it (every transaction that could still write below it had ended), so that page can be read
 * below the same horizon without reading it again. On PostgreSQL the horizon is a statement that
 * reads the server's lock table: reading it for every page of a scan made the scan a third slower
 * than the same reads without it.
 *
 * <p>A horizon serves the connection that read it, never another: another connection of the pool
 * may reach another server (a hot standby that has replayed less, a replica promoted after a
 * failover whose transaction ids come again). Only full pages are remembered: after a page that
 * was not full, the reader is at the log's end and needs a fresh horizon to see further. A few
 * slots, for a few readers paging at once; a reader whose slot was taken reads the horizon again,
 * nothing worse.
 */
final class ScanHorizons {

    private static final int SLOTS = 8;

    /** A horizon to read below, and the server process that read it (which must serve the read). */
    record Known(long horizon, int process) {}

    /** A remembered page: where it ended, its horizon, and the connection and process that read it. */
    private static final class Slot {
        long end;
        long horizon;
        int process;

        @Nullable
        WeakReference<Object> connection;
    }

    private final Slot[] slots = new Slot[SLOTS];
    private int next;

    ScanHorizons() {
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new Slot();
        }
    }

    /** The horizon of the full page that {@code session} read up to {@code position}; null if none. */
    synchronized @Nullable Known after(Dialect.ServerSession session, long position) {
        Slot s = slot(session, position);
        return s == null ? null : new Known(s.horizon, s.process);
    }

    /** A full page ended at {@code end}, read by {@code session} below {@code horizon}. */
    synchronized void fullPage(Dialect.ServerSession session, long end, long horizon) {
        Slot s = slot(session, end);
        if (s == null) {
            s = slots[next];
            next = (next + 1) % SLOTS;
        }
        s.end = end;
        s.horizon = horizon;
        s.process = session.process();
        s.connection = new WeakReference<>(session.connection());
    }

    /** The page after {@code position} was not full: what was remembered for it is spent. */
    synchronized void forget(Dialect.ServerSession session, long position) {
        Slot s = slot(session, position);
        if (s != null) {
            s.connection = null;
        }
    }

    private @Nullable Slot slot(Dialect.ServerSession session, long end) {
        for (Slot s : slots) {
            WeakReference<Object> c = s.connection;
            if (c != null && c.get() == session.connection() && s.end == end && s.horizon > end + 1) {
                return s;
            }
        }
        return null;
    }
}
