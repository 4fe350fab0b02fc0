package io.annals.eventstore.testing;

import io.annals.eventstore.AppendConditionFailedException;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.decision.DecidedEvent;
import io.annals.eventstore.decision.Decision;
import io.annals.eventstore.decision.DecisionHandler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Given / when / then tests for a {@link Decision}, with no database:
 *
 * <pre>{@code
 * DecisionFixture.of(SUBSCRIBE, codec)
 *         .given(new CourseDefined("maths", 1), new StudentSubscribed("maths", "ada"))
 *         .when(new Subscribe("maths", "bob"))
 *         .thenRejected("full");
 * }</pre>
 *
 * <p>The given events are encoded with the codec, so they carry the tags it computes, and stored
 * in an {@link InMemoryEventStore} of the fixture's own; the command then goes through a real
 * {@link DecisionHandler}. So the models see exactly the events their queries match, as they
 * would in a store, and the decided events are appended with their streams' expectations: a
 * decision that expects a new stream where a given event already is fails the test.
 *
 * <p>Failures are {@link AssertionError}s, so it works with any test framework.
 *
 * @param <C> the commands
 * @param <E> the events
 */
public final class DecisionFixture<C, E extends Event> {

    /** The stream of the given events for which the test names none. */
    public static final String GIVEN_STREAM = "given";

    private record Given<E>(String streamId, E event) {}

    private final Decision<C, E> decision;
    private final EventCodec<E> codec;
    private final List<Given<E>> history = new ArrayList<>();

    private DecisionFixture(Decision<C, E> decision, EventCodec<E> codec) {
        this.decision = Objects.requireNonNull(decision, "decision");
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    /** A fixture for {@code decision}, whose events {@code codec} encodes and tags, with no past events. */
    public static <C, E extends Event> DecisionFixture<C, E> of(Decision<C, E> decision, EventCodec<E> codec) {
        return new DecisionFixture<>(decision, codec);
    }

    /**
     * Past events, oldest first, added to those already given, in the stream {@value
     * #GIVEN_STREAM}: the models find events by their queries, whatever their streams.
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, never stored or exposed
    public final DecisionFixture<C, E> given(E... events) {
        return given(Arrays.asList(events));
    }

    /** Past events, oldest first, added to those already given, in the stream {@value #GIVEN_STREAM}. */
    public DecisionFixture<C, E> given(List<? extends E> events) {
        return givenIn(GIVEN_STREAM, events);
    }

    /**
     * Past events of the stream {@code streamId}, oldest first, added to those already given: for
     * decisions whose streams' expectations matter ({@code noStream()} on a stream that exists).
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only read, never stored or exposed
    public final DecisionFixture<C, E> givenIn(String streamId, E... events) {
        return givenIn(streamId, Arrays.asList(events));
    }

    /** Past events of the stream {@code streamId}, oldest first, added to those already given. */
    public DecisionFixture<C, E> givenIn(String streamId, List<? extends E> events) {
        Objects.requireNonNull(streamId, "streamId");
        for (E e : events) {
            history.add(new Given<>(streamId, Objects.requireNonNull(e, "a given event is null")));
        }
        return this;
    }

    /**
     * Decides {@code command} on the models folded from the given events, and appends what it
     * decided.
     *
     * @throws AssertionError if the decided events cannot be appended after the given ones (a
     *     stream's expectation fails)
     */
    public Outcome<E> when(C command) {
        Objects.requireNonNull(command, "command");
        try (InMemoryEventStore store = new InMemoryEventStore()) {
            for (Given<E> g : history) {
                EventData data = codec.encode(g.event());
                store.append(g.streamId(), ExpectedVersion.any(), List.of(data));
            }
            DecisionHandler<C, E> handler = DecisionHandler.builder(decision, store, codec)
                    .maxAttempts(1)
                    .build();
            try {
                return new Outcome<>(handler.handle(command).events(), null, command);
            } catch (CommandRejectedException e) {
                return new Outcome<>(null, e, command);
            } catch (WrongExpectedVersionException | AppendConditionFailedException e) {
                throw new AssertionError(
                        "for " + command + "\nthe decided events cannot be appended after the given ones: "
                                + e.getMessage(),
                        e);
            }
        }
    }

    /**
     * What the decision decided, to be checked.
     *
     * @param <E> the events
     */
    public static final class Outcome<E extends Event> {
        private final @Nullable List<DecidedEvent<E>> decided;
        private final @Nullable CommandRejectedException rejection;
        private final Object command;

        private Outcome(
                @Nullable List<DecidedEvent<E>> decided, @Nullable CommandRejectedException rejection, Object command) {
            this.decided = decided;
            this.rejection = rejection;
            this.command = command;
        }

        /** Asserts the command produced exactly these events, in this order, whatever their streams. */
        @SafeVarargs
        @SuppressWarnings("varargs")
        public final Outcome<E> thenEvents(E... expected) {
            List<E> events = accepted().stream().map(DecidedEvent::event).toList();
            if (!events.equals(Arrays.asList(expected))) {
                throw new AssertionError("for " + command + "\nexpected events: " + Arrays.asList(expected)
                        + "\n  but decided:     " + events);
            }
            return this;
        }

        /**
         * Asserts the command produced exactly these events, in this order, each to its stream with
         * its expectation and extra tags.
         */
        @SafeVarargs
        @SuppressWarnings("varargs")
        public final Outcome<E> thenDecided(DecidedEvent<? extends E>... expected) {
            List<DecidedEvent<E>> events = accepted();
            if (!events.equals(Arrays.asList(expected))) {
                throw new AssertionError(
                        "for " + command + "\nexpected: " + Arrays.asList(expected) + "\n  but decided: " + events);
            }
            return this;
        }

        /** Asserts the command was accepted but produced no event. */
        public Outcome<E> thenNothing() {
            List<DecidedEvent<E>> events = accepted();
            if (!events.isEmpty()) {
                throw new AssertionError("for " + command + "\nexpected no event but decided: " + events);
            }
            return this;
        }

        /** Asserts the command was rejected with this {@link CommandRejectedException#code()}. */
        public Outcome<E> thenRejected(String code) {
            if (rejection == null) {
                throw new AssertionError(
                        "for " + command + "\nexpected a rejection '" + code + "' but decided: " + decided);
            }
            if (!rejection.code().equals(code)) {
                throw new AssertionError("for " + command + "\nexpected a rejection '" + code + "' but was '"
                        + rejection.code() + "': " + rejection.getMessage());
            }
            return this;
        }

        /** Asserts the rejection's message contains {@code text}. */
        public Outcome<E> withMessageContaining(String text) {
            if (rejection == null || !String.valueOf(rejection.getMessage()).contains(text)) {
                throw new AssertionError("for " + command + "\nexpected a rejection whose message contains '" + text
                        + "' but was " + (rejection == null ? "accepted" : "'" + rejection.getMessage() + "'"));
            }
            return this;
        }

        private List<DecidedEvent<E>> accepted() {
            if (rejection != null) {
                throw new AssertionError(
                        "for " + command + "\nexpected acceptance but was rejected '" + rejection.code() + "': "
                                + rejection.getMessage(),
                        rejection);
            }
            return Objects.requireNonNull(decided);
        }
    }
}
