package io.annals.eventstore;

import java.util.List;

/**
 * An aggregate as two pure functions: {@code decide(state, command) -> events} and
 * {@code evolve(state, event) -> state}. No I/O, no clock, no randomness: the same inputs always
 * give the same outputs, which is what lets the command loop retry a command after a concurrent
 * change and lets tests run without a database.
 *
 * @param <S> the state, folded from the events; usually an immutable record
 * @param <C> the commands
 * @param <E> the events
 */
public interface Aggregate<S, C extends Command, E extends Event> {

    /**
     * The stream category: the stream id of an aggregate is {@code category() + "-" + id}, such
     * as {@code product-42}.
     */
    String category();

    /** The state before any event: the fold's starting value. */
    S initialState();

    /**
     * Decides what happens when {@code command} meets {@code state}.
     *
     * @return the new events, oldest first; an empty list when there is nothing to do
     * @throws CommandRejectedException when the command breaks a rule
     */
    List<E> decide(S state, C command);

    /** Applies one event to the state. Must accept every event {@link #decide} ever produced. */
    S evolve(S state, E event);

    /** The stream id of the aggregate with id {@code aggregateId}. */
    default String streamId(String aggregateId) {
        return category() + "-" + aggregateId;
    }

    /** Folds {@code events} over {@code state}. */
    default S fold(S state, List<? extends E> events) {
        S s = state;
        for (E e : events) {
            s = evolve(s, e);
        }
        return s;
    }
}
