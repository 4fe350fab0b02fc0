package io.annals.eventstore.testing;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.Command;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Event;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Given / when / then tests for an aggregate, with no store and no database:
 *
 * <pre>{@code
 * AggregateFixture.of(new ProductAggregate())
 *         .given(new ProductCreated("42", "Tea", new BigDecimal("3.50")))
 *         .when(new UpdateProduct("42", new BigDecimal("-4.00")))
 *         .thenRejected("price_not_positive");
 * }</pre>
 *
 * <p>Failures are {@link AssertionError}s, so it works with any test framework.
 *
 * @param <S> the state
 * @param <C> the commands
 * @param <E> the events
 */
public final class AggregateFixture<S, C extends Command, E extends Event> {

    private final Aggregate<S, C, E> aggregate;
    private final List<E> history = new ArrayList<>();

    private AggregateFixture(Aggregate<S, C, E> aggregate) {
        this.aggregate = Objects.requireNonNull(aggregate, "aggregate");
    }

    /** A fixture for {@code aggregate} with no past events. */
    public static <S, C extends Command, E extends Event> AggregateFixture<S, C, E> of(Aggregate<S, C, E> aggregate) {
        return new AggregateFixture<>(aggregate);
    }

    /** Past events, oldest first, added to those already given. */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, never stored or exposed
    public final AggregateFixture<S, C, E> given(E... events) {
        return given(Arrays.asList(events));
    }

    /** Past events, oldest first, added to those already given. */
    public AggregateFixture<S, C, E> given(List<? extends E> events) {
        for (E e : events) {
            history.add(Objects.requireNonNull(e, "a given event is null"));
        }
        return this;
    }

    /** Decides {@code command} on the state folded from the given events. */
    public Outcome<S, E> when(C command) {
        Objects.requireNonNull(command, "command");
        S state = aggregate.fold(aggregate.initialState(), history);
        try {
            List<E> events = aggregate.decide(state, command);
            if (events == null) {
                throw new AssertionError(
                        "decide returned null for " + command + "; return an empty list when there is nothing to do");
            }
            try {
                aggregate.fold(state, events); // evolve must accept what decide produced
            } catch (RuntimeException e) {
                throw new AssertionError(
                        "for " + command + "\nevolve failed on the decided events " + events + ": " + e, e);
            }
            return new Outcome<>(aggregate, state, List.copyOf(events), null, command);
        } catch (CommandRejectedException e) {
            return new Outcome<>(aggregate, state, null, e, command);
        }
    }

    /**
     * What the aggregate decided, to be checked.
     *
     * @param <S> the state
     * @param <E> the events
     */
    public static final class Outcome<S, E extends Event> {
        private final Aggregate<S, ?, E> aggregate;
        private final S before;
        private final @Nullable List<E> events;
        private final @Nullable CommandRejectedException rejection;
        private final Command command;

        private Outcome(
                Aggregate<S, ?, E> aggregate,
                S before,
                @Nullable List<E> events,
                @Nullable CommandRejectedException rejection,
                Command command) {
            this.aggregate = aggregate;
            this.before = before;
            this.events = events;
            this.rejection = rejection;
            this.command = command;
        }

        /** Asserts the command produced exactly these events, in this order. */
        @SafeVarargs
        @SuppressWarnings("varargs")
        public final Outcome<S, E> thenEvents(E... expected) {
            accepted();
            if (!events.equals(Arrays.asList(expected))) {
                throw new AssertionError("for " + command + "\nexpected events: " + Arrays.asList(expected)
                        + "\n  but decided:     " + events);
            }
            return this;
        }

        /** Asserts the command was accepted but produced no event. */
        public Outcome<S, E> thenNothing() {
            accepted();
            if (!events.isEmpty()) {
                throw new AssertionError("for " + command + "\nexpected no event but decided: " + events);
            }
            return this;
        }

        /** Asserts the state after the new events equals {@code expected}. */
        public Outcome<S, E> thenState(S expected) {
            S after = stateAfter();
            if (!Objects.equals(after, expected)) {
                throw new AssertionError(
                        "for " + command + "\nexpected state: " + expected + "\n  but was:      " + after);
            }
            return this;
        }

        /** Runs {@code check} (assertions of your own) on the state after the new events. */
        public Outcome<S, E> thenState(Consumer<? super S> check) {
            check.accept(stateAfter());
            return this;
        }

        /** Asserts the command was rejected with this {@link CommandRejectedException#code()}. */
        public Outcome<S, E> thenRejected(String code) {
            if (rejection == null) {
                throw new AssertionError(
                        "for " + command + "\nexpected a rejection '" + code + "' but decided: " + events);
            }
            if (!rejection.code().equals(code)) {
                throw new AssertionError("for " + command + "\nexpected a rejection '" + code + "' but was '"
                        + rejection.code() + "': " + rejection.getMessage());
            }
            return this;
        }

        /** Asserts the rejection's message contains {@code text}. */
        public Outcome<S, E> withMessageContaining(String text) {
            if (rejection == null || !String.valueOf(rejection.getMessage()).contains(text)) {
                throw new AssertionError("for " + command + "\nexpected a rejection whose message "
                        + "contains '" + text + "' but was "
                        + (rejection == null ? "accepted" : "'" + rejection.getMessage() + "'"));
            }
            return this;
        }

        private void accepted() {
            if (rejection != null) {
                throw new AssertionError(
                        "for " + command + "\nexpected acceptance but was " + "rejected '" + rejection.code() + "': "
                                + rejection.getMessage(),
                        rejection);
            }
        }

        private S stateAfter() {
            accepted();
            return aggregate.fold(before, events);
        }
    }
}
