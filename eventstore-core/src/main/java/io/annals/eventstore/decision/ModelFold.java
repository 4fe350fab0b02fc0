package io.annals.eventstore.decision;

import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The models of one decision, folded from one read of the union of their queries.
 *
 * <p>One read, not one per model: the states must all be as of the same position, the one the
 * append condition names. Folding each model from a read of its own would let an event that
 * lands between two reads be in a later model's state and in none of the earlier ones', and the
 * condition, which starts after the last position read, would never see it.
 */
final class ModelFold<E extends Event> {

    /** The states of the models, in their order, and the position of the last event read. */
    record Folded(List<Object> states, long position) {}

    private final List<DecisionModel<?, E>> models;
    private final Query query;

    ModelFold(List<DecisionModel<?, E>> models) {
        this.models = List.copyOf(models);
        Set<QueryItem> items = new LinkedHashSet<>();
        for (DecisionModel<?, E> model : models) {
            items.addAll(requireQuery(model).items());
        }
        this.query = new Query(new ArrayList<>(items));
    }

    private static Query requireQuery(DecisionModel<?, ?> model) {
        Query query = model.query();
        if (query == null) {
            throw new IllegalStateException(model + " has no query");
        }
        return query;
    }

    /** The union of the models' queries: what the decision reads, and what its condition watches. */
    Query query() {
        return query;
    }

    /**
     * Reads every event of {@link #query()}, page by page, and folds each into the models whose
     * own query it matches. Events of types the codec does not know, or retired, are skipped (as
     * projections skip them), but count as read: they are part of what the decision saw.
     */
    Folded read(EventStore store, EventCodec<E> codec, int pageSize) {
        List<Running<?, E>> running = new ArrayList<>(models.size());
        for (DecisionModel<?, E> model : models) {
            running.add(Running.start(model));
        }
        long position = 0;
        while (true) {
            List<RecordedEvent> page = store.read(query, position, pageSize);
            for (RecordedEvent recorded : page) {
                position = recorded.position();
                if (!codec.knows(recorded.type()) || codec.isRetired(recorded.type())) {
                    continue;
                }
                E event = codec.decode(recorded).event();
                for (Running<?, E> r : running) {
                    if (r.query.matches(recorded)) {
                        r.apply(event);
                    }
                }
            }
            if (page.size() < pageSize) {
                List<Object> states = new ArrayList<>(running.size());
                for (Running<?, E> r : running) {
                    states.add(r.state);
                }
                return new Folded(states, position);
            }
        }
    }

    /** One model and its state so far. */
    private static final class Running<S, E extends Event> {
        final DecisionModel<S, E> model;
        final Query query;
        S state;

        private Running(DecisionModel<S, E> model, S state) {
            this.model = model;
            this.query = requireQuery(model);
            this.state = state;
        }

        static <S, E extends Event> Running<S, E> start(DecisionModel<S, E> model) {
            S initial = model.initialState();
            if (initial == null) {
                throw new IllegalStateException(model + " has a null initial state");
            }
            return new Running<>(model, initial);
        }

        void apply(E event) {
            S next = model.evolve(state, event);
            if (next == null) {
                throw new IllegalStateException(model + " evolved to null on " + event);
            }
            state = next;
        }
    }
}
