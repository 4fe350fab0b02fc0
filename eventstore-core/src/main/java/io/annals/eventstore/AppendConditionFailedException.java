package io.annals.eventstore;

import java.util.Objects;

/**
 * An append's {@link AppendCondition} did not hold: an event that matches its query was stored
 * after the position the decision had seen. Nothing was written.
 *
 * <p>The usual reaction is to read again, decide again and retry; the decision loop of the typed
 * layer does exactly that.
 */
public class AppendConditionFailedException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    private final transient AppendCondition condition;
    private final long conflictingPosition;

    /**
     * @param condition the condition that failed
     * @param conflictingPosition the position of a matching event stored after
     *     {@code condition.afterPosition()}
     */
    public AppendConditionFailedException(AppendCondition condition, long conflictingPosition) {
        super("append condition failed: an event matching "
                + Objects.requireNonNull(condition, "condition").failIfEventsMatch()
                + " was stored at position " + conflictingPosition + ", after position "
                + condition.afterPosition() + "; nothing was written");
        this.condition = condition;
        this.conflictingPosition = conflictingPosition;
    }

    /** The condition that failed. */
    public AppendCondition condition() {
        return condition;
    }

    /** The position of an event that matches the condition's query and was stored after its position. */
    public long conflictingPosition() {
        return conflictingPosition;
    }
}
