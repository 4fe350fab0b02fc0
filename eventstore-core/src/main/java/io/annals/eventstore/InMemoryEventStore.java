package io.annals.eventstore;

import io.annals.eventstore.internal.AppendChecks;
import io.annals.eventstore.internal.AppendListeners;
import io.annals.eventstore.internal.Idempotency;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;

/**
 * An event store in memory: for tests, prototypes and the command loop's unit tests. It meets the
 * whole {@link EventStore} contract, except that nothing survives the JVM.
 */
public final class InMemoryEventStore implements EventStore {

    private final Clock clock;
    private final AppendLimits limits;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final List<RecordedEvent> log = new ArrayList<>();
    private final Map<String, List<RecordedEvent>> streams = new HashMap<>();
    private final Map<UUID, RecordedEvent> byId = new HashMap<>();
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
        this.clock = Objects.requireNonNull(clock, "clock");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public AppendResult append(String streamId, ExpectedVersion expected, List<EventData> events) {
        AppendChecks.checkAppend(limits, streamId, expected, events);
        AppendResult result;
        lock.writeLock().lock();
        try {
            List<RecordedEvent> stream = streams.getOrDefault(streamId, List.of());
            long current = stream.size();
            Map<UUID, Idempotency.StoredId> found = new HashMap<>();
            for (EventData e : events) {
                RecordedEvent r = byId.get(e.eventId());
                if (r != null) {
                    found.put(
                            r.eventId(),
                            new Idempotency.StoredId(r.eventId(), r.streamId(), r.version(), r.position()));
                }
            }
            Optional<AppendResult> repeat = Idempotency.classify(streamId, expected, events, found);
            if (repeat.isPresent()) {
                return repeat.get();
            }
            if (!expected.isMetBy(current)) {
                throw new WrongExpectedVersionException(streamId, expected, current);
            }
            Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
            List<RecordedEvent> target = streams.computeIfAbsent(streamId, k -> new ArrayList<>());
            RecordedEvent last = null;
            for (EventData e : events) {
                last = store(streamId, target, e, now);
            }
            result = new AppendResult(last.version(), last.position());
        } finally {
            lock.writeLock().unlock();
        }
        listeners.fire();
        return result;
    }

    /** Adds one event at the end of {@code stream} and of the log; under the write lock. */
    private RecordedEvent store(String streamId, List<RecordedEvent> stream, EventData e, Instant now) {
        RecordedEvent r = new RecordedEvent(
                streamId,
                stream.size() + 1L,
                log.size() + 1L,
                e.eventId(),
                e.type(),
                e.json(),
                e.metadata(),
                now,
                e.tags());
        stream.add(r);
        log.add(r);
        byId.put(r.eventId(), r);
        return r;
    }

    @Override
    public List<AppendResult> append(List<StreamAppend> appends) {
        return appendAll(appends, null);
    }

    @Override
    public List<AppendResult> append(List<StreamAppend> appends, AppendCondition condition) {
        Objects.requireNonNull(condition, "condition");
        return appendAll(appends, condition);
    }

    private List<AppendResult> appendAll(List<StreamAppend> appends, @Nullable AppendCondition condition) {
        AppendChecks.checkAppends(limits, appends);
        List<AppendResult> results = new ArrayList<>(appends.size());
        lock.writeLock().lock();
        try {
            Map<UUID, Idempotency.StoredId> found = new HashMap<>();
            for (StreamAppend part : appends) {
                for (EventData e : part.events()) {
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
                long current = streams.getOrDefault(part.streamId(), List.of()).size();
                if (!part.expected().isMetBy(current)) {
                    throw new WrongExpectedVersionException(part.streamId(), part.expected(), current);
                }
            }
            if (condition != null) {
                // positions are contiguous from 1: the event after `afterPosition` is at that index
                for (long i = condition.afterPosition(); i < log.size(); i++) {
                    RecordedEvent r = log.get((int) i);
                    if (condition.failIfEventsMatch().matches(r)) {
                        throw new AppendConditionFailedException(condition, r.position());
                    }
                }
            }
            Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
            for (StreamAppend part : appends) {
                List<RecordedEvent> target = streams.computeIfAbsent(part.streamId(), k -> new ArrayList<>());
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

    @Override
    public List<RecordedEvent> read(Query query, long afterPosition, int maxCount) {
        AppendChecks.checkRead(query, afterPosition, maxCount);
        lock.readLock().lock();
        try {
            if (query.matchesAll()) {
                return slice(log, afterPosition, maxCount);
            }
            List<RecordedEvent> out = new ArrayList<>();
            for (long i = afterPosition; i < log.size() && out.size() < maxCount; i++) {
                RecordedEvent r = log.get((int) i);
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
            List<RecordedEvent> stream = streams.getOrDefault(streamId, List.of());
            return slice(stream, fromVersion - 1, maxCount);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public List<RecordedEvent> readAll(long afterPosition, int maxCount) {
        AppendChecks.checkReadAll(afterPosition, maxCount);
        lock.readLock().lock();
        try {
            // positions are contiguous from 1 here, so the event after `afterPosition` is at that index
            return slice(log, afterPosition, maxCount);
        } finally {
            lock.readLock().unlock();
        }
    }

    private static List<RecordedEvent> slice(List<RecordedEvent> list, long from, int maxCount) {
        if (from >= list.size()) {
            return List.of();
        }
        int start = (int) from;
        int end = (int) Math.min(list.size(), start + (long) maxCount);
        return List.copyOf(list.subList(start, end));
    }

    @Override
    public long currentVersion(String streamId) {
        Objects.requireNonNull(streamId, "streamId");
        lock.readLock().lock();
        try {
            return streams.getOrDefault(streamId, List.of()).size();
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
