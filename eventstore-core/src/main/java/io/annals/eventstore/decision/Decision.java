package io.annals.eventstore.decision;

import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Event;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * A rule that spans streams, as pure functions: for a command, the {@link DecisionModel}s it
 * needs (one to three small folds over queries), and {@code decide(states..., command)}, which
 * returns the new events, each with its stream, or throws {@link CommandRejectedException}.
 *
 * <pre>{@code
 * static final Decision<Subscribe, CourseEvent> SUBSCRIBE = Decision.of(
 *         c -> seatsLeft(c.courseId()),
 *         c -> subscriptionsOf(c.studentId()),
 *         (seats, subscriptions, c) -> {
 *             if (seats == 0) {
 *                 throw new CommandRejectedException("full", "course " + c.courseId() + " is full");
 *             }
 *             return List.of(DecidedEvent.to(
 *                     "subscription-" + c.courseId() + "-" + c.studentId(),
 *                     new StudentSubscribed(c.courseId(), c.studentId())));
 *         });
 * }</pre>
 *
 * <p>Like {@link io.annals.eventstore.Aggregate#decide}, the functions must be pure: no I/O, no
 * clock, no randomness. That is what lets the {@link DecisionHandler} decide again after a
 * concurrent change, and lets {@code DecisionFixture} test the rule without a database. More
 * than three facts are usually one fact too many for one decision; where they are not, fold
 * several into one model whose state is a record.
 *
 * @param <C> the commands
 * @param <E> the events
 */
public final class Decision<C, E extends Event> {

    /** The decide function on the states in the order of the models, whatever their types. */
    @FunctionalInterface
    interface Rule<C, E extends Event> {
        List<? extends DecidedEvent<? extends E>> decide(List<Object> states, C command);
    }

    private final List<Function<? super C, ? extends DecisionModel<?, E>>> models;
    private final Rule<C, E> rule;

    private Decision(List<Function<? super C, ? extends DecisionModel<?, E>>> models, Rule<C, E> rule) {
        this.models = List.copyOf(models);
        this.rule = rule;
    }

    /**
     * A decision on one fact.
     *
     * @param model the model the command needs
     * @param decide the rule
     * @throws NullPointerException if an argument is null
     */
    @SuppressWarnings("unchecked") // each state comes from the model at its index
    public static <C, E extends Event, A> Decision<C, E> of(
            Function<? super C, ? extends DecisionModel<A, E>> model, Decide1<A, C, E> decide) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(decide, "decide");
        return new Decision<>(List.of(model), (s, c) -> decide.decide((A) s.get(0), c));
    }

    /**
     * A decision on two facts.
     *
     * @param first the first model the command needs
     * @param second the second
     * @param decide the rule, given the states in the same order
     * @throws NullPointerException if an argument is null
     */
    @SuppressWarnings("unchecked") // each state comes from the model at its index
    public static <C, E extends Event, A, B> Decision<C, E> of(
            Function<? super C, ? extends DecisionModel<A, E>> first,
            Function<? super C, ? extends DecisionModel<B, E>> second,
            Decide2<A, B, C, E> decide) {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(second, "second");
        Objects.requireNonNull(decide, "decide");
        return new Decision<>(List.of(first, second), (s, c) -> decide.decide((A) s.get(0), (B) s.get(1), c));
    }

    /**
     * A decision on three facts.
     *
     * @param first the first model the command needs
     * @param second the second
     * @param third the third
     * @param decide the rule, given the states in the same order
     * @throws NullPointerException if an argument is null
     */
    @SuppressWarnings("unchecked") // each state comes from the model at its index
    public static <C, E extends Event, A, B, D> Decision<C, E> of(
            Function<? super C, ? extends DecisionModel<A, E>> first,
            Function<? super C, ? extends DecisionModel<B, E>> second,
            Function<? super C, ? extends DecisionModel<D, E>> third,
            Decide3<A, B, D, C, E> decide) {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(second, "second");
        Objects.requireNonNull(third, "third");
        Objects.requireNonNull(decide, "decide");
        return new Decision<>(
                List.of(first, second, third), (s, c) -> decide.decide((A) s.get(0), (B) s.get(1), (D) s.get(2), c));
    }

    /**
     * The models {@code command} needs, in order.
     *
     * @throws IllegalStateException if a model function returns null
     */
    List<DecisionModel<?, E>> models(C command) {
        return models.stream()
                .<DecisionModel<?, E>>map(f -> {
                    DecisionModel<?, E> model = f.apply(command);
                    if (model == null) {
                        throw new IllegalStateException(
                                "a model function of the decision returned null for " + command);
                    }
                    return model;
                })
                .toList();
    }

    /** Decides {@code command} on the states of {@link #models}, in the same order. */
    List<? extends DecidedEvent<? extends E>> decide(List<Object> states, C command) {
        return rule.decide(states, command);
    }

    /**
     * The rule of a decision on one fact.
     *
     * @param <A> the state of the model
     * @param <C> the commands
     * @param <E> the events
     */
    @FunctionalInterface
    public interface Decide1<A, C, E extends Event> {
        /**
         * Decides {@code command} on the model's state.
         *
         * @return the new events, each with its stream, oldest first; empty when there is nothing
         *     to do
         * @throws CommandRejectedException when the command breaks a rule
         */
        List<? extends DecidedEvent<? extends E>> decide(A state, C command);
    }

    /**
     * The rule of a decision on two facts.
     *
     * @param <A> the state of the first model
     * @param <B> the state of the second model
     * @param <C> the commands
     * @param <E> the events
     */
    @FunctionalInterface
    public interface Decide2<A, B, C, E extends Event> {
        /**
         * Decides {@code command} on the models' states.
         *
         * @return the new events, each with its stream, oldest first; empty when there is nothing
         *     to do
         * @throws CommandRejectedException when the command breaks a rule
         */
        List<? extends DecidedEvent<? extends E>> decide(A first, B second, C command);
    }

    /**
     * The rule of a decision on three facts.
     *
     * @param <A> the state of the first model
     * @param <B> the state of the second model
     * @param <D> the state of the third model
     * @param <C> the commands
     * @param <E> the events
     */
    @FunctionalInterface
    public interface Decide3<A, B, D, C, E extends Event> {
        /**
         * Decides {@code command} on the models' states.
         *
         * @return the new events, each with its stream, oldest first; empty when there is nothing
         *     to do
         * @throws CommandRejectedException when the command breaks a rule
         */
        List<? extends DecidedEvent<? extends E>> decide(A first, B second, D third, C command);
    }
}
