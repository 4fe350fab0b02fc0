package io.annals.eventstore;

import java.util.Objects;

/**
 * The consistency check of an {@link EventStore#append(java.util.List, AppendCondition) append
 * across streams}: the append fails, writing nothing, if an event matching
 * {@code failIfEventsMatch} was stored after {@code afterPosition} (Dynamic Consistency
 * Boundaries). A decision reads the events its rule depends on with
 * {@code read(query, 0, n)}, then appends with the same query and the position of the last event
 * it read (0 when it read none): if anything it would have seen has been stored since, including
 * by an append that commits concurrently, the append fails with
 * {@link AppendConditionFailedException} and the decision is taken again.
 *
 * @param failIfEventsMatch the events that would change the decision
 * @param afterPosition the position the decision has seen up to; 0 when it saw no event
 */
public record AppendCondition(Query failIfEventsMatch, long afterPosition) {

    /**
     * @throws NullPointerException if {@code failIfEventsMatch} is null
     * @throws IllegalArgumentException if {@code afterPosition} is negative
     */
    public AppendCondition {
        Objects.requireNonNull(failIfEventsMatch, "failIfEventsMatch");
        if (afterPosition < 0) {
            throw new IllegalArgumentException("afterPosition cannot be negative, was " + afterPosition);
        }
    }

    /** Fails if any event matching {@code query} is stored at all. */
    public static AppendCondition noEventsMatch(Query query) {
        return new AppendCondition(query, 0);
    }
}
