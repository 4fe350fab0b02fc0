package io.annals.eventstore.projection;

import io.annals.eventstore.CategoryQuery;
import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.Query;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Reads a projector's pages of the log and, once a page comes back full (the projection is
 * catching up), the page after it on a thread of its own while the batch of the first is applied:
 * reading and applying then take turns on two threads instead of one.
 *
 * <p>A page read ahead is the page the next batch would read, read earlier: the read of the log
 * from where the checkpoint will be if the batch commits, for the same categories, interest and
 * page size. It is used only by the read that follows in the same run of batches, if that read
 * asks for exactly that (the batch committed). A page read ahead that is not full ended at the end
 * of the log as it was during the batch: the runner then reads again at once rather than after its
 * poll interval ({@link #lastWasReadAhead}), since a wake-up or a waiter in {@code awaitPosition}
 * counts on a read after the append it heard. The runner {@linkplain #drop drops} it when a batch
 * fails (its transaction may have been open while the page was read), when the projection loses
 * its lease and when a pass of batches ends (a catch-up, a rebuild), so that no page outlives the
 * run it was read for. Like any page, it holds what the log held when it was read, up to a
 * position below which every event was visible then; using it a batch later is the same as a
 * read followed by a slow batch.
 *
 * <p>One projection's thread uses it; the {@link LogPage.Reader} it wraps (which keeps state
 * between pages) is used by one thread at a time: every read first waits for the read ahead in
 * flight, if any, whether it uses it or not.
 */
final class ReadAhead implements AutoCloseable {

    private static final Logger LOG = System.getLogger(ReadAhead.class.getName());

    /** How long the reading thread waits for work before it ends. */
    private static final long IDLE_SECONDS = 5;

    private final LogPage.Reader reader;
    private final String projection;
    private final boolean enabled;
    private @Nullable ThreadPoolExecutor thread;
    private @Nullable Pending pending;
    /** Whether the last page {@link #read} returned was read ahead. */
    private boolean readAhead;

    private volatile boolean closed;

    /** A read under way, and what it was asked. */
    private record Pending(
            Optional<CategoryQuery> categories,
            Optional<Query> interest,
            long from,
            int pageSize,
            Future<LogPage> page) {}

    /**
     * @param projection the projection's name, for the reading thread's name and errors
     * @param enabled false to read each page when it is asked for, never ahead
     */
    ReadAhead(LogPage.Reader reader, String projection, boolean enabled) {
        this.reader = reader;
        this.projection = projection;
        this.enabled = enabled;
    }

    /**
     * The page from {@code from}, read ahead if it was, else now; when it is full, starts reading
     * the one after it.
     *
     * @throws InterruptedWaitException if interrupted while a read ahead ends
     */
    LogPage read(Optional<CategoryQuery> categories, Optional<Query> interest, long from, int pageSize) {
        LogPage page = take(categories, interest, from, pageSize);
        readAhead = page != null;
        if (page == null) {
            page = reader.read(categories, interest, from, pageSize);
        }
        if (enabled && page.read() == pageSize && page.readUpTo() > from) {
            start(categories, interest, page.readUpTo(), pageSize);
        }
        return page;
    }

    /**
     * Waits for the read ahead in flight, if any, and returns its page if it is the one asked
     * for; null otherwise, or if it failed (the read asked for now then meets the same error if
     * it lasts).
     */
    private @Nullable LogPage take(
            Optional<CategoryQuery> categories, Optional<Query> interest, long from, int pageSize) {
        Pending p = pending;
        if (p == null) {
            return null;
        }
        LogPage page;
        try {
            page = ended(p);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // pending stays: the next read waits for it again before using the reader
            throw new InterruptedWaitException(
                    "interrupted while reading the log ahead for projection " + projection, e);
        }
        pending = null;
        boolean asked = p.from() == from
                && p.pageSize() == pageSize
                && p.categories() == categories
                && p.interest() == interest;
        return asked ? page : null;
    }

    private synchronized void start(
            Optional<CategoryQuery> categories, Optional<Query> interest, long from, int pageSize) {
        if (closed) {
            return;
        }
        if (thread == null) {
            ThreadPoolExecutor t =
                    new ThreadPoolExecutor(1, 1, IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), task -> {
                        Thread r = new Thread(task, "annals-read-ahead-" + projection);
                        r.setDaemon(true);
                        return r;
                    });
            t.allowCoreThreadTimeOut(true);
            thread = t;
        }
        try {
            pending = new Pending(
                    categories,
                    interest,
                    from,
                    pageSize,
                    thread.submit(() -> reader.read(categories, interest, from, pageSize)));
        } catch (RejectedExecutionException e) {
            // closed meanwhile: the next page is read when asked for
        }
    }

    /**
     * Whether the last page {@link #read} returned was read ahead, during the batch before: if
     * it is not full, it ended at the end of the log as it was then, and what was appended since
     * is only seen by reading again.
     */
    boolean lastWasReadAhead() {
        return readAhead;
    }

    /**
     * Forgets the page read ahead, once its read has ended: the next read reads its page itself.
     * If interrupted meanwhile, returns with the interrupt flag set, and the next read waits for
     * it and drops it.
     */
    void drop() {
        Pending p = pending;
        if (p == null) {
            return;
        }
        try {
            ended(p);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pending = new Pending(Optional.empty(), Optional.empty(), -1, 0, p.page()); // asked by no read
            return;
        }
        pending = null;
    }

    /** The page of {@code p} once its read has ended; null if the read failed. */
    private @Nullable LogPage ended(Pending p) throws InterruptedException {
        try {
            return p.page().get();
        } catch (ExecutionException | CancellationException e) {
            LOG.log(
                    Level.DEBUG,
                    () -> "reading ahead for projection " + projection + " failed; reading again: " + e.getCause());
            return null;
        }
    }

    /** Ends the reading thread once the read under way, if any, has ended; reads ahead no more. */
    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.shutdown();
        }
    }

    /**
     * Waits until the reading thread, if {@link #close} ended it, has ended, until {@code
     * deadline} ({@link System#nanoTime}); whether it has.
     */
    boolean awaitClosed(long deadline) throws InterruptedException {
        ThreadPoolExecutor t;
        synchronized (this) {
            t = thread;
        }
        return t == null || t.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
    }
}
