package io.annals.eventstore.decision;

import io.annals.eventstore.Event;
import io.annals.eventstore.Query;
import java.util.function.BiFunction;

/**
 * One fact a {@link Decision} needs, folded from the events that can change it: "is this name
 * taken", "how many seats are left". A pure fold, like an aggregate's state, but over the events
 * that match a {@link Query} (typically by tag) rather than over one stream:
 *
 * <pre>{@code
 * static DecisionModel<Integer, CourseEvent> seatsLeft(String courseId) {
 *     return DecisionModel.of(
 *             Query.of(QueryItem.tags("course:" + courseId)),
 *             0,
 *             (seats, e) -> e instanceof CourseDefined d ? d.seats()
 *                     : e instanceof StudentSubscribed ? seats - 1
 *                     : seats);
 * }
 * }</pre>
 *
 * <p>The query is also what keeps the decision consistent: the handler appends on the condition
 * that no event matching it was stored since it read. Keep it as narrow as the fact allows (one
 * tag rather than a whole event type): every event it matches is read for each decision, and
 * every matching event stored concurrently makes the decision start again. Name the types through
 * {@link io.annals.eventstore.EventCodec#queryItem} so that events stored under an older name
 * (an alias) are found too.
 *
 * @param <S> the state; never null
 * @param <E> the events
 */
public interface DecisionModel<S, E extends Event> {

    /** The events this model folds, and whose later arrival makes the decision start again. */
    Query query();

    /** The state before any event: the fold's starting value. Never null. */
    S initialState();

    /**
     * Applies one event to the state. Receives every event the query matches and the codec can
     * read, oldest first (events of types the codec does not know or retired are skipped); returns
     * the state unchanged for the events it does not care about. Never returns null.
     */
    S evolve(S state, E event);

    /**
     * A model of these three parts.
     *
     * @param query the events it folds
     * @param initialState the state before any event
     * @param evolve applies one event to the state
     * @throws NullPointerException if an argument is null
     */
    static <S, E extends Event> DecisionModel<S, E> of(
            Query query, S initialState, BiFunction<? super S, ? super E, ? extends S> evolve) {
        return new ModelOf<>(query, initialState, evolve);
    }
}
