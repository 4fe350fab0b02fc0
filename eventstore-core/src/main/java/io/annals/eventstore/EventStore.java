package io.annals.eventstore;

import io.annals.eventstore.internal.AppendChecks;
import io.annals.eventstore.snapshot.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An append-only store of event streams with one global, ordered log.
 *
 * <p>Every implementation (in-memory, SQLite, PostgreSQL) passes the same contract tests. In
 * short:
 * <ul>
 *   <li>a stream's first event has version 1; {@link #currentVersion} of a missing stream is 0;
 *       stream ids are compared exactly;</li>
 *   <li>each event gets a global {@code position}, strictly increasing in the order
 *       {@link #readAll} returns events, so a reader's checkpoint is one {@code long};
 *       {@code readAll} never returns an event while one at a lower position can still appear;</li>
 *   <li>an append is atomic and checks its {@link ExpectedVersion} in the same transaction;</li>
 *   <li>appends are idempotent by event id (see {@link #append}).</li>
 * </ul>
 * All methods are safe to call from many threads.
 */
public interface EventStore extends AutoCloseable {

    /**
     * Appends events to a stream, all or none.
     *
     * <p><b>Idempotency.</b> If every event id of {@code events} is already stored in this
     * stream, consecutively and in the same order, where an append with this expectation could
     * have placed them (for {@code exactly(v)}: at versions v+1..v+n; for {@code any()}:
     * anywhere), the append succeeds, writes nothing and returns the original result. If only
     * some ids are stored, or they are stored elsewhere, it fails with an
     * {@link EventStoreException} that says so.
     *
     * @param streamId 1 to 200 characters, not blank, no control characters
     * @param expected the optimistic-concurrency check
     * @param events 1 to 10,000 events (configurable), each a JSON object within the size limit
     * @return the version and position of the last event
     * @throws WrongExpectedVersionException if {@code expected} does not hold; nothing is written
     * @throws IllegalArgumentException if an argument breaks a rule; nothing is written
     * @throws NullPointerException if an argument is null
     * @throws EventStoreException if the store fails; nothing is written
     */
    AppendResult append(String streamId, ExpectedVersion expected, List<EventData> events);

    /**
     * Appends to several streams at once, all or none: every part keeps its own expected
     * version, and the events of all parts land together or none does.
     *
     * <p>Positions increase in the order of the parts and of their events (not necessarily
     * contiguously). Idempotency comes first: a call whose every part is stored already (each by
     * the rule of {@link #append(String, ExpectedVersion, List)}) succeeds and returns the
     * original results; a call with only some parts stored fails with an
     * {@link EventStoreException} that says so.
     *
     * @param appends the parts, at least one, each stream at most once; at most
     *     {@code maxEventsPerAppend} events in all
     * @return one result per part, in order: the version and position of its last event
     * @throws WrongExpectedVersionException naming the first stream whose expectation does not
     *     hold; nothing is written
     * @throws IllegalArgumentException if there is no part, a stream is named twice, or an
     *     argument breaks a rule of a one-stream append; nothing is written
     * @throws EventStoreException if the store fails; nothing is written
     */
    List<AppendResult> append(List<StreamAppend> appends);

    /**
     * {@link #append(List)}, which also fails, writing nothing, when an event matching
     * {@code condition.failIfEventsMatch()} was stored after {@code condition.afterPosition()},
     * including one whose append commits concurrently with this one (Dynamic Consistency
     * Boundaries). The call's own events never fail its condition; a repeat of a stored call
     * succeeds with the original results even if its condition would fail now.
     *
     * <p>Appends whose conditions and events share no tag and no type never fail because of each
     * other; on PostgreSQL they run in parallel.
     *
     * @throws AppendConditionFailedException if the condition does not hold; nothing is written
     * @see AppendCondition
     */
    List<AppendResult> append(List<StreamAppend> appends, AppendCondition condition);

    /**
     * Reads the events that match {@code query}, in position order, with the same guarantee as
     * {@link #readAll}: none is returned while a matching event at a lower position can still
     * appear. {@code read(Query.all(), p, n)} returns exactly what {@code readAll(p, n)} returns.
     *
     * @param query which events
     * @param afterPosition return events with a greater position; 0 to start at the beginning
     * @param maxCount at most this many events, positive
     * @return the next matching events, empty when there are none yet
     * @throws IllegalArgumentException if {@code afterPosition} &lt; 0 or {@code maxCount} &lt; 1
     */
    List<RecordedEvent> read(Query query, long afterPosition, int maxCount);

    /**
     * Reads the events of the streams of some categories, in position order, with the same
     * guarantee as {@link #readAll}. The JDBC stores read them through an index on the category
     * and the position; this default reads the log and keeps what matches, which is right for a
     * store in memory and slow for a large one.
     *
     * @param query which categories, and which types of their events
     * @param afterPosition return events with a greater position; 0 to start at the beginning
     * @param maxCount at most this many events, positive
     * @return the next matching events, empty when there are none yet
     * @throws IllegalArgumentException if {@code afterPosition} &lt; 0 or {@code maxCount} &lt; 1
     */
    default List<RecordedEvent> readCategories(CategoryQuery query, long afterPosition, int maxCount) {
        Objects.requireNonNull(query, "query");
        AppendChecks.checkReadAll(afterPosition, maxCount);
        List<RecordedEvent> out = new ArrayList<>();
        long after = afterPosition;
        while (true) {
            List<RecordedEvent> page = readAll(after, Math.max(maxCount, 500));
            if (page.isEmpty()) {
                return out;
            }
            for (RecordedEvent e : page) {
                if (query.matches(e)) {
                    out.add(e);
                    if (out.size() == maxCount) {
                        return out;
                    }
                }
            }
            after = page.get(page.size() - 1).position();
        }
    }

    /**
     * The type of the tombstone {@link #deleteStream} writes. Types that begin with {@code $} are
     * written by the store only.
     */
    String STREAM_DELETED = "$stream-deleted";

    /**
     * Deletes a stream: removes every one of its events from {@link #readStream}, {@link #readAll}
     * and {@link #read(Query, long, int)}, and its snapshots, and writes one tombstone at the next
     * version, of type {@value #STREAM_DELETED}, JSON {@code {}}, no tags, which readers of the
     * log see (so that read models can forget the stream). From then on {@link #append},
     * {@link #readStream} and {@link #currentVersion} of the stream throw
     * {@link StreamDeletedException}, and the ids of its removed events stay reserved: appending
     * one again fails.
     *
     * <p>Deleting a deleted stream with {@code any()} returns the tombstone's result; with another
     * expectation it throws {@link StreamDeletedException}. Deleting a stream that never existed
     * with {@code any()} or {@code noStream()} writes a tombstone at version 1 (the id can never be
     * used); with {@code streamExists()} or {@code exactly(v > 0)} it fails.
     *
     * @return the version and position of the tombstone
     * @throws WrongExpectedVersionException if {@code expected} does not hold; nothing is written
     * @throws StreamDeletedException if the stream was deleted already and {@code expected} is not
     *     {@code any()}
     * @throws IllegalArgumentException if the stream id breaks a rule
     * @throws EventStoreException if the store fails; nothing is written
     */
    AppendResult deleteStream(String streamId, ExpectedVersion expected);

    /**
     * Truncates a stream: removes its events before {@code beforeVersion} from
     * {@link #readStream}, {@link #readAll} and {@link #read(Query, long, int)}, with their tags,
     * and keeps {@code pinned}, the stream's state just before the cut, as its <b>pinned
     * snapshot</b> ({@link #pinnedSnapshot}), both in one transaction. The state is the
     * aggregate's to compute: {@code CommandHandler.truncate} folds it and calls this method.
     *
     * <p>Nothing is written to the log: read models derived from the removed events stay valid.
     * The stream's version does not change, {@code readStream(streamId, v, n)} with {@code v}
     * below the cut returns the events from the cut on, appends go on at the next version, and
     * the ids of the removed events stay reserved (appending one again fails). The stream's last
     * event always stays: it holds the stream's version. The pinned snapshot is not a cache
     * entry: no snapshot save or discard replaces or removes it; a further truncation replaces
     * it, and {@link #deleteStream} removes it. A truncation at or below the stream's current
     * cut removes nothing and writes nothing.
     *
     * @param streamId the stream
     * @param beforeVersion the first version kept: from 2 to {@link #currentVersion}
     * @param pinned the state at version {@code beforeVersion - 1}: of this stream, at that
     *     version, and whose {@code lastEventId} is the id of the event stored there
     * @return how many events were removed; 0 when the stream was truncated at or after
     *     {@code beforeVersion} already
     * @throws IllegalArgumentException if the stream does not exist, {@code beforeVersion} is out
     *     of range, or {@code pinned} does not match the stream at {@code beforeVersion - 1};
     *     nothing is written
     * @throws StreamDeletedException if the stream was deleted; nothing is written
     * @throws NullPointerException if an argument is null
     * @throws UnsupportedOperationException if the store cannot truncate (the default)
     * @throws EventStoreException if the store fails; nothing is written
     */
    default long truncateStream(String streamId, long beforeVersion, Snapshot pinned) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot truncate streams");
    }

    /**
     * The pinned snapshot a truncation of the stream keeps ({@link #truncateStream}): its state
     * just before its first event. The default has none, for stores that cannot truncate.
     *
     * @return empty for a stream that was never truncated, does not exist or was deleted
     * @throws NullPointerException if {@code streamId} is null
     * @throws EventStoreException if the store fails
     */
    default Optional<Snapshot> pinnedSnapshot(String streamId) {
        java.util.Objects.requireNonNull(streamId, "streamId");
        return Optional.empty();
    }

    /**
     * Reads a stream, oldest first.
     *
     * @param streamId the stream
     * @param fromVersion the first version to return (1-based, inclusive)
     * @param maxCount at most this many events, positive
     * @return the events with version &gt;= {@code fromVersion}; empty for a missing stream
     * @throws IllegalArgumentException if {@code fromVersion} &lt; 1 or {@code maxCount} &lt; 1
     * @throws StreamDeletedException if the stream was deleted
     */
    List<RecordedEvent> readStream(String streamId, long fromVersion, int maxCount);

    /**
     * Reads the global log in position order.
     *
     * @param afterPosition return events with a greater position; 0 to start at the beginning
     * @param maxCount at most this many events, positive
     * @return the next events, empty when the reader is at the end
     * @throws IllegalArgumentException if {@code afterPosition} &lt; 0 or {@code maxCount} &lt; 1
     */
    List<RecordedEvent> readAll(long afterPosition, int maxCount);

    /**
     * The version of the stream's last event.
     *
     * @return 0 when the stream does not exist
     * @throws StreamDeletedException if the stream was deleted
     */
    long currentVersion(String streamId);

    /**
     * How many events the store holds, for progress reports. The default pages through
     * {@link #readAll}; stores override it with something cheaper.
     */
    default long countEvents() {
        long count = 0;
        long after = 0;
        while (true) {
            List<RecordedEvent> page = readAll(after, 1000);
            if (page.isEmpty()) {
                return count;
            }
            count += page.size();
            after = page.get(page.size() - 1).position();
        }
    }

    /**
     * Where {@link #readAll} stops now, and what holds it there: on PostgreSQL an append in flight
     * (its session and age), to find what delays projections and read-your-writes. The default is
     * the end of the log, right for stores whose writers commit in position order.
     */
    default ReadHorizon readHorizon() {
        return ReadHorizon.endOfLog();
    }

    /**
     * The position of the last event in the log, whether readers may see it yet or not (on
     * PostgreSQL an append in flight may hold them back below it), for the lag of projections;
     * empty when the store cannot tell cheaply, which is the default. 0 for an empty log.
     */
    default java.util.OptionalLong lastPosition() {
        return java.util.OptionalLong.empty();
    }

    /**
     * What this store reports its work to, and what the command handlers, decision handlers and
     * projection runners built on it report to unless told otherwise. The default is
     * {@link Instrumentation#none()}.
     */
    default Instrumentation instrumentation() {
        return Instrumentation.none();
    }

    /**
     * Calls {@code listener} after each append to this store commits, in this process, so that a
     * reader of the log (a {@code ProjectionRunner}) can read at once instead of at its next
     * poll. A wake-up only: it says nothing of what was appended, may come once for several
     * appends, and never for appends made by other processes (readers poll for those). The
     * listener runs on the appending thread: it must return at once and not throw. The default
     * never calls it, for stores that cannot tell.
     *
     * @return a handle whose {@code close()} stops the calls
     */
    default Listening onAppend(Runnable listener) {
        java.util.Objects.requireNonNull(listener, "listener");
        return () -> {};
    }

    /** Releases what the store owns (its connection pool, if it created one). */
    @Override
    void close();

    /** A listener of {@link #onAppend}, until it is closed. */
    @FunctionalInterface
    interface Listening extends AutoCloseable {
        /** Stops the calls. Closing twice does nothing more. */
        @Override
        void close();
    }
}
