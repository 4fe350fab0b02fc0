package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Copies every event of a store into a new, empty one, transforming or dropping events on the
 * way: the way to make a big change to stored events (split a type in two, fix many events at
 * once, drop retired events for good) without ever rewriting a log in place. Everyday changes
 * need no copy: a codec reads old events through upcasters (see "Changing events" in the docs).
 *
 * <pre>{@code
 * StoreCopy.Result result = StoreCopy.from(source)
 *         .into(JdbcEventStore.builder("jdbc:sqlite:events-v2.db"))
 *         .transform(EventTransform.upcasting(codec))
 *         .onProgress(p -> System.err.printf("\r%.0f%%", 100 * p.fraction()))
 *         .run();
 * }</pre>
 *
 * <p><b>What the copy keeps.</b> Each event read from the source (with
 * {@link EventStore#readAll}, in position order) goes through the {@link EventTransform}, and the
 * events it returns are appended to the same stream id of the target, in the order of the source's
 * log. They keep their event ids (as the transform returns them) and the time the source recorded
 * ({@code recordedAt}): the copy opens the target with a clock of its own, which replaces the
 * builder's. Stream versions in the target count the events written: where an event is dropped,
 * the later events of its stream move down one version, and a split moves them up. Positions are
 * the target's own: readers' checkpoints of the source mean nothing in the copy.
 *
 * <p><b>What it does not copy.</b> Snapshots (commands take them again), projection checkpoints
 * and read models (rebuild them on the new store), and anything else in the source's database.
 * A stream whose events are all dropped does not exist in the target.
 *
 * <p><b>Safety.</b> The target must hold no events, and must not be the source (the same
 * database, schema and table prefix), and the source must hold no truncated stream
 * ({@link EventStore#truncateStream}: its pinned snapshot is not copied, and the copy would begin
 * the stream at its first event left); otherwise the copy refuses before it writes anything. The
 * source must not change during the copy: stop its writers first. At the end, the copy checks
 * that it read as many events as the source holds (then and at the start) and that the target
 * holds as many as it wrote; it fails otherwise. A copy that fails after writing leaves a partial
 * target, which its error says: delete it (its file, its schema or its tables) before copying
 * again.
 *
 * <p>One copy runs at a time on one thread: the transform and the progress listener are called
 * on the thread of {@link #run()}. Appends go one stream at a time: consecutive events of one
 * stream that the source recorded at the same instant (usually one append) go in one append.
 */
public final class StoreCopy {

    private static final System.Logger LOG = System.getLogger(StoreCopy.class.getName());

    /** The events read from the source at once, unless {@link #pageSize} says otherwise. */
    public static final int DEFAULT_PAGE_SIZE = 1000;

    /** The largest {@link #pageSize}. */
    public static final int MAX_PAGE_SIZE = 100_000;

    /**
     * The streams whose version the copy keeps in memory; it asks the target for the others
     * (which it alone writes, so the target knows what it wrote).
     */
    static final int DEFAULT_REMEMBERED_STREAMS = 100_000;

    private final EventStore source;
    private JdbcEventStore.@Nullable Builder target;
    private EventTransform transform = EventTransform.identity();
    private Consumer<Progress> listener = p -> {};
    private int pageSize = DEFAULT_PAGE_SIZE;
    private int rememberedStreams = DEFAULT_REMEMBERED_STREAMS;

    private StoreCopy(EventStore source) {
        this.source = source;
    }

    /** A copy of every event of {@code source}; name the target with {@link #into}. */
    public static StoreCopy from(EventStore source) {
        return new StoreCopy(Objects.requireNonNull(source, "source"));
    }

    /**
     * The store to copy into, opened by {@link #run()} from this builder (with the builder's
     * options, but for its clock, which the copy replaces) and closed when the copy ends.
     */
    public StoreCopy into(JdbcEventStore.Builder target) {
        this.target = Objects.requireNonNull(target, "target");
        return this;
    }

    /** What to write for each event read; {@link EventTransform#identity()} by default. */
    public StoreCopy transform(EventTransform transform) {
        this.transform = Objects.requireNonNull(transform, "transform");
        return this;
    }

    /**
     * Called after each page of events is copied, on the copy's thread; an exception it throws
     * stops the copy.
     */
    public StoreCopy onProgress(Consumer<Progress> listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * How many events are read from the source at once (and at most held in memory), 1,000 by
     * default; the progress listener is called once per page.
     *
     * @throws IllegalArgumentException if not between 1 and {@value #MAX_PAGE_SIZE}
     */
    public StoreCopy pageSize(int events) {
        if (events < 1 || events > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException("pageSize must be between 1 and " + MAX_PAGE_SIZE + ", was " + events);
        }
        this.pageSize = events;
        return this;
    }

    /** For tests: how many streams' versions are kept in memory. */
    StoreCopy rememberedStreams(int streams) {
        if (streams < 1) {
            throw new IllegalArgumentException("rememberedStreams must be positive, was " + streams);
        }
        this.rememberedStreams = streams;
        return this;
    }

    /**
     * Opens the target, copies the source into it, checks the counts and closes the target.
     *
     * @return what was copied
     * @throws IllegalStateException if no target was named with {@link #into}
     * @throws IllegalArgumentException if the target holds events or is the source; nothing is
     *     written (opening the target may have created or migrated its schema)
     * @throws EventStoreException if the copy fails, the transform throws, or the counts do not
     *     match at the end (the source changed during the copy); its message says whether the
     *     target holds a partial copy
     * @throws RuntimeException as the target's builder throws when it cannot open the target
     */
    public Result run() {
        if (target == null) {
            throw new IllegalStateException("name the store to copy into with into(...)");
        }
        CopyClock clock = new CopyClock();
        try (JdbcEventStore to = target.clock(clock).open()) {
            if (source instanceof JdbcEventStore from && from.identity().equals(to.identity())) {
                throw new IllegalArgumentException("the target is the source (" + to.identity()
                        + "): a copy goes into a new, empty store; nothing was written");
            }
            long truncated = source instanceof JdbcEventStore from ? from.countTruncatedStreams() : 0;
            if (truncated > 0) {
                throw new IllegalArgumentException("the source " + source + " holds " + truncated
                        + " truncated streams: a copy would start each at its first event left, without the"
                        + " pinned snapshot of the state before it; nothing was written");
            }
            long already = to.countEvents();
            if (already > 0) {
                throw new IllegalArgumentException("the target " + to + " holds " + already
                        + " events: a copy goes only into an empty store; nothing was written");
            }
            Copier copier = new Copier(to, clock);
            LOG.log(Level.DEBUG, () -> "copying " + copier.total + " events from " + source + " into " + to);
            try {
                copier.copyAll();
            } catch (RuntimeException e) {
                throw new EventStoreException(message(e) + "; " + copier.whatTheTargetHolds(), e);
            }
            copier.checkCounts();
            Result result = new Result(copier.read, copier.written, copier.dropped, copier.elapsed());
            LOG.log(
                    Level.DEBUG,
                    () -> "copied " + result.read() + " events into " + to + ": " + result.written() + " written, "
                            + result.dropped() + " dropped, in " + result.duration());
            return result;
        }
    }

    /** One run: the counts, the versions written per stream, and the append being gathered. */
    private final class Copier {
        private final JdbcEventStore to;
        private final CopyClock clock;
        private final int maxPerAppend;
        private final Map<String, Long> versions;
        private final long total;
        private final long startNanos;
        private long read;
        private long written;
        private long dropped;
        private long lastWrittenPosition;

        /** The events of the next append: one stream, one recorded time. */
        private final List<EventData> pending = new ArrayList<>();

        private @Nullable RecordedEvent pendingFirst;
        private @Nullable RecordedEvent pendingLast;

        Copier(JdbcEventStore to, CopyClock clock) {
            this.to = to;
            this.clock = clock;
            this.maxPerAppend = to.limits().maxEventsPerAppend();
            this.versions = new RecentVersions(rememberedStreams);
            this.total = source.countEvents();
            this.startNanos = System.nanoTime();
        }

        void copyAll() {
            long after = 0;
            while (true) {
                List<RecordedEvent> page = source.readAll(after, pageSize);
                if (page.isEmpty()) {
                    return;
                }
                for (RecordedEvent event : page) {
                    read++;
                    if (EventStore.STREAM_DELETED.equals(event.type())) {
                        // the source deleted the stream: so does the copy, at the same place in the log
                        flush();
                        clock.set(event.recordedAt());
                        AppendResult tombstone = to.deleteStream(event.streamId(), ExpectedVersion.any());
                        // and the ids it removed stay reserved there too
                        Map<Long, UUID> removed =
                                source instanceof JdbcEventStore jdbc ? jdbc.removedIds(event.streamId()) : Map.of();
                        if (!removed.isEmpty()) {
                            to.reserveIds(event.streamId(), removed, tombstone.position());
                        }
                        versions.remove(event.streamId());
                        written++;
                        lastWrittenPosition = event.position();
                        continue;
                    }
                    List<EventData> out = transformed(event);
                    if (out.isEmpty()) {
                        dropped++;
                        continue;
                    }
                    if (pendingFirst != null
                            && (!pendingFirst.streamId().equals(event.streamId())
                                    || !pendingFirst.recordedAt().equals(event.recordedAt())
                                    || pending.size() + out.size() > maxPerAppend)) {
                        flush();
                    }
                    if (pendingFirst == null) {
                        pendingFirst = event;
                    }
                    pendingLast = event;
                    pending.addAll(out);
                }
                flush();
                after = page.get(page.size() - 1).position();
                Progress progress = new Progress(read, written, dropped, total, eventsPerSecond());
                try {
                    listener.accept(progress);
                } catch (RuntimeException e) {
                    throw new EventStoreException("the progress listener failed: " + message(e), e);
                }
            }
        }

        private List<EventData> transformed(RecordedEvent event) {
            List<EventData> out;
            try {
                out = transform.apply(event);
            } catch (RuntimeException e) {
                throw new EventStoreException("the transform failed on " + describe(event) + ": " + message(e), e);
            }
            if (out == null) {
                throw new EventStoreException(
                        "the transform returned null for " + describe(event) + ": return an empty list to drop it");
            }
            return out;
        }

        /** Appends the pending events, at the time the source recorded them. */
        private void flush() {
            RecordedEvent first = pendingFirst;
            RecordedEvent last = pendingLast;
            if (first == null || last == null) {
                return;
            }
            String stream = first.streamId();
            Long known = versions.get(stream);
            long version = known != null ? known : to.currentVersion(stream);
            clock.set(first.recordedAt());
            AppendResult result;
            try {
                result = to.append(stream, ExpectedVersion.exactly(version), List.copyOf(pending));
            } catch (RuntimeException e) {
                throw new EventStoreException(
                        "cannot append the events copied from "
                                + (first == last
                                        ? describe(first)
                                        : "stream " + stream + " at versions " + first.version() + " to "
                                                + last.version() + " (positions " + first.position() + " to "
                                                + last.position() + ")")
                                + ": " + message(e),
                        e);
            }
            versions.put(stream, result.version());
            written += pending.size();
            lastWrittenPosition = last.position();
            pending.clear();
            pendingFirst = null;
            pendingLast = null;
        }

        void checkCounts() {
            long now = source.countEvents();
            if (read != total || now != read) {
                throw new EventStoreException("the source changed during the copy: it held " + total
                        + " events at the start, " + read + " were read, it holds " + now + " now; stop its"
                        + " writers and copy again; " + whatTheTargetHolds());
            }
            long copied = to.countEvents();
            if (copied != written) {
                throw new EventStoreException("the target holds " + copied + " events, but the copy wrote " + written
                        + ": something else wrote to it during the copy; " + whatTheTargetHolds());
            }
        }

        String whatTheTargetHolds() {
            return written == 0
                    ? "nothing was written: the target holds no events"
                    : "the target holds a partial copy (" + written + " events written, from the source up to position "
                            + lastWrittenPosition + "): delete it (its file, schema or tables) before copying"
                            + " again, a copy goes only into an empty store";
        }

        private double eventsPerSecond() {
            long nanos = System.nanoTime() - startNanos;
            return nanos <= 0 ? 0 : read * 1e9 / nanos;
        }

        Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - startNanos);
        }
    }

    private static String message(RuntimeException e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private static String describe(RecordedEvent e) {
        return "event " + e.eventId() + " of type " + e.type() + " in stream " + e.streamId() + " at version "
                + e.version() + " (position " + e.position() + ")";
    }

    /**
     * How far a copy has come.
     *
     * @param read events read from the source so far
     * @param written events appended to the target so far
     * @param dropped events read for which the transform returned nothing
     * @param total events in the source when the copy started
     * @param eventsPerSecond events read per second, on average so far
     */
    public record Progress(long read, long written, long dropped, long total, double eventsPerSecond) {

        /** {@code read / total} between 0 and 1 (1 when the source is empty). */
        public double fraction() {
            return total <= 0 ? 1.0 : Math.min(1.0, (double) read / total);
        }
    }

    /**
     * What a finished copy did.
     *
     * @param read events read from the source: all of them
     * @param written events appended to the target: all it holds
     * @param dropped events read for which the transform returned nothing
     * @param duration from the first read to the last append
     */
    public record Result(long read, long written, long dropped, Duration duration) {}

    /**
     * The target's clock: the time the source recorded the events of the append under way, and
     * the system's time otherwise (when the target records its migrations). A store reads its
     * clock once per append.
     */
    private static final class CopyClock extends Clock {
        private final ZoneId zone;
        private final AtomicReference<@Nullable Instant> next;

        CopyClock() {
            this(ZoneOffset.UTC, new AtomicReference<>());
        }

        private CopyClock(ZoneId zone, AtomicReference<@Nullable Instant> next) {
            this.zone = zone;
            this.next = next;
        }

        void set(Instant recordedAt) {
            next.set(recordedAt);
        }

        @Override
        public Instant instant() {
            Instant at = next.get();
            return at != null ? at : Instant.now();
        }

        @Override
        public ZoneId getZone() {
            return zone;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return new CopyClock(zone, next);
        }
    }

    /** Versions of the streams written last, at most {@code capacity} of them. */
    private static final class RecentVersions extends LinkedHashMap<String, Long> {
        private static final long serialVersionUID = 1L;
        private final int capacity;

        RecentVersions(int capacity) {
            super(16, 0.75f, true);
            this.capacity = capacity;
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > capacity;
        }
    }
}
