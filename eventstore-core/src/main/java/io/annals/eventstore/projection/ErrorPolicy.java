package io.annals.eventstore.projection;

import java.util.Objects;

/**
 * What a {@link ProjectionRunner} does when a projection keeps failing on an event (a
 * {@link ProjectionException}): retry with back-off for ever (the default), or retry a number of
 * times and then stop at the event or park it. Set per projection with
 * {@link ProjectionRunner.Builder#onError(String, ErrorPolicy)}.
 *
 * <p>The policy applies to failures of the projection on an event only. A failure of the store
 * itself (a lost connection, a full disk) blames no event: it is retried for ever, whatever the
 * policy, as a projection that parked events because the database was down would be wrong.
 *
 * <pre>{@code
 * ErrorPolicy.retryForever();     // back-off retries until the event is fixed or skipped by hand
 * ErrorPolicy.stopAfter(3);       // 3 retries, then FAILED at that event until runner.retry(name)
 * ErrorPolicy.parkAfter(3);       // 3 retries, then the event is parked as a dead letter
 * }</pre>
 */
public final class ErrorPolicy {

    /** What happens once the retries are spent. */
    public enum Outcome {
        /** Never give up: retry with back-off until the batch applies. */
        RETRY_FOREVER,
        /** Apply the events before the failing one, then stop there (status {@code FAILED}). */
        STOP,
        /** Apply the events around the failing one and park it (and its stream's later events). */
        PARK
    }

    private static final ErrorPolicy FOREVER = new ErrorPolicy(Outcome.RETRY_FOREVER, 0);

    private final Outcome outcome;
    private final int retries;

    private ErrorPolicy(Outcome outcome, int retries) {
        this.outcome = outcome;
        this.retries = retries;
    }

    /** Retries with back-off for ever: one bad event holds the projection until it is fixed. */
    public static ErrorPolicy retryForever() {
        return FOREVER;
    }

    /**
     * Retries a failing batch {@code retries} times with back-off, then finds the event that fails,
     * applies the events before it and stops there: status {@code FAILED} naming the event, and no
     * more retries until {@link ProjectionRunner#retry(String)} or a new runner.
     *
     * @throws IllegalArgumentException if {@code retries} is negative
     */
    public static ErrorPolicy stopAfter(int retries) {
        return new ErrorPolicy(Outcome.STOP, check(retries));
    }

    /**
     * Retries a failing batch {@code retries} times with back-off, then applies its events one by
     * one and parks each that fails as a {@link DeadLetter}, together with the later events of its
     * stream, so that a stream's order is kept; other streams go on. Needs a projector that keeps
     * dead letters (a {@link DeadLetterProjector}, such as the JDBC ones).
     *
     * @throws IllegalArgumentException if {@code retries} is negative
     */
    public static ErrorPolicy parkAfter(int retries) {
        return new ErrorPolicy(Outcome.PARK, check(retries));
    }

    private static int check(int retries) {
        if (retries < 0) {
            throw new IllegalArgumentException("retries cannot be negative, was " + retries);
        }
        return retries;
    }

    /** What happens once the retries are spent. */
    public Outcome outcome() {
        return outcome;
    }

    /** The retries before the outcome; 0 for {@link Outcome#RETRY_FOREVER}, which has no end. */
    public int retries() {
        return retries;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ErrorPolicy p && p.outcome == outcome && p.retries == retries;
    }

    @Override
    public int hashCode() {
        return Objects.hash(outcome, retries);
    }

    @Override
    public String toString() {
        return switch (outcome) {
            case RETRY_FOREVER -> "retry forever";
            case STOP -> "stop after " + retries + " retries";
            case PARK -> "park after " + retries + " retries";
        };
    }
}
