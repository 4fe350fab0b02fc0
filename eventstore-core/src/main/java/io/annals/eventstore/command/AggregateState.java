package io.annals.eventstore.command;

import io.annals.eventstore.Aggregate;

/**
 * An aggregate as loaded: its state and the version it was folded to.
 *
 * @param streamId the aggregate's stream
 * @param state the folded state ({@link Aggregate#initialState()} for a new aggregate)
 * @param version the stream version the state includes, 0 for a new aggregate
 * @param <S> the state
 */
public record AggregateState<S>(String streamId, S state, long version) {}
