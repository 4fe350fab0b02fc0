package io.annals.eventstore.jdbc;

/**
 * The horizons of the last full pages of {@code readAll}, by the position each page ended at. A
 * reader paging through the log asks next for the events after the page it had; a horizon, once
 * read outside a projection batch, stays true (every transaction that could still write below it
 * had ended), so that page can be read below the same horizon without reading it again. On
 * PostgreSQL the horizon is a statement that reads the server's lock table: reading it for every
 * page of a scan made the scan a third slower than the same reads without it.
 *
 * <p>Only full pages are remembered: after a page that was not full, the reader is at the log's
 * end and needs a fresh horizon to see further. A few slots, for a few readers paging at once; a
 * reader whose slot was taken reads the horizon again, nothing worse.
 */
final class ScanHorizons {

    private static final int SLOTS = 8;

    private final long[] ends = new long[SLOTS];
    private final long[] horizons = new long[SLOTS];
    private int next;

    /** The horizon of the full page that ended at {@code position}; 0 if none is remembered. */
    synchronized long after(long position) {
        for (int i = 0; i < SLOTS; i++) {
            if (ends[i] == position && horizons[i] > position + 1) {
                return horizons[i];
            }
        }
        return 0;
    }

    /** A full page ended at {@code end}, read below {@code horizon}. */
    synchronized void fullPage(long end, long horizon) {
        ends[next] = end;
        horizons[next] = horizon;
        next = (next + 1) % SLOTS;
    }
}
