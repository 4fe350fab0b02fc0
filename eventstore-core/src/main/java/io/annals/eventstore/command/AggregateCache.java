package io.annals.eventstore.command;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The states of the aggregates a command handler used last, by stream id, at most
 * {@code capacity} of them (the least recently used goes first). A state here is only a guess:
 * the handler appends with its version as the expected one, so a state another writer made
 * stale is found out by the store, and it decides again on a fresh load before it trusts a
 * rejection or a decision to do nothing.
 */
final class AggregateCache<S> {

    private final Map<String, AggregateState<S>> states;

    AggregateCache(int capacity) {
        this.states = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, AggregateState<S>> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized @Nullable AggregateState<S> get(String streamId) {
        return states.get(streamId);
    }

    synchronized void put(AggregateState<S> state) {
        states.put(state.streamId(), state);
    }

    synchronized void remove(String streamId) {
        states.remove(streamId);
    }

    synchronized int size() {
        return states.size();
    }
}
