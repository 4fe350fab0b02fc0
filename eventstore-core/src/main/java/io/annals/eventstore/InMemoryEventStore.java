package io.annals.eventstore;

import io.annals.eventstore.internal.AppendChecks;
import io.annals.eventstore.internal.AppendListeners;
import io.annals.eventstore.internal.EventIds;
import io.annals.eventstore.internal.Idempotency;
import io.annals.eventstore.internal.Instrumented;
import io.annals.eventstore.internal.TruncationChecks;
import io.annals.eventstore.snapshot.Snapshot;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;

/**
 * An event store in memory: for tests, prototypes and the command loop's unit tests. It meets the
 * whole {@link EventStore} contract, except that nothing survives the JVM.
 */
public final class InMemoryEventStore implements EventStore {

    /** The store's kind, for {@link Instrumentation}. */
    private static final String KIND = "memory";

    private final Clock clock;
    private final AppendLimits limits;
    private final Instrumentation instrumentation;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    /** The log by position; positions are handed out from 1 and never reused. */
    private final NavigableMap<Long, RecordedEvent> log = new TreeMap<>();

    private long lastPosition;
    private final Map<String, StreamEvents> streams = new HashMap<>();
    private final Map<UUID, RecordedEvent> byId = new HashMap<>();
    /** The tombstone of each deleted stream. */
    private final Map<String, RecordedEvent> deleted = new HashMap<>();
    /** The ids of removed events, reserved for ever. */
    private final Map<UUID, RecordedEvent> removed = new HashMap<>();
    /** The pinned snapshot of each truncated stream. */
    private final Map<String, Snapshot> pins = new HashMap<>();

    /** The events a stream holds: all of them, or those from its cut on once it was truncated. */
    private static final class StreamEvents {
        /** The version of the first event held: 1 unless the stream was truncated. */
        long first = 1;

        final List<RecordedEvent> events = new ArrayList<>();

        /** The version of the stream's last event, 0 for a stream without events. */
        long version() {
            return first - 1 + events.size();
        }
    }

    private final AppendListeners listeners = new AppendListeners();

    /** A store on the UTC system clock with the default limits. */
    public InMemoryEventStore() {
        this(Clock.systemUTC(), AppendLimits.defaults());
    }

    /**
     * @param clock where {@code recordedAt} comes from
     * @param limits the limits checked at each append
     */
    public InMemoryEventStore(Clock clock, AppendLimits limits) {
        this(clock, limits, Instrumentation.none());
    }

    /**
     * @param clock where {@code recordedAt} comes from
     * @param limits the limits checked at each append
     * @param instrumentation what appends are reported to, and what the handlers and runners
     *     built on this store report to by default
     */
    public InMemoryEventStore(Clock clock, AppendLimits limits, Instrumentation instrumentation) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.instrumentation = Objects.requireNonNull(instrumentation, "instrumentation");
    }

    @Override
    public Instrumentation instrumentation() {
        return instrumentation;
    }

    @Override
    public AppendResult append(String streamId, ExpectedVersion expected, List<EventData> events) {
        return Instrumented.append(instrumentation, KIND, events == null ? 0 : events.size(), () -> {
            AppendChecks.checkAppend(limits, streamId, expected, events);
            return appendAll(List.of(new StreamAppend(streamId, expected, events)), null)
                    .get(0);
        });
    }

    /** Adds one event at the end of {@code stream} and of the log; under the write lock. */
    private RecordedEvent store(String streamId, StreamEvents stream, EventData e, Instant now) {
        RecordedEvent r = new RecordedEvent(
                streamId,
                stream.version() + 1,
                ++lastPosition,
                e.eventId(),
                e.type(),
                e.json(),
                e.metadata(),
                now,
                e.tags());
        stream.events.add(r);
        log.put(r.position(), r);
        byId.put(r.eventId(), r);
        return r;
    }

    @Override
    public List<AppendResult> append(List<StreamAppend> appends) {
        return Instrumented.append(instrumentation, KIND, Instrumented.events(appends), () -> {
            AppendChecks.checkAppends(limits, appends);
            return appendAll(appends, null);
        });
    }

    @Override
    public List<AppendResult> append(List<StreamAppend> appends, AppendCondition condition) {
        return Instrumented.append(instrumentation, KIND, Instrumented.events(appends), () -> {
            AppendChecks.checkAppends(limits, appends);
            Objects.requireNonNull(condition, "condition");
            return appendAll(appends, condition);
        });
    }

    private List<AppendResult> appendAll(List<StreamAppend> appends, @Nullable AppendCondition condition) {
        List<AppendResult> results = new ArrayList<>(appends.size());
        lock.writeLock().lock();
        try {
            Map<UUID, Idempotency.StoredId> found = new HashMap<>();
            for (StreamAppend part : appends) {
                for (EventData e : part.events()) {
                    RecordedEvent gone = removed.get(e.eventId());
                    if (gone != null) {
                        throw reserved(part.streamId(), gone);
                    }
                    RecordedEvent r = byId.get(e.eventId());
                    if (r != null) {
                        found.put(
                                r.eventId(),
                                new Idempotency.StoredId(r.eventId(), r.streamId(), r.version(), r.position()));
                    }
                }
            }
            Optional<List<AppendResult>> repeat = Idempotency.classifyAll(appends, found);
            if (repeat.isPresent()) {
                return repeat.get();
            }
            for (StreamAppend part : appends) {
                if (deleted.containsKey(part.streamId())) {
                    throw new StreamDeletedException(part.streamId());
                }
                long current = versionOf(part.streamId());
                if (!part.expected().isMetBy(current)) {
                    throw new WrongExpectedVersionException(part.streamId(), part.expected(), current);
                }
            }
            if (condition != null) {
                for (RecordedEvent r :
                        log.tailMap(condition.afterPosition(), false).values()) {
                    if (condition.failIfEventsMatch().matches(r)) {
                        throw new AppendConditionFailedException(condition, r.position());
                    }
                }
            }
            Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
            for (StreamAppend part : appends) {
                StreamEvents target = streams.computeIfAbsent(part.streamId(), k -> new StreamEvents());
                RecordedEvent last = null;
                for (EventData e : part.events()) {
                    last = store(part.streamId(), target, e, now);
                }
                results.add(new AppendResult(last.version(), last.position()));
            }
        } finally {
            lock.writeLock().unlock();
        }
        listeners.fire();
        return List.copyOf(results);
    }

    private static DuplicateEventIdException reserved(String streamId, RecordedEvent gone) {
        return new DuplicateEventIdException(
                "append to stream " + streamId + " repeats event id " + gone.eventId() + ", the id of an event"
                        + " removed from stream " + gone.streamId() + " at version " + gone.version()
                        + " (deleted or truncated): the ids of removed events stay reserved",
                gone.eventId(),
                gone.streamId(),
                gone.version());
    }

    @Override
    public AppendResult deleteStream(String streamId, ExpectedVersion expected) {
        return Instrumented.append(instrumentation, KIND, 0, () -> delete(streamId, expected));
    }

    private AppendResult delete(String streamId, ExpectedVersion expected) {
        AppendChecks.checkStreamId(streamId);
        Objects.requireNonNull(expected, "expected");
        AppendResult result;
        lock.writeLock().lock();
        try {
            RecordedEvent tombstone = deleted.get(streamId);
            if (tombstone != null) {
                if (expected instanceof ExpectedVersion.Any) {
                    return new AppendResult(tombstone.version(), tombstone.position());
                }
                throw new StreamDeletedException(streamId);
            }
            StreamEvents stream = streams.getOrDefault(streamId, new StreamEvents());
            if (!expected.isMetBy(stream.version())) {
                throw new WrongExpectedVersionException(streamId, expected, stream.version());
            }
            long current = stream.version();
            remove(stream.events);
            stream.events.clear();
            stream.first = current + 1; // the tombstone's version
            tombstone = store(
                    streamId,
                    stream,
                    new EventData(EventIds.next(), STREAM_DELETED, "{}", Map.of()),
                    clock.instant().truncatedTo(ChronoUnit.MICROS));
            streams.remove(streamId);
            pins.remove(streamId);
            deleted.put(streamId, tombstone);
            result = new AppendResult(tombstone.version(), tombstone.position());
        } finally {
            lock.writeLock().unlock();
        }
        listeners.fire();
        return result;
    }

    /** The stream's version, 0 when it has no event; under a lock. */
    private long versionOf(String streamId) {
        StreamEvents stream = streams.get(streamId);
        return stream == null ? 0 : stream.version();
    }

    /** Takes {@code events} out of the log, their ids kept reserved; under the write lock. */
    private void remove(List<RecordedEvent> events) {
        for (RecordedEvent r : events) {
            log.remove(r.position());
            byId.remove(r.eventId());
            removed.put(r.eventId(), r);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Under the store's write lock, like appends and deletions.
     */
    @Override
    public long truncateStream(String streamId, long beforeVersion, Snapshot pinned) {
        TruncationChecks.checkArguments(streamId, beforeVersion, pinned);
        lock.writeLock().lock();
        try {
            if (deleted.containsKey(streamId)) {
                throw new StreamDeletedException(streamId);
            }
            StreamEvents stream = streams.get(streamId);
            TruncationChecks.checkCut(streamId, beforeVersion, stream == null ? 0 : stream.version());
            if (beforeVersion <= stream.first) {
                return 0; // truncated there, or further, already
            }
            int cut = (int) (beforeVersion - stream.first);
            RecordedEvent last = stream.events.get(cut - 1);
            if (!last.eventId().equals(pinned.lastEventId())) {
                throw TruncationChecks.notThisHistory(pinned, last.eventId());
            }
            List<RecordedEvent> head = stream.events.subList(0, cut);
            remove(head);
            head.clear();
            stream.first = beforeVersion;
            pins.put(streamId, pinned);
            return cut;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public Optional<Snapshot> pinnedSnapshot(String streamId) {
        Objects.requireNonNull(streamId, "streamId");
        lock.readLock().lock();
        try {
            return Optional.ofNullable(pins.get(streamId));
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public List<RecordedEvent> read(Query query, long afterPosition, int maxCount) {
        AppendChecks.checkRead(query, afterPosition, maxCount);
        lock.readLock().lock();
        try {
            List<RecordedEvent> out = new ArrayList<>();
            for (RecordedEvent r : log.tailMap(afterPosition, false).values()) {
                if (out.size() == maxCount) {
                    break;
                }
                if (query.matches(r)) {
                    out.add(r);
                }
            }
            return List.copyOf(out);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public Listening onAppend(Runnable listener) {
        return listeners.add(listener);
    }

    @Override
    public List<RecordedEvent> readStream(String streamId, long fromVersion, int maxCount) {
        AppendChecks.checkReadStream(streamId, fromVersion, maxCount);
        lock.readLock().lock();
        try {
            if (deleted.containsKey(streamId)) {
                throw new StreamDeletedException(streamId);
            }
            StreamEvents stream = streams.get(streamId);
            if (stream == null || fromVersion > stream.version()) {
                return List.of();
            }
            int start = (int) (Math.max(fromVersion, stream.first) - stream.first);
            int end = (int) Math.min(stream.events.size(), start + (long) maxCount);
            return List.copyOf(stream.events.subList(start, end));
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public List<RecordedEvent> readAll(long afterPosition, int maxCount) {
        AppendChecks.checkReadAll(afterPosition, maxCount);
        lock.readLock().lock();
        try {
            List<RecordedEvent> out = new ArrayList<>(Math.min(maxCount, 1000));
            for (RecordedEvent r : log.tailMap(afterPosition, false).values()) {
                if (out.size() == maxCount) {
                    break;
                }
                out.add(r);
            }
            return List.copyOf(out);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public long currentVersion(String streamId) {
        Objects.requireNonNull(streamId, "streamId");
        lock.readLock().lock();
        try {
            if (deleted.containsKey(streamId)) {
                throw new StreamDeletedException(streamId);
            }
            return versionOf(streamId);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public OptionalLong lastPosition() {
        lock.readLock().lock();
        try {
            return OptionalLong.of(lastPosition);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public long countEvents() {
        lock.readLock().lock();
        try {
            return log.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Nothing to release. */
    @Override
    public void close() {}
}
