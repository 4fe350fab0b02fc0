package io.annals.eventstore.projection;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.tck.ForwardingEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A projection catching up reads the next page while it applies one: on another thread, from
 * where the checkpoint will be, and only what a batch that commits would read next.
 */
class ReadAheadTest {

    /** 95 events in one stream: nine full pages of 10 and one of 5. */
    private static final int EVENTS = 95;

    private static final int BATCH = 10;

    /** A read of the log: from where, and on which thread. */
    private record Read(long after, String thread) {}

    /** Records every readAll; holds a read on the reading thread while {@link #slow} is set. */
    private static final class Recording extends ForwardingEventStore {
        final List<Read> reads = new CopyOnWriteArrayList<>();
        volatile boolean slow;
        volatile long pauseMillis = 20;

        Recording(EventStore store) {
            super(store);
        }

        /** Reads that have returned. */
        final AtomicInteger ended = new AtomicInteger();

        @Override
        public List<RecordedEvent> readAll(long afterPosition, int maxCount) {
            reads.add(new Read(afterPosition, Thread.currentThread().getName()));
            try {
                if (slow && Thread.currentThread().getName().startsWith("annals-read-ahead-")) {
                    pause(pauseMillis); // the batch it overlaps ends first: the page is taken from a read in flight
                }
                return super.readAll(afterPosition, maxCount);
            } finally {
                ended.incrementAndGet();
            }
        }
    }

    /** Keeps the positions it applied, in order; fails the batch holding {@code failAt} once. */
    private static class Applied implements Projector {
        final List<Long> positions = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong checkpoint = new AtomicLong();
        final AtomicBoolean failedOnce = new AtomicBoolean();
        final long failAt;

        Applied(long failAt) {
            this.failAt = failAt;
        }

        @Override
        public String name() {
            return "applied";
        }

        @Override
        public long checkpoint() {
            return checkpoint.get();
        }

        @Override
        public void apply(long from, long to, List<RecordedEvent> events) {
            if (events.stream().anyMatch(e -> e.position() == failAt) && failedOnce.compareAndSet(false, true)) {
                throw new IllegalStateException("failing once on purpose at " + failAt);
            }
            if (!checkpoint.compareAndSet(from, to)) {
                throw new CheckpointConflictException(name(), from);
            }
            events.forEach(e -> positions.add(e.position()));
        }

        @Override
        public void reset() {
            checkpoint.set(0);
            positions.clear();
        }

        @Override
        public Optional<Lease> tryAcquire() {
            return Optional.of(Lease.untilClosed(() -> {}));
        }
    }

    /** {@link Applied}, whose first batch waits, once it began, until {@link #release} opens. */
    private static final class FirstBatchWaits extends Applied {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        FirstBatchWaits() {
            super(-1);
        }

        @Override
        public void apply(long from, long to, List<RecordedEvent> events) {
            if (from == 0) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            super.apply(from, to, events);
        }
    }

    private static Recording log() {
        return log(EVENTS);
    }

    private static Recording log(int events) {
        InMemoryEventStore store = new InMemoryEventStore();
        for (int i = 0; i < events; i++) {
            store.append("s", ExpectedVersion.any(), List.of(EventData.of("Ticked", "{}")));
        }
        return new Recording(store);
    }

    private static List<Long> everyPosition() {
        return LongStream.rangeClosed(1, EVENTS).boxed().toList();
    }

    private static long readAhead(Recording store) {
        return store.reads.stream()
                .filter(r -> r.thread().equals("annals-read-ahead-applied"))
                .count();
    }

    @Test
    @Timeout(60)
    void a_rebuild_reads_each_next_page_on_another_thread_and_applies_every_event_once() {
        Recording store = log();
        store.slow = true;
        Applied p = new Applied(-1);
        try (ProjectionRunner runner =
                ProjectionRunner.builder(store).add(p).batchSize(BATCH).build()) {
            RebuildProgress done = runner.rebuild("applied", progress -> {});

            assertThat(done.done()).isEqualTo(EVENTS);
        }
        assertThat(p.positions).containsExactlyElementsOf(everyPosition());
        // the first page is read when the rebuild begins, each page after a full one ahead (the
        // last, from 90, holds 5 events), then the empty read at the end of the log: no page twice
        assertThat(store.reads.get(0)).isEqualTo(new Read(0, "annals-projection-applied"));
        assertThat(readAhead(store)).isEqualTo(EVENTS / BATCH);
        assertThat(store.reads)
                .extracting(Read::after)
                .containsExactly(0L, 10L, 20L, 30L, 40L, 50L, 60L, 70L, 80L, 90L, 95L);
        assertThat(store.reads.get(10)).isEqualTo(new Read(95, "annals-projection-applied"));
    }

    @Test
    @Timeout(60)
    void off_every_page_is_read_when_its_batch_begins() {
        Recording store = log();
        Applied p = new Applied(-1);
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(p)
                .batchSize(BATCH)
                .readAhead(false)
                .build()) {
            runner.rebuild("applied", progress -> {});
        }
        assertThat(p.positions).containsExactlyElementsOf(everyPosition());
        assertThat(readAhead(store)).isZero();
        assertThat(store.reads)
                .extracting(Read::after)
                .containsExactly(0L, 10L, 20L, 30L, 40L, 50L, 60L, 70L, 80L, 90L, 95L);
    }

    @Test
    @Timeout(60)
    void a_batch_that_fails_drops_the_page_read_ahead_and_reads_its_own_again() throws Exception {
        Recording store = log();
        store.slow = true;
        Applied p = new Applied(35);
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(p)
                .batchSize(BATCH)
                .maxBackoff(Duration.ofMillis(1))
                .build()) {
            runner.start();
            assertThat(runner.awaitPosition("applied", EVENTS, Duration.ofSeconds(30)))
                    .isTrue();
        }
        assertThat(p.failedOnce).isTrue();
        assertThat(p.positions).containsExactlyElementsOf(everyPosition());
        // the failed batch (31-40) read ahead from 40; the retry reads from 30 again, on its own thread
        List<Long> froms = store.reads.stream().map(Read::after).toList();
        assertThat(froms.subList(0, froms.indexOf(40L) + 1)).containsExactly(0L, 10L, 20L, 30L, 40L);
        assertThat(store.reads.get(froms.indexOf(40L) + 1)).isEqualTo(new Read(30, "annals-projection-applied"));
    }

    @Test
    @Timeout(60)
    void after_a_page_read_ahead_that_is_not_full_the_log_is_read_again_at_once_for_a_waiter() throws Exception {
        Recording store = log(BATCH); // one full page; the page read ahead after it is empty
        FirstBatchWaits p = new FirstBatchWaits();
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(p)
                .batchSize(BATCH)
                .pollInterval(Duration.ofHours(1))
                .build()) {
            runner.start();
            p.entered.await();
            while (readAhead(store) == 0) {
                Thread.sleep(1);
            }
            Thread.sleep(20); // the read ahead has ended, empty: the log ends at 10
            long written = store.append("s", ExpectedVersion.any(), List.of(EventData.of("Ticked", "{}")))
                    .position();
            CompletableFuture<Boolean> seen = CompletableFuture.supplyAsync(
                    () -> runner.awaitPosition("applied", written, Duration.ofSeconds(20)));
            Thread.sleep(50); // the waiter asks for a read while the first batch still runs
            p.release.countDown();

            assertThat(seen.get())
                    .as("the append is applied without waiting for the hour's poll")
                    .isTrue();
        }
        assertThat(p.positions).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
    }

    @Test
    @Timeout(60)
    void close_waits_for_the_read_ahead_under_way() throws Exception {
        Recording store = log();
        store.slow = true;
        store.pauseMillis = 500; // the read ahead outlasts the batch it overlaps
        FirstBatchWaits p = new FirstBatchWaits();
        ProjectionRunner runner =
                ProjectionRunner.builder(store).add(p).batchSize(BATCH).build();
        runner.start();
        p.entered.await();
        while (readAhead(store) == 0) {
            Thread.sleep(1);
        }
        CompletableFuture<Void> closed = CompletableFuture.runAsync(runner::close);
        Thread.sleep(20); // close() waits for the batch under way, which ends now
        p.release.countDown();
        closed.get();

        assertThat(store.ended.get()).as("reads ended when close() returned").isEqualTo(store.reads.size());
    }
}
