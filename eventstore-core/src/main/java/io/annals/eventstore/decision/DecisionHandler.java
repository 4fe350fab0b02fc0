package io.annals.eventstore.decision;

import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.AppendConditionFailedException;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Correlation;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Instrumentation;
import io.annals.eventstore.Instrumentation.CommandOutcome;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.internal.CommandContext;
import io.annals.eventstore.internal.Instrumented;
import io.annals.eventstore.internal.RetryBackOff;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The loop of one {@link Decision}: read the events of its models' queries (one read of their
 * union, page by page), fold the models, decide, and append the new events to their streams on the
 * condition that no event matching that union was stored after the last one read; when one was,
 * read again and decide again, a bounded number of times.
 *
 * <pre>{@code
 * DecisionHandler<Subscribe, CourseEvent> subscriptions =
 *         DecisionHandler.builder(SUBSCRIBE, store, codec).build();
 * DecisionResult<CourseEvent> r = subscriptions.handle(new Subscribe("maths", "ada"));
 * }</pre>
 *
 * <p>The {@link AppendCondition} is what makes the decision safe against every other writer
 * (threads, processes, machines): {@code store.append(parts, new AppendCondition(union,
 * lastPositionRead))}, the position being 0 when nothing was read. Events of other queries never
 * make it fail. A stream's own {@link ExpectedVersion} ({@code any()} unless the decision says
 * otherwise, see {@link DecidedEvent}) is checked too; a {@link WrongExpectedVersionException}
 * is handled like a failed condition, since the events read may have changed with it.
 *
 * <p>Retrying is safe because the decision is pure: after a conflict the command is decided again
 * on the new states, which may now reject it. A {@link CommandRejectedException} is never
 * retried and writes nothing. The first retry is immediate, later ones wait a little longer each
 * time, with jitter, as in {@link io.annals.eventstore.command.CommandHandler}.
 *
 * <p>Events are decoded with the codec; events of types it does not know, or retired, are
 * skipped, as projections skip them. Thread-safe: one handler serves any number of threads.
 *
 * @param <C> the commands
 * @param <E> the events
 */
public final class DecisionHandler<C, E extends Event> {

    /** Events read per page. */
    static final int PAGE_SIZE = 512;

    private final Decision<C, E> decision;
    private final EventStore store;
    private final EventCodec<E> codec;
    private final int maxAttempts;
    private final @Nullable String name;
    private final Instrumentation instrumentation;
    private final boolean eventIdsFromCommandId;

    private DecisionHandler(Builder<C, E> b) {
        this.decision = b.decision;
        this.store = b.store;
        this.codec = b.codec;
        this.maxAttempts = b.maxAttempts;
        this.name = b.name;
        this.instrumentation =
                Instrumented.guarded(b.instrumentation != null ? b.instrumentation : b.store.instrumentation());
        this.eventIdsFromCommandId = b.eventIdsFromCommandId;
    }

    /**
     * Starts building a handler.
     *
     * @param decision the rule
     * @param store where the events live
     * @param codec how the events are stored, and tagged
     * @throws NullPointerException if an argument is null
     */
    public static <C, E extends Event> Builder<C, E> builder(
            Decision<C, E> decision, EventStore store, EventCodec<E> codec) {
        return new Builder<>(decision, store, codec);
    }

    /**
     * Handles one command: decides it on the models' current states and appends the new events.
     *
     * @return the new events and where they landed; no event and position 0 when the decision
     *     was that there is nothing to do
     * @throws CommandRejectedException when the command breaks a rule; nothing is written
     * @throws AppendConditionFailedException when concurrent writers changed what the decision
     *     reads before every one of the attempts; nothing is written
     * @throws WrongExpectedVersionException when a stream's expectation failed at the last
     *     attempt; nothing is written
     * @throws IllegalStateException when a function of the decision breaks its contract (a null
     *     model, state or list, two expectations for one stream)
     * @throws EventStoreException when the store fails, or an event cannot be decoded
     */
    public DecisionResult<E> handle(C command) {
        return handle(command, Map.of());
    }

    /**
     * Handles one command, storing {@code metadata} (the user, the client...) with each new event.
     *
     * <p>Every event is also stamped with the ids of {@link Correlation}, as
     * {@link io.annals.eventstore.command.CommandHandler#handle(io.annals.eventstore.Command, Map)}
     * does. With {@link Builder#eventIdsFromCommandId}, a command id fixes the ids of the events:
     * the same command handled again and decided alike is recognised by the store and returns
     * the original positions; decided otherwise (on a state that now holds its own events), its
     * append fails with a {@link io.annals.eventstore.DuplicateEventIdException} rather than
     * storing it twice.
     *
     * @throws IllegalArgumentException if a key of {@code metadata} begins with {@code $} and is
     *     not one of the keys of {@link Correlation}, or one of their values breaks the rules of
     *     ids; nothing is written
     * @see #handle(Object)
     */
    public DecisionResult<E> handle(C command, Map<String, String> metadata) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(metadata, "metadata");
        CommandContext context = CommandContext.of(metadata);
        Instrumentation.Command observed = instrumentation.commandStarted(
                "decision", name != null ? name : command.getClass().getSimpleName());
        DecisionResult<E> result;
        try {
            result = decideAndAppend(command, context, observed);
        } catch (CommandRejectedException e) {
            observed.ended(CommandOutcome.REJECTED, 1);
            throw e;
        } catch (AppendConditionFailedException | WrongExpectedVersionException e) {
            observed.ended(CommandOutcome.CONFLICT, maxAttempts);
            throw e;
        } catch (RuntimeException | Error e) {
            observed.ended(CommandOutcome.ERROR, 1);
            throw e;
        }
        observed.ended(CommandOutcome.OK, result.attempts());
        return result;
    }

    private DecisionResult<E> decideAndAppend(C command, CommandContext context, Instrumentation.Command observed) {
        ModelFold<E> models = new ModelFold<>(decision.models(command));
        for (int attempt = 1; ; attempt++) {
            ModelFold.Folded read = models.read(store, codec, PAGE_SIZE);
            List<DecidedEvent<E>> decided = decided(decision.decide(read.states(), command), command);
            if (decided.isEmpty()) {
                return new DecisionResult<>(List.of(), Map.of(), 0, attempt);
            }
            List<StreamAppend> parts = appends(decided, context);
            List<AppendResult> results;
            try {
                results = store.append(parts, new AppendCondition(models.query(), read.position()));
            } catch (AppendConditionFailedException | WrongExpectedVersionException conflict) {
                observed.conflict(attempt < maxAttempts);
                if (attempt >= maxAttempts) {
                    throw conflict;
                }
                RetryBackOff.beforeRetry(attempt, "a decision");
                continue;
            }
            Map<String, AppendResult> streams = new LinkedHashMap<>();
            for (int i = 0; i < parts.size(); i++) {
                streams.put(parts.get(i).streamId(), results.get(i));
            }
            return new DecisionResult<>(
                    decided, streams, results.get(results.size() - 1).position(), attempt);
        }
    }

    /** The decided events as events of {@code E}; refuses a null list or event. */
    private List<DecidedEvent<E>> decided(@Nullable List<? extends DecidedEvent<? extends E>> decided, C command) {
        if (decided == null) {
            throw new IllegalStateException(
                    "the decision returned null for " + command + "; return an empty list when there is nothing to do");
        }
        List<DecidedEvent<E>> events = new ArrayList<>(decided.size());
        for (DecidedEvent<? extends E> d : decided) {
            if (d == null) {
                throw new IllegalStateException("the decision returned a null event for " + command);
            }
            events.add(DecidedEvent.widen(d));
        }
        return events;
    }

    /**
     * One part per stream, in the order of each stream's first event, each event encoded with
     * its codec tags plus its extra ones; a stream expects what one of its events states, or
     * {@code any()}.
     */
    private List<StreamAppend> appends(List<DecidedEvent<E>> decided, CommandContext context) {
        Map<String, ExpectedVersion> expected = new LinkedHashMap<>();
        Map<String, List<EventData>> events = new LinkedHashMap<>();
        int index = 0;
        for (DecidedEvent<E> d : decided) {
            ExpectedVersion stated = expected.getOrDefault(d.streamId(), ExpectedVersion.any());
            if (stated == ExpectedVersion.any()) {
                expected.put(d.streamId(), d.expected());
            } else if (d.expected() != ExpectedVersion.any() && !d.expected().equals(stated)) {
                throw new IllegalStateException("the decision expects stream " + d.streamId() + " to be both " + stated
                        + " and " + d.expected() + "; state one expectation per stream");
            }
            EventData data = context.stamp(codec.encode(d.event(), context.user()), index++, eventIdsFromCommandId);
            if (!d.extraTags().isEmpty()) {
                Set<String> tags = new TreeSet<>(data.tags());
                tags.addAll(d.extraTags());
                data = data.withTags(tags);
            }
            events.computeIfAbsent(d.streamId(), s -> new ArrayList<>()).add(data);
        }
        List<StreamAppend> parts = new ArrayList<>(events.size());
        events.forEach((streamId, data) -> parts.add(new StreamAppend(streamId, expected.get(streamId), data)));
        return parts;
    }

    /**
     * Builds a {@link DecisionHandler}.
     *
     * @param <C> the commands
     * @param <E> the events
     */
    public static final class Builder<C, E extends Event> {
        private final Decision<C, E> decision;
        private final EventStore store;
        private final EventCodec<E> codec;
        private int maxAttempts = 10;
        private @Nullable String name;
        private @Nullable Instrumentation instrumentation;
        private boolean eventIdsFromCommandId;

        private Builder(Decision<C, E> decision, EventStore store, EventCodec<E> codec) {
            this.decision = Objects.requireNonNull(decision, "decision");
            this.store = Objects.requireNonNull(store, "store");
            this.codec = Objects.requireNonNull(codec, "codec");
        }

        /**
         * How many times a command is decided before a conflict is given up on; default 10.
         *
         * @throws IllegalArgumentException if {@code n} is less than 1
         */
        public Builder<C, E> maxAttempts(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, was " + n);
            }
            this.maxAttempts = n;
            return this;
        }

        /**
         * The handler's name in what it reports to its {@link Instrumentation}: a few fixed words
         * ({@code "subscribe"}), never an id; by default the simple name of the command's class.
         *
         * @throws IllegalArgumentException if {@code name} is blank
         */
        public Builder<C, E> name(String name) {
            if (Objects.requireNonNull(name, "name").isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * What commands are reported to; by default the store's ({@link EventStore#instrumentation()}).
         */
        public Builder<C, E> instrumentation(Instrumentation instrumentation) {
            this.instrumentation = Objects.requireNonNull(instrumentation, "instrumentation");
            return this;
        }

        /**
         * Whether a command that carries an id ({@link Correlation#COMMAND_ID}) gets event ids
         * derived from it (a name-based UUID of the command id and the event's index in the
         * decision), rather than random ones; default false. See {@link DecisionHandler#handle(Object, Map)}.
         */
        public Builder<C, E> eventIdsFromCommandId(boolean derive) {
            this.eventIdsFromCommandId = derive;
            return this;
        }

        /** The handler. */
        public DecisionHandler<C, E> build() {
            return new DecisionHandler<>(this);
        }
    }
}
