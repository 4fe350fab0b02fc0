package io.annals.eventstore.command;

import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.internal.WriteScope;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The turn of each aggregate in one command handler: work for one aggregate id runs one at a
 * time, work for different ids in parallel. An id's lock is kept only while some thread holds or
 * waits for it, so the map is as small as the number of aggregates in use at the moment.
 */
final class AggregateLocks {

    private static final class Gate {
        final ReentrantLock lock = new ReentrantLock();
        int users; // changed only inside the map's compute functions, which lock the key
    }

    private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();

    /**
     * Runs {@code work} in {@code aggregateId}'s turn. An uncontended turn is taken even with
     * the thread's interrupt flag set; a thread interrupted while it waits gives up. A thread
     * that holds a write transaction others may wait for ({@link WriteScope}: a projection batch
     * handling commands) never waits: the holder of the turn may be waiting for that transaction.
     * It then runs {@code work} without the turn, and optimistic concurrency settles which of
     * the two goes first (the turn only spares threads of one process each other's retries).
     *
     * @throws InterruptedWaitException if interrupted while waiting; {@code work} did not run
     */
    <T> T inTurn(String aggregateId, Supplier<T> work) {
        Gate gate = gates.compute(aggregateId, (id, g) -> {
            Gate held = g == null ? new Gate() : g;
            held.users++;
            return held;
        });
        try {
            if (!gate.lock.tryLock()) {
                if (WriteScope.held()) {
                    try {
                        return work.get();
                    } finally {
                        release(aggregateId);
                    }
                }
                gate.lock.lockInterruptibly();
            }
        } catch (InterruptedException e) {
            release(aggregateId);
            Thread.currentThread().interrupt();
            throw new InterruptedWaitException("interrupted while waiting for the turn of aggregate " + aggregateId, e);
        }
        try {
            return work.get();
        } finally {
            gate.lock.unlock();
            release(aggregateId);
        }
    }

    /** How many aggregate ids hold a lock now (held or waited for). */
    int size() {
        return gates.size();
    }

    private void release(String aggregateId) {
        gates.computeIfPresent(aggregateId, (id, g) -> --g.users == 0 ? null : g);
    }
}
