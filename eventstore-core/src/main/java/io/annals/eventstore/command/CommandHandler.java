package io.annals.eventstore.command;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.Command;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.internal.RetryBackOff;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.snapshot.SnapshotSettings;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The command loop of one aggregate type: load (latest snapshot plus the events after it),
 * decide, append with the loaded version, and on a concurrent change reload and decide again,
 * a bounded number of times.
 *
 * <pre>{@code
 * CommandHandler<Product, ProductCommand, ProductEvent> products =
 *         CommandHandler.builder(new ProductAggregate(), store, codec).build();
 * CommandResult<Product, ProductEvent> r = products.handle(new CreateProduct("42", "Tea", price));
 * }</pre>
 *
 * <p>Retrying is safe because {@link Aggregate#decide} is pure: after a
 * {@link WrongExpectedVersionException} the command is decided again on the new state, which may
 * now reject it. A {@link CommandRejectedException} is never retried.
 *
 * <p>Snapshots are a cache. A snapshot that cannot be read, has another schema version, or does
 * not match the stream is ignored and the aggregate is folded from its first event; a snapshot
 * that cannot be saved is logged (through {@link System.Logger}, which the application can route
 * to its logging library) and never fails the command, whose events are already stored.
 *
 * <p>Thread-safe: one handler serves any number of threads. Commands for the same aggregate
 * through the same handler run one at a time (commands for different aggregates run in
 * parallel): threads of one process never make each other retry, and a hot aggregate costs one
 * load and one append per command. Optimistic concurrency still guards against every other
 * writer: other handlers, other processes, other machines.
 *
 * @param <S> the state
 * @param <C> the commands
 * @param <E> the events
 */
public final class CommandHandler<S, C extends Command, E extends Event> {

    private static final System.Logger LOG = System.getLogger(CommandHandler.class.getName());

    /** Events read per page while loading. */
    static final int PAGE_SIZE = 512;

    private final Aggregate<S, C, E> aggregate;
    private final EventStore store;
    private final EventCodec<E> codec;
    private final @Nullable SnapshotSettings<S> snapshots;
    private final int maxAttempts;
    private final Clock clock;
    private final AggregateLocks locks = new AggregateLocks();

    private CommandHandler(Builder<S, C, E> b) {
        this.aggregate = b.aggregate;
        this.store = b.store;
        this.codec = b.codec;
        this.snapshots = b.snapshots;
        this.maxAttempts = b.maxAttempts;
        this.clock = b.clock;
    }

    /**
     * Starts building a handler.
     *
     * @param aggregate the domain
     * @param store where its events live
     * @param codec how its events are stored
     */
    public static <S, C extends Command, E extends Event> Builder<S, C, E> builder(
            Aggregate<S, C, E> aggregate, EventStore store, EventCodec<E> codec) {
        return new Builder<>(aggregate, store, codec);
    }

    /**
     * Handles one command: decides it on the current state and appends the resulting events.
     *
     * @return the new state, version and events; no event and position 0 when the aggregate
     *     decided there was nothing to do
     * @throws CommandRejectedException when the command breaks a rule; nothing is written
     * @throws WrongExpectedVersionException when concurrent writers won every one of the
     *     attempts; nothing is written
     * @throws EventStoreException when the store fails
     */
    public CommandResult<S, E> handle(C command) {
        return handle(command, Map.of());
    }

    /**
     * Handles one command, storing {@code metadata} (a correlation id, the user...) with each new
     * event.
     *
     * @see #handle(Command)
     */
    public CommandResult<S, E> handle(C command, Map<String, String> metadata) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(metadata, "metadata");
        String aggregateId = Objects.requireNonNull(command.aggregateId(), "aggregateId");
        return locks.inTurn(aggregateId, () -> decideAndAppend(command, metadata));
    }

    private CommandResult<S, E> decideAndAppend(C command, Map<String, String> metadata) {
        boolean trustSnapshot = true;
        for (int attempt = 1; ; attempt++) {
            Loaded<S> loaded = load(command.aggregateId(), trustSnapshot);
            List<E> events;
            S state;
            try {
                events = aggregate.decide(loaded.state().state(), command);
                if (events == null) {
                    throw new IllegalStateException(aggregate.getClass().getName() + ".decide returned null for "
                            + command + "; return an empty list when there is nothing to do");
                }
                // Before the append: once it commits, nothing may fail the command (a caller
                // told it failed would retry it, and store it twice).
                state = aggregate.fold(loaded.state().state(), events);
            } catch (CommandRejectedException rejected) {
                throw rejected;
            } catch (RuntimeException e) {
                if (loaded.snapshot().isEmpty()) {
                    throw e;
                }
                // The state came from a snapshot, which decided or evolved with an error: the
                // snapshot is a cache, so it goes, and the events decide.
                discard(loaded.snapshot().get(), "the aggregate failed on the state it holds: " + e);
                trustSnapshot = false;
                attempt--;
                continue;
            }
            AggregateState<S> before = loaded.state();
            if (events.isEmpty()) {
                return new CommandResult<>(before.streamId(), before.state(), before.version(), 0, List.of(), attempt);
            }
            List<EventData> data = new ArrayList<>(events.size());
            for (E e : events) {
                data.add(codec.encode(e, metadata));
            }
            AppendResult appended;
            try {
                appended = store.append(before.streamId(), ExpectedVersion.exactly(before.version()), data);
            } catch (WrongExpectedVersionException conflict) {
                if (attempt >= maxAttempts) {
                    throw conflict;
                }
                RetryBackOff.beforeRetry(attempt, "a command");
                continue;
            }
            maybeSnapshot(before, appended, state, data.get(data.size() - 1));
            return new CommandResult<>(
                    before.streamId(), state, appended.version(), appended.position(), events, attempt);
        }
    }

    /** An aggregate as loaded, and the snapshot it was loaded from, if any. */
    private record Loaded<S>(AggregateState<S> state, Optional<Snapshot> snapshot) {}

    /**
     * Loads an aggregate: its latest usable snapshot plus the events after it, or all its events.
     *
     * @param aggregateId the aggregate's id (not the stream id)
     * @return the state at the stream's current version; the initial state at version 0 for an
     *     aggregate with no event
     */
    public AggregateState<S> load(String aggregateId) {
        Objects.requireNonNull(aggregateId, "aggregateId");
        return load(aggregateId, true).state();
    }

    private Loaded<S> load(String aggregateId, boolean trustSnapshot) {
        String streamId = aggregate.streamId(aggregateId);
        if (trustSnapshot) {
            Optional<Loaded<S>> fromSnapshot = loadFromSnapshot(streamId);
            if (fromSnapshot.isPresent()) {
                return fromSnapshot.get();
            }
        }
        return new Loaded<>(foldFrom(streamId, aggregate.initialState(), 0), Optional.empty());
    }

    private AggregateState<S> foldFrom(String streamId, S state, long version) {
        S s = state;
        long v = version;
        while (true) {
            List<RecordedEvent> page = store.readStream(streamId, v + 1, PAGE_SIZE);
            for (RecordedEvent r : page) {
                if (!codec.isRetired(r.type())) {
                    s = aggregate.evolve(s, codec.decode(r).event());
                }
                v = r.version();
            }
            if (page.size() < PAGE_SIZE) {
                return new AggregateState<>(streamId, s, v);
            }
        }
    }

    /** The state from the snapshot and the events after it; empty without a usable snapshot. */
    private Optional<Loaded<S>> loadFromSnapshot(String streamId) {
        if (snapshots == null) {
            return Optional.empty();
        }
        Optional<Snapshot> found;
        try {
            found = snapshots.store().load(streamId);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, () -> "cannot load the snapshot of " + streamId + ", replaying its events: " + e, e);
            return Optional.empty();
        }
        if (found.isEmpty()
                || found.get().schemaVersion() != snapshots.schemaVersion()
                || !found.get().streamId().equals(streamId)) {
            return Optional.empty(); // none, or of another version of the state: replay
        }
        Snapshot snapshot = found.get();
        S state;
        try {
            state = snapshots.codec().deserialize(snapshot.state());
            if (state == null) {
                throw new IllegalStateException("the codec returned no state");
            }
        } catch (RuntimeException e) {
            discard(snapshot, "its state cannot be read: " + e);
            return Optional.empty();
        }
        // The snapshot must end at an event of this very history; a snapshot left over from a
        // restored or rebuilt database would otherwise silently give a wrong state. The event at
        // the snapshot's version is read with the events after it: one query.
        List<RecordedEvent> page = store.readStream(streamId, snapshot.version(), PAGE_SIZE);
        if (page.isEmpty() || !page.get(0).eventId().equals(snapshot.lastEventId())) {
            discard(
                    snapshot,
                    "the stream holds no event " + snapshot.lastEventId() + " at version " + snapshot.version());
            return Optional.empty();
        }
        S s = state;
        try {
            for (RecordedEvent r : page.subList(1, page.size())) {
                if (!codec.isRetired(r.type())) {
                    s = aggregate.evolve(s, codec.decode(r).event());
                }
            }
        } catch (EventStoreException e) {
            throw e; // an event that cannot be decoded fails a replay the same way
        } catch (RuntimeException e) {
            discard(snapshot, "the aggregate failed on the state it holds: " + e);
            return Optional.empty();
        }
        long version = page.get(page.size() - 1).version();
        AggregateState<S> loaded =
                page.size() < PAGE_SIZE ? new AggregateState<>(streamId, s, version) : foldFrom(streamId, s, version);
        return Optional.of(new Loaded<>(loaded, Optional.of(snapshot)));
    }

    /**
     * Removes a snapshot that misled, so that it is neither tried (and logged) again nor keeps
     * newer snapshots out; the aggregate is replayed from its events instead.
     */
    private void discard(Snapshot snapshot, String why) {
        LOG.log(
                Level.WARNING,
                () -> "discarding the snapshot of " + snapshot.streamId() + " at version " + snapshot.version() + " ("
                        + why + "); replaying its events instead");
        try {
            snapshots.store().discard(snapshot);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, () -> "could not discard the snapshot of " + snapshot.streamId() + ": " + e, e);
        }
    }

    private void maybeSnapshot(AggregateState<S> before, AppendResult appended, S state, EventData last) {
        if (snapshots == null || !snapshots.policy().shouldSnapshot(before.version(), appended.version())) {
            return;
        }
        try {
            snapshots
                    .store()
                    .save(new Snapshot(
                            before.streamId(),
                            appended.version(),
                            last.eventId(),
                            snapshots.schemaVersion(),
                            snapshots.codec().serialize(state),
                            clock.instant()));
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    () -> "could not save the snapshot of " + before.streamId() + " at version " + appended.version()
                            + " (the events are stored): " + e,
                    e);
        }
    }

    /**
     * Builds a {@link CommandHandler}.
     *
     * @param <S> the state
     * @param <C> the commands
     * @param <E> the events
     */
    public static final class Builder<S, C extends Command, E extends Event> {
        private final Aggregate<S, C, E> aggregate;
        private final EventStore store;
        private final EventCodec<E> codec;
        private @Nullable SnapshotSettings<S> snapshots;
        private int maxAttempts = 10;
        private Clock clock = Clock.systemUTC();

        private Builder(Aggregate<S, C, E> aggregate, EventStore store, EventCodec<E> codec) {
            this.aggregate = Objects.requireNonNull(aggregate, "aggregate");
            this.store = Objects.requireNonNull(store, "store");
            this.codec = Objects.requireNonNull(codec, "codec");
        }

        /** Takes and uses snapshots as {@code settings} say; by default there are none. */
        public Builder<S, C, E> snapshots(SnapshotSettings<S> settings) {
            this.snapshots = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * How many times a command is decided before a conflict is given up on; default 10.
         *
         * @throws IllegalArgumentException if {@code n} is less than 1
         */
        public Builder<S, C, E> maxAttempts(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, was " + n);
            }
            this.maxAttempts = n;
            return this;
        }

        /** Where a snapshot's {@code takenAt} comes from; default the UTC system clock. */
        public Builder<S, C, E> clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The handler. */
        public CommandHandler<S, C, E> build() {
            return new CommandHandler<>(this);
        }
    }
}
