package io.annals.eventstore.internal;

import io.annals.eventstore.InterruptedWaitException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * The wait between the attempts of an optimistic loop that reads, decides and appends again after
 * a concurrent change: the command loop and the decision loop wait alike.
 */
public final class RetryBackOff {

    private RetryBackOff() {}

    /**
     * Waits before attempt {@code failed + 1}. The first conflict is retried at once: reading
     * again is wait enough, and a sleep of even a millisecond is several appends long. Later ones
     * park for a random time between half and all of a bound that doubles from 100 µs to 6.4 ms,
     * so that writers that keep colliding spread out.
     *
     * @param failed how many attempts have failed so far, from 1
     * @param what what is retried, for the message of an interrupted wait ("a command")
     * @throws InterruptedWaitException if the thread is interrupted while it waits
     */
    public static void beforeRetry(int failed, String what) {
        if (failed < 2) {
            return;
        }
        long bound = 100_000L << Math.min(failed - 2, 6);
        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(bound / 2, bound + 1));
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new InterruptedWaitException("interrupted while waiting to retry " + what);
        }
    }
}
