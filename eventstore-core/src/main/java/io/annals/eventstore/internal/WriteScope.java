package io.annals.eventstore.internal;

/**
 * Marks the threads that hold a write transaction other threads may wait for: a projection
 * batch, whose store calls from {@code apply} join its transaction. Code of the library that
 * waits for another thread (the command handler's turn of an aggregate) must not wait without
 * bound on such a thread: the other thread may itself wait for the transaction.
 */
public final class WriteScope {

    private static final ThreadLocal<Boolean> HELD = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private WriteScope() {}

    /**
     * Marks this thread as holding such a transaction, until {@link #end} with what this returns
     * (in a {@code finally}).
     *
     * @return the mark before, for {@link #end}
     */
    public static boolean begin() {
        boolean before = HELD.get();
        HELD.set(Boolean.TRUE);
        return before;
    }

    /** Ends what {@link #begin} began: {@code before} is what it returned. */
    public static void end(boolean before) {
        HELD.set(before);
    }

    /** Whether this thread holds a write transaction that other threads may wait for. */
    public static boolean held() {
        return HELD.get();
    }
}
