package io.annals.eventstore.decision;

import io.annals.eventstore.Event;
import io.annals.eventstore.Query;
import java.util.Objects;
import java.util.function.BiFunction;

/** The model {@link DecisionModel#of} makes of its three parts. */
record ModelOf<S, E extends Event>(Query query, S initialState, BiFunction<? super S, ? super E, ? extends S> fold)
        implements DecisionModel<S, E> {

    ModelOf {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(initialState, "initialState");
        Objects.requireNonNull(fold, "evolve");
    }

    @Override
    public S evolve(S state, E event) {
        return fold.apply(state, event);
    }
}
