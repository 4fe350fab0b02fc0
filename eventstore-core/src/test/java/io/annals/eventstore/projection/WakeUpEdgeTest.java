package io.annals.eventstore.projection;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.ProjectionStatus.State;
import io.annals.eventstore.projection.WakeUpRaceTest.Counting;
import io.annals.eventstore.tck.ForwardingEventStore;
import io.annals.eventstore.tck.ReadCountingEventStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Wake-ups and waiters at the edges: slow failures, switches, many waiters. */
class WakeUpEdgeTest {

    private static AppendResult append(EventStore store, String stream, String type) {
        return store.append(stream, ExpectedVersion.any(), List.of(EventData.of(type, "{}")));
    }

    /** Whether {@code checkpoint} reaches {@code position} within {@code timeout}, watched from outside. */
    private static boolean reached(AtomicLong checkpoint, long position, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (checkpoint.get() < position) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    @Test
    @Timeout(120)
    void after_slow_failed_polls_an_append_is_read_soon_once_reads_are_fast_again() throws Exception {
        EventStore store = new InMemoryEventStore();
        AtomicBoolean down = new AtomicBoolean();
        AtomicInteger failedReads = new AtomicInteger();
        // as a database that is down: each read waits for a connection, then fails
        EventStore flaky = new ForwardingEventStore(store) {
            @Override
            public List<RecordedEvent> readAll(long afterPosition, int maxCount) {
                if (down.get()) {
                    pause(1_500);
                    failedReads.incrementAndGet();
                    throw new IllegalStateException("no connection");
                }
                return super.readAll(afterPosition, maxCount);
            }
        };
        Counting c = new Counting("p");
        try (ProjectionRunner runner = ProjectionRunner.builder(flaky)
                .add(c)
                .pollInterval(Duration.ofHours(1))
                .maxBackoff(Duration.ofMillis(1))
                .build()) {
            runner.start();
            AppendResult first = append(store, "s", "Ticked");
            assertThat(reached(c.checkpoint, first.position(), Duration.ofSeconds(10)))
                    .isTrue();
            down.set(true);
            append(store, "s", "Ticked"); // woken: the poll fails, and fails again with back-off
            while (failedReads.get() < 6) {
                Thread.sleep(5);
            }
            down.set(false);
            // the next back-off poll reads fine; then the projection idles with its poll an hour away
            while (c.checkpoint.get() < 2 || runner.status("p").failures() > 0) {
                Thread.sleep(1);
            }
            Thread.sleep(20);

            AppendResult written = append(store, "s", "Ticked");
            long began = System.nanoTime();
            assertThat(reached(c.checkpoint, written.position(), Duration.ofSeconds(30)))
                    .isTrue();
            long tookMillis = (System.nanoTime() - began) / 1_000_000;
            assertThat(tookMillis)
                    .as("an append read after a fast poll, though slow failed polls came before it")
                    .isLessThan(500);
        }
    }

    /** A projector kept in memory that can be rebuilt blue-green, and fails on {@code Poison} events. */
    static final class Versioned implements BlueGreenProjector {
        final String name;
        final boolean poisoned;
        final AtomicLong checkpoint = new AtomicLong();
        final Versioned inService;

        Versioned(String name, boolean poisoned, Versioned inService) {
            this.name = name;
            this.poisoned = poisoned;
            this.inService = inService;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public long checkpoint() {
            return checkpoint.get();
        }

        @Override
        public synchronized void apply(long from, long to, List<RecordedEvent> events) {
            for (RecordedEvent e : events) {
                if (poisoned && e.type().equals("Poison")) {
                    throw new ProjectionException(name, e, new IllegalStateException("poison"));
                }
            }
            if (!checkpoint.compareAndSet(from, to)) {
                throw new CheckpointConflictException(name, from);
            }
        }

        @Override
        public void reset() {
            checkpoint.set(0);
        }

        @Override
        public Optional<Lease> tryAcquire() {
            return Optional.of(Lease.untilClosed(() -> {}));
        }

        @Override
        public StagedVersion stage() {
            Versioned self = this;
            return new StagedVersion() {
                final Versioned built = new Versioned(name, false, self);

                @Override
                public boolean promote() {
                    return built.checkpoint() >= self.checkpoint();
                }

                @Override
                public void discard() {}

                @Override
                public StagedVersion stage() {
                    throw new UnsupportedOperationException("a staged version is not staged again");
                }

                @Override
                public String name() {
                    return name;
                }

                @Override
                public long checkpoint() {
                    return built.checkpoint();
                }

                @Override
                public void apply(long from, long to, List<RecordedEvent> events) {
                    built.apply(from, to, events);
                }

                @Override
                public void reset() {
                    built.reset();
                }

                @Override
                public Optional<Lease> tryAcquire() {
                    return built.tryAcquire();
                }
            };
        }
    }

    @Test
    @Timeout(60)
    void a_projection_stopped_at_an_event_polls_again_once_a_blue_green_rebuild_switched_it() throws Exception {
        EventStore store = new InMemoryEventStore();
        Versioned v = new Versioned("p", true, null);
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(v)
                .pollInterval(Duration.ofMillis(20)) // not even the timed polls come back
                .onError("p", ErrorPolicy.stopAfter(0))
                .build()) {
            runner.start();
            append(store, "s", "Poison");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (runner.status("p").state() != State.FAILED && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(runner.status("p").state()).isEqualTo(State.FAILED);

            runner.rebuildBlueGreen("p", p -> {}); // the new code does not fail on it
            assertThat(runner.status("p").state()).isEqualTo(State.RUNNING);

            AppendResult written = append(store, "s", "Ticked");
            assertThat(runner.awaitPosition("p", written.position(), Duration.ofSeconds(5)))
                    .as("an append after the switch, read by the new version")
                    .isTrue();
        }
    }

    @Test
    @Timeout(120)
    void waiters_for_a_position_never_reached_cost_one_read_each_at_most() throws Exception {
        EventStore store = new InMemoryEventStore();
        ReadCountingEventStore counted = new ReadCountingEventStore(store);
        Counting c = new Counting("p");
        try (ProjectionRunner runner = ProjectionRunner.builder(counted)
                .add(c)
                .pollInterval(Duration.ofHours(1))
                .build()) {
            AppendResult first = append(store, "s", "Ticked");
            runner.start();
            assertThat(runner.awaitPosition("p", first.position(), Duration.ofSeconds(10)))
                    .isTrue();
            int before = counted.reads();
            int threads = 8;
            CountDownLatch done = new CountDownLatch(threads);
            for (int t = 0; t < threads; t++) {
                new Thread(() -> {
                            // each wakes at every batch the projection applies
                            runner.awaitPosition("p", Long.MAX_VALUE, Duration.ofMillis(500));
                            done.countDown();
                        })
                        .start();
            }
            done.await();
            Thread.sleep(100);
            assertThat(counted.reads() - before)
                    .as("reads for %d waiters of half a second", threads)
                    .isLessThanOrEqualTo(threads);
        }
    }
}
