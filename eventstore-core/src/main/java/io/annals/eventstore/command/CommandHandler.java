package io.annals.eventstore.command;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.Command;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Correlation;
import io.annals.eventstore.DuplicateEventIdException;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Instrumentation;
import io.annals.eventstore.Instrumentation.CommandOutcome;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.internal.CommandContext;
import io.annals.eventstore.internal.Instrumented;
import io.annals.eventstore.internal.RetryBackOff;
import io.annals.eventstore.internal.TruncationChecks;
import io.annals.eventstore.internal.WriteScope;
import io.annals.eventstore.snapshot.PinnedSnapshotException;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.snapshot.SnapshotSettings;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
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
 * <p>Snapshots are a cache. A snapshot that cannot be read, has another schema version (that the
 * settings' {@link io.annals.eventstore.snapshot.SnapshotUpcaster} does not read), or does not
 * match the stream is ignored and the aggregate is folded from its first event; a snapshot that
 * cannot be saved is logged (through {@link System.Logger}, which the application can route to
 * its logging library) and never fails the command, whose events are already stored.
 *
 * <p>A stream truncated by {@link #truncate} is folded from its pinned snapshot instead of its
 * first event, and never from the first event left after the cut: a handler that cannot read the
 * pinned snapshot refuses to load the stream ({@link PinnedSnapshotException}).
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
    private final Instrumentation instrumentation;
    private final boolean eventIdsFromCommandId;
    private final AggregateLocks locks = new AggregateLocks();
    private final @Nullable AggregateCache<S> cache;

    private CommandHandler(Builder<S, C, E> b) {
        this.aggregate = b.aggregate;
        this.store = b.store;
        this.codec = b.codec;
        this.snapshots = b.snapshots;
        this.maxAttempts = b.maxAttempts;
        this.clock = b.clock;
        this.instrumentation =
                Instrumented.guarded(b.instrumentation != null ? b.instrumentation : b.store.instrumentation());
        this.eventIdsFromCommandId = b.eventIdsFromCommandId;
        this.cache = b.cachedAggregates > 0 ? new AggregateCache<>(b.cachedAggregates) : null;
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
     * Handles one command, storing {@code metadata} (the user, the client...) with each new event.
     *
     * <p>Every event is also stamped with the ids of {@link Correlation}: {@code metadata} may
     * give the command's id ({@link Correlation#COMMAND_ID}), the conversation's
     * ({@link Correlation#CORRELATION_ID}) and the cause of the command
     * ({@link Correlation#CAUSATION_ID}, see {@link Correlation#causedBy}); what it does not give
     * is made up. With {@link Builder#eventIdsFromCommandId}, a command id also fixes the ids of
     * the events, so that the same command handled again is recognised and not stored twice.
     *
     * @throws IllegalArgumentException if a key of {@code metadata} begins with {@code $} and is
     *     not one of those three, or one of their values is blank, longer than 200 characters or
     *     holds control characters; nothing is written
     * @see #handle(Command)
     */
    public CommandResult<S, E> handle(C command, Map<String, String> metadata) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(metadata, "metadata");
        String aggregateId = Objects.requireNonNull(command.aggregateId(), "aggregateId");
        CommandContext context = CommandContext.of(metadata);
        Instrumentation.Command observed = instrumentation.commandStarted("aggregate", aggregate.category());
        CommandResult<S, E> result;
        try {
            result = locks.inTurn(aggregateId, () -> decideAndAppend(command, context, observed));
        } catch (CommandRejectedException e) {
            observed.ended(CommandOutcome.REJECTED, 1);
            throw e;
        } catch (WrongExpectedVersionException e) {
            observed.ended(CommandOutcome.CONFLICT, maxAttempts);
            throw e;
        } catch (RuntimeException | Error e) {
            observed.ended(CommandOutcome.ERROR, 1);
            throw e;
        }
        observed.ended(result.repeated() ? CommandOutcome.REPEATED : CommandOutcome.OK, result.attempts());
        return result;
    }

    private CommandResult<S, E> decideAndAppend(C command, CommandContext context, Instrumentation.Command observed) {
        boolean trustSnapshot = true;
        boolean recognisable = eventIdsFromCommandId && context.commandId().isPresent();
        // Not in a projection's batch: its appends commit with the batch, or roll back with it.
        AggregateCache<S> cache = WriteScope.held() ? null : this.cache;
        String streamId = aggregate.streamId(command.aggregateId());
        for (int attempt = 1; ; attempt++) {
            AggregateState<S> cached = cache == null ? null : cache.get(streamId);
            Loaded<S> loaded;
            if (cached != null) {
                loaded = new Loaded<>(cached, Optional.empty());
            } else {
                loaded = load(command.aggregateId(), trustSnapshot);
                if (cache != null) {
                    cache.put(loaded.state());
                }
            }
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
                if (cached != null) { // perhaps on a stale state: decided again on a fresh load
                    cache.remove(streamId);
                    attempt--;
                    continue;
                }
                if (recognisable) {
                    // decided on a state that may already hold this very command's events
                    Optional<CommandResult<S, E>> repeat = repeat(loaded.state().streamId(), context);
                    if (repeat.isPresent()) {
                        return repeat.get();
                    }
                }
                throw rejected;
            } catch (RuntimeException e) {
                if (cached != null) {
                    cache.remove(streamId);
                    attempt--;
                    continue;
                }
                if (cache != null) {
                    cache.remove(streamId);
                }
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
            if (events.isEmpty() && cached != null) { // nothing to do on a state that may be stale
                cache.remove(streamId);
                attempt--;
                continue;
            }
            if (events.isEmpty()) {
                if (recognisable) {
                    Optional<CommandResult<S, E>> repeat = repeat(before.streamId(), context);
                    if (repeat.isPresent()) {
                        return repeat.get();
                    }
                }
                return new CommandResult<>(before.streamId(), before.state(), before.version(), 0, List.of(), attempt);
            }
            List<EventData> data = new ArrayList<>(events.size());
            for (int i = 0; i < events.size(); i++) {
                data.add(context.stamp(codec.encode(events.get(i), context.user()), i, eventIdsFromCommandId));
            }
            AppendResult appended;
            try {
                appended = store.append(before.streamId(), ExpectedVersion.exactly(before.version()), data);
            } catch (WrongExpectedVersionException conflict) {
                if (cache != null) {
                    cache.remove(streamId);
                }
                if (cached != null) { // the cached state was stale: not a conflict of this command's
                    attempt--;
                    continue;
                }
                observed.conflict(attempt < maxAttempts);
                if (attempt >= maxAttempts) {
                    throw conflict;
                }
                RetryBackOff.beforeRetry(attempt, "a command");
                continue;
            } catch (DuplicateEventIdException duplicate) {
                if (cached != null) {
                    cache.remove(streamId);
                    attempt--;
                    continue;
                }
                if (recognisable) {
                    // this command's ids are stored already, before the version it was decided at
                    Optional<CommandResult<S, E>> repeat = repeat(before.streamId(), context);
                    if (repeat.isPresent()) {
                        return repeat.get();
                    }
                }
                throw duplicate;
            } catch (RuntimeException e) {
                if (cache != null) {
                    cache.remove(streamId);
                }
                throw e;
            }
            if (cache != null) {
                cache.put(new AggregateState<>(before.streamId(), state, appended.version()));
            }
            maybeSnapshot(before, appended, state, data.get(data.size() - 1));
            return new CommandResult<>(
                    before.streamId(), state, appended.version(), appended.position(), events, attempt);
        }
    }

    /** The states kept by {@link Builder#cacheAggregates}, if any. */
    @Nullable
    AggregateCache<S> cache() {
        return cache;
    }

    /**
     * The result of an earlier handling of the command whose id {@code context} holds, when its
     * events are stored in {@code streamId}: the state just after them, their version and
     * position, and the events. Reads the stream from its start (twice when found): the price
     * of a command that can no longer be decided as it was (rejected, or deciding other events)
     * because it was handled already.
     */
    private Optional<CommandResult<S, E>> repeat(String streamId, CommandContext context) {
        UUID first = CommandContext.eventId(context.commandId().orElseThrow(), 0);
        long start = 0;
        for (long v = 1; start == 0; ) {
            List<RecordedEvent> page = store.readStream(streamId, v, PAGE_SIZE);
            for (RecordedEvent r : page) {
                if (r.eventId().equals(first)) {
                    start = r.version();
                    break;
                }
            }
            if (page.size() < PAGE_SIZE) {
                break;
            }
            v = page.get(page.size() - 1).version() + 1;
        }
        if (start == 0) {
            return Optional.empty();
        }
        // the state before the command's events: from the stream's first event, or from its
        // pinned snapshot when it was truncated
        Optional<AggregateState<S>> before = replay(streamId, start - 1);
        if (before.isEmpty()) {
            return Optional.empty(); // truncated past the command's first event meanwhile
        }
        S s = before.get().state();
        List<E> events = new ArrayList<>();
        RecordedEvent last = null;
        for (long v = start; ; ) {
            List<RecordedEvent> page = store.readStream(streamId, v, PAGE_SIZE);
            for (RecordedEvent r : page) {
                boolean ours = r.version() >= start
                        && r.eventId()
                                .equals(CommandContext.eventId(
                                        context.commandId().get(), (int) (r.version() - start)));
                if (!ours) {
                    return last == null ? Optional.empty() : Optional.of(repeated(streamId, s, last, events));
                }
                if (!codec.isRetired(r.type())) {
                    E e = codec.decode(r).event();
                    s = aggregate.evolve(s, e);
                    events.add(e);
                }
                last = r;
            }
            if (page.size() < PAGE_SIZE) {
                return last == null ? Optional.empty() : Optional.of(repeated(streamId, s, last, events));
            }
            v = page.get(page.size() - 1).version() + 1;
        }
    }

    private CommandResult<S, E> repeated(String streamId, S state, @Nullable RecordedEvent last, List<E> events) {
        RecordedEvent end = Objects.requireNonNull(last, "the first event was found");
        return new CommandResult<>(streamId, state, end.version(), end.position(), List.copyOf(events), 1, true);
    }

    /**
     * Truncates the aggregate's stream before {@code beforeVersion}: folds the state at version
     * {@code beforeVersion - 1} (from the stream's start, or its pinned snapshot), serialises it
     * with the codec and schema version of the handler's {@link SnapshotSettings}, and has the
     * store remove the events before the cut and pin that state, in one transaction
     * ({@link EventStore#truncateStream}). Loading the aggregate afterwards starts from the pinned
     * state, and gives the same state as before.
     *
     * <p>The state is read back with the codec before it is pinned, so that a state the codec
     * cannot read is never the only record of the stream's start. Commands of this handler for
     * the same aggregate wait for the truncation; other writers need not (appends land above the
     * cut).
     *
     * @param aggregateId the aggregate's id (not the stream id)
     * @param beforeVersion the first version kept: from 2 to the stream's current version (its
     *     last event always stays)
     * @return how many events were removed; 0 when the stream was truncated at or after
     *     {@code beforeVersion} already
     * @throws IllegalStateException if the handler has no snapshot settings, or its codec cannot
     *     read back the state it wrote; nothing is written
     * @throws IllegalArgumentException if the stream does not exist or {@code beforeVersion} is out
     *     of range; nothing is written
     * @throws io.annals.eventstore.StreamDeletedException if the stream was deleted
     * @throws PinnedSnapshotException if the stream was truncated before and its pinned snapshot
     *     cannot be read
     * @throws UnsupportedOperationException if the store cannot truncate
     * @throws EventStoreException if the store fails; nothing is written
     */
    public long truncate(String aggregateId, long beforeVersion) {
        Objects.requireNonNull(aggregateId, "aggregateId");
        String streamId = aggregate.streamId(aggregateId);
        SnapshotSettings<S> settings = snapshots;
        if (settings == null) {
            throw new IllegalStateException("cannot truncate stream " + streamId + ": this handler has no snapshot"
                    + " settings (CommandHandler.Builder.snapshots), whose codec would pin the state at the cut");
        }
        if (beforeVersion < 2) {
            throw new IllegalArgumentException("cannot truncate stream " + streamId + " before version " + beforeVersion
                    + ": beforeVersion is the first version kept, at least 2 (there is nothing before version 1)");
        }
        return locks.inTurn(aggregateId, () -> {
            TruncationChecks.checkCut(streamId, beforeVersion, store.currentVersion(streamId));
            Optional<Snapshot> pinned = store.pinnedSnapshot(streamId);
            if (pinned.isPresent() && beforeVersion <= pinned.get().version() + 1) {
                return 0L; // truncated there, or further, already
            }
            long last = beforeVersion - 1;
            Optional<AggregateState<S>> at = replay(streamId, last);
            List<RecordedEvent> lastEvent = store.readStream(streamId, last, 1);
            if (at.isEmpty()
                    || at.get().version() != last
                    || lastEvent.isEmpty()
                    || lastEvent.get(0).version() != last) {
                return 0L; // truncated past the cut meanwhile
            }
            String text = settings.codec().serialize(at.get().state());
            try {
                if (settings.codec().deserialize(text) == null) {
                    throw new IllegalStateException("the codec returned no state");
                }
            } catch (RuntimeException e) {
                throw new IllegalStateException(
                        "cannot truncate stream " + streamId + " before version " + beforeVersion
                                + ": the snapshot codec cannot read back the state it wrote, which would be the only"
                                + " record of the stream's start: " + e,
                        e);
            }
            return store.truncateStream(
                    streamId,
                    beforeVersion,
                    new Snapshot(
                            streamId,
                            last,
                            lastEvent.get(0).eventId(),
                            settings.schemaVersion(),
                            text,
                            clock.instant()));
        });
    }

    /** An aggregate as loaded, and the snapshot it was loaded from, if any. */
    private record Loaded<S>(AggregateState<S> state, Optional<Snapshot> snapshot) {}

    /**
     * Loads an aggregate: its latest usable snapshot plus the events after it, or all its events
     * (after the pinned snapshot, when the stream was truncated).
     *
     * @param aggregateId the aggregate's id (not the stream id)
     * @return the state at the stream's current version; the initial state at version 0 for an
     *     aggregate with no event
     * @throws PinnedSnapshotException if the stream was truncated and its pinned snapshot cannot
     *     be read
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
        return new Loaded<>(replay(streamId, Long.MAX_VALUE).orElseThrow(), Optional.empty());
    }

    /** How many times a load follows truncations that move the stream's start under it. */
    private static final int TRUNCATED_MEANWHILE_ATTEMPTS = 5;

    /**
     * Folds a stream from its start up to {@code upTo} (inclusive): from its first event, or,
     * once it was truncated, from its pinned snapshot and the events after it. Never from the
     * first event left after a cut: that would be a wrong state.
     *
     * @return empty when the stream was truncated after {@code upTo}, so that the state there is
     *     gone; never empty for {@code Long.MAX_VALUE}
     * @throws PinnedSnapshotException if the stream was truncated and its pinned snapshot cannot
     *     be read
     */
    private Optional<AggregateState<S>> replay(String streamId, long upTo) {
        for (int attempt = 1; ; attempt++) {
            Optional<AggregateState<S>> all = foldFrom(streamId, aggregate.initialState(), 0, upTo);
            if (all.isPresent()) {
                return all;
            }
            // the stream does not begin at version 1: it was truncated
            Optional<Snapshot> pinned = store.pinnedSnapshot(streamId);
            if (pinned.isEmpty()) {
                throw new EventStoreException("cannot load stream " + streamId + ": it does not begin at version 1,"
                        + " and the store (" + store.getClass().getName() + ") holds no pinned snapshot of the state"
                        + " before its first event");
            }
            Snapshot pin = pinned.get();
            if (pin.version() > upTo) {
                return Optional.empty();
            }
            S state = readPinned(pin);
            Optional<AggregateState<S>> rest = foldFrom(streamId, state, pin.version(), upTo);
            if (rest.isPresent()) {
                return rest;
            }
            if (attempt >= TRUNCATED_MEANWHILE_ATTEMPTS) {
                throw new EventStoreException("cannot load stream " + streamId + ": it was truncated again while it"
                        + " was read, " + attempt + " times");
            }
        }
    }

    /**
     * The state of a pinned snapshot, through the upcaster when it is of another schema version.
     *
     * @throws PinnedSnapshotException if it cannot be read
     */
    private S readPinned(Snapshot pin) {
        if (snapshots == null) {
            throw new PinnedSnapshotException(
                    pin,
                    -1,
                    "this handler has no snapshot settings (CommandHandler.Builder.snapshots) to read it",
                    null);
        }
        String text = pin.state();
        if (pin.schemaVersion() != snapshots.schemaVersion()) {
            Optional<String> upcast;
            try {
                upcast = snapshots.upcaster().upcast(pin.schemaVersion(), text);
            } catch (RuntimeException e) {
                throw new PinnedSnapshotException(pin, snapshots.schemaVersion(), "the upcaster failed: " + e, e);
            }
            if (upcast == null || upcast.isEmpty()) {
                throw new PinnedSnapshotException(
                        pin,
                        snapshots.schemaVersion(),
                        "no upcaster reads schema version " + pin.schemaVersion() + " (SnapshotSettings.withUpcaster)",
                        null);
            }
            text = upcast.get();
        }
        try {
            S state = snapshots.codec().deserialize(text);
            if (state == null) {
                throw new IllegalStateException("the codec returned no state");
            }
            return state;
        } catch (RuntimeException e) {
            throw new PinnedSnapshotException(pin, snapshots.schemaVersion(), "the codec cannot read it: " + e, e);
        }
    }

    /**
     * Folds the events after {@code version} onto {@code state}, up to {@code upTo} (inclusive).
     *
     * @return empty when the stream does not go on at {@code version + 1}: it was truncated after
     *     {@code version}
     */
    private Optional<AggregateState<S>> foldFrom(String streamId, S state, long version, long upTo) {
        S s = state;
        long v = version;
        while (v < upTo) {
            List<RecordedEvent> page = store.readStream(streamId, v + 1, (int) Math.min(PAGE_SIZE, upTo - v));
            if (!page.isEmpty() && page.get(0).version() != v + 1) {
                return Optional.empty();
            }
            for (RecordedEvent r : page) {
                if (!codec.isRetired(r.type())) {
                    s = aggregate.evolve(s, codec.decode(r).event());
                }
                v = r.version();
            }
            if (page.size() < PAGE_SIZE) {
                break;
            }
        }
        return Optional.of(new AggregateState<>(streamId, s, v));
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
        if (found.isEmpty() || !found.get().streamId().equals(streamId)) {
            return Optional.empty();
        }
        Snapshot snapshot = found.get();
        String text = snapshot.state();
        if (snapshot.schemaVersion() != snapshots.schemaVersion()) {
            Optional<String> upcast;
            try {
                upcast = snapshots.upcaster().upcast(snapshot.schemaVersion(), text);
            } catch (RuntimeException e) {
                discard(snapshot, "the upcaster failed on it: " + e);
                return Optional.empty();
            }
            if (upcast == null || upcast.isEmpty()) {
                return Optional.empty(); // of another version of the state, which nothing reads: replay
            }
            text = upcast.get();
        }
        S state;
        try {
            state = snapshots.codec().deserialize(text);
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
        Optional<AggregateState<S>> loaded = page.size() < PAGE_SIZE
                ? Optional.of(new AggregateState<>(streamId, s, version))
                : foldFrom(streamId, s, version, Long.MAX_VALUE);
        // empty when truncated past the snapshot while it was read: the pinned snapshot decides
        return loaded.map(folded -> new Loaded<>(folded, Optional.of(snapshot)));
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
        private @Nullable Instrumentation instrumentation;
        private boolean eventIdsFromCommandId;
        private int cachedAggregates;

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

        /**
         * What commands are reported to; by default the store's ({@link EventStore#instrumentation()}).
         */
        public Builder<S, C, E> instrumentation(Instrumentation instrumentation) {
            this.instrumentation = Objects.requireNonNull(instrumentation, "instrumentation");
            return this;
        }

        /**
         * Whether a command that carries an id ({@link Correlation#COMMAND_ID} in the metadata of
         * {@link CommandHandler#handle(Command, Map)}) gets event ids derived from it (a
         * name-based UUID of the command id and the event's index), rather than random ones;
         * default false. A client that retries a command with the same id after losing the
         * answer then gets the original result ({@link CommandResult#repeated()}) and nothing is
         * stored twice. A command id must then name one command only: two commands given the
         * same id are one command. Commands without an id get random event ids.
         */
        public Builder<S, C, E> eventIdsFromCommandId(boolean derive) {
            this.eventIdsFromCommandId = derive;
            return this;
        }

        /**
         * Keeps the states of up to {@code aggregates} recently handled aggregates in memory, and
         * decides their next commands on them without reading the store; default 0, none. Opt in
         * for aggregates that take commands often, from this handler mostly.
         *
         * <p>A kept state is never trusted further than the store allows: the append carries its
         * version as the expected one, so when another writer (another handler, process or
         * machine) moved the stream, the append is refused, the aggregate is loaded again and the
         * command decided again on what is stored (without counting as a conflict). A command
         * rejected, or deciding nothing, on a kept state is decided again on a fresh load before
         * the answer is given, so a stale state never rejects a command the stored one accepts.
         * The answers are those of a handler without the cache; only the reads are saved.
         *
         * <p>States must not change once made ({@link Aggregate#evolve} returns a new state rather
         * than changing the one it is given), since the one kept is the one the next command is
         * decided on. Commands handled inside a projection's batch (a process manager) never use
         * it: their appends commit or roll back with the batch. Each entry holds one state; the
         * least recently used goes first.
         *
         * @throws IllegalArgumentException if {@code aggregates} is negative
         */
        public Builder<S, C, E> cacheAggregates(int aggregates) {
            if (aggregates < 0) {
                throw new IllegalArgumentException("cacheAggregates must be 0 or more, was " + aggregates);
            }
            this.cachedAggregates = aggregates;
            return this;
        }

        /** The handler. */
        public CommandHandler<S, C, E> build() {
            return new CommandHandler<>(this);
        }
    }
}
