package io.annals.eventstore.projection;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.tck.ForwardingEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class WakeUpRaceTest {

    /** A projection that only moves its checkpoint, and can be told to fail. */
    static final class Counting implements Projector {
        final String name;
        final AtomicLong checkpoint = new AtomicLong();
        final AtomicInteger applies = new AtomicInteger();
        final AtomicInteger leaseChecks = new AtomicInteger();
        volatile boolean failing;

        Counting(String name) {
            this.name = name;
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
        public void apply(long from, long to, List<RecordedEvent> events) {
            applies.incrementAndGet();
            if (failing) {
                throw new IllegalStateException("failing on purpose");
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
            Lease lease = Lease.untilClosed(() -> {});
            return Optional.of(new Lease() {
                @Override
                public boolean isValid() {
                    leaseChecks.incrementAndGet();
                    return lease.isValid();
                }

                @Override
                public void close() {
                    lease.close();
                }
            });
        }
    }

    private static AppendResult append(EventStore store, String stream) {
        return store.append(stream, ExpectedVersion.any(), List.of(EventData.of("Ticked", "{}")));
    }

    @Test
    @Timeout(300)
    void a_wake_up_whose_poll_ends_before_the_waker_records_it_is_not_lost_for_later_appends() throws Exception {
        EventStore store = new InMemoryEventStore();
        List<Counting> projections = new ArrayList<>();
        ProjectionRunner.Builder builder = ProjectionRunner.builder(store).pollInterval(Duration.ofHours(1));
        for (int i = 0; i < 32; i++) {
            Counting c = new Counting("p" + i);
            projections.add(c);
            builder.add(c);
        }
        AtomicBoolean burning = new AtomicBoolean(true);
        List<Thread> burners = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Thread t = new Thread(() -> {
                long x = 0;
                while (burning.get()) {
                    x += System.nanoTime() % 7;
                }
                if (x == 42) {
                    System.out.print("");
                }
            });
            t.setDaemon(true);
            t.start();
            burners.add(t);
        }
        try (ProjectionRunner runner = builder.build()) {
            runner.start();
            for (int i = 0; i < 400; i++) {
                Thread.sleep(3); // the last poll ended long enough ago: the woken poll is due at once
                AppendResult written = append(store, "s" + (i % 5));
                for (Counting c : projections) {
                    // not awaitPosition: a waiter brings the poll forward itself, and would hide a lost wake-up
                    assertThat(appliedWithin(c, written.position(), Duration.ofSeconds(20)))
                            .as("append %d read by %s, whose timed poll is an hour away", i, c.name())
                            .isTrue();
                }
            }
        } finally {
            burning.set(false);
            for (Thread t : burners) {
                t.join();
            }
        }
    }

    @Test
    @Timeout(300)
    void appends_in_tight_loops_that_find_a_poll_already_due_are_all_read_without_waking_it_again() throws Exception {
        EventStore store = new InMemoryEventStore();
        // each read lingers after its rows: appends then commit between a poll's read and its end
        EventStore lingering = new ForwardingEventStore(store) {
            @Override
            public List<RecordedEvent> readAll(long afterPosition, int maxCount) {
                List<RecordedEvent> page = super.readAll(afterPosition, maxCount);
                pause(1);
                return page;
            }
        };
        Counting c = new Counting("p");
        try (ProjectionRunner runner = ProjectionRunner.builder(lingering)
                .add(c)
                .pollInterval(Duration.ofHours(1))
                .batchSize(4) // full pages too: a poll then schedules the next at once
                .build()) {
            runner.start();
            for (int round = 0; round < 30; round++) {
                List<Thread> writers = new ArrayList<>();
                AtomicLong last = new AtomicLong();
                for (int w = 0; w < 3; w++) {
                    String stream = "w" + w;
                    Thread t = new Thread(() -> {
                        for (int i = 0; i < 40; i++) {
                            last.accumulateAndGet(append(store, stream).position(), Math::max);
                            // spread over the polls, so that the last append may come at any moment of one
                            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(2_000_000));
                        }
                    });
                    t.start();
                    writers.add(t);
                }
                for (Thread t : writers) {
                    t.join();
                }
                assertThat(appliedWithin(c, last.get(), Duration.ofSeconds(20)))
                        .as("round %d: the last append read, the timed poll an hour away", round)
                        .isTrue();
            }
        }
    }

    /** Whether {@code c} applies {@code position} within {@code timeout}, watched from outside the runner. */
    private static boolean appliedWithin(Counting c, long position, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (c.checkpoint() < position) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** A store whose appends wake no runner: as if another process had made them. */
    static final class Silent extends ForwardingEventStore {
        Silent(EventStore delegate) {
            super(delegate);
        }

        @Override
        public Listening onAppend(Runnable listener) {
            return () -> {};
        }
    }

    /**
     * A started runner of {@code c} on {@code runnerStore} that polls once an hour, once its first
     * poll has read an event appended to {@code store} (the next poll is then an hour away).
     */
    private static ProjectionRunner hourlyAfterFirstRead(
            EventStore store, EventStore runnerStore, Counting c, boolean wakeOnAppend) {
        ProjectionRunner runner = ProjectionRunner.builder(runnerStore)
                .add(c)
                .pollInterval(Duration.ofHours(1))
                .wakeOnAppend(wakeOnAppend)
                .build();
        AppendResult first = append(store, "s");
        runner.start();
        assertThat(runner.awaitPosition(c.name(), first.position(), Duration.ofSeconds(10)))
                .as("the first poll")
                .isTrue();
        return runner;
    }

    @Test
    @Timeout(60)
    void a_caller_of_await_position_brings_the_poll_forward_without_an_append_to_wake_it() {
        EventStore store = new InMemoryEventStore();
        Counting c = new Counting("p");
        try (ProjectionRunner runner = hourlyAfterFirstRead(store, new Silent(store), c, true)) {
            for (int i = 0; i < 50; i++) {
                AppendResult written = append(store, "s" + (i % 5));
                assertThat(runner.awaitPosition("p", written.position(), Duration.ofSeconds(10)))
                        .as("append %d, heard by no one, waited for", i)
                        .isTrue();
            }
        }
        assertThat(c.applies.get()).as("one read per waiter at most").isLessThanOrEqualTo(51);
    }

    @Test
    @Timeout(60)
    void a_caller_that_does_not_wait_brings_no_read_forward() throws InterruptedException {
        EventStore store = new InMemoryEventStore();
        Counting c = new Counting("p");
        try (ProjectionRunner runner = hourlyAfterFirstRead(store, new Silent(store), c, true)) {
            AppendResult written = append(store, "s");

            assertThat(runner.awaitPosition("p", written.position(), Duration.ZERO))
                    .isFalse();
            Thread.sleep(300);
            assertThat(c.checkpoint())
                    .as("no read for a caller with no time to wait")
                    .isLessThan(written.position());
        }
    }

    @Test
    @Timeout(60)
    void without_wake_ups_a_caller_of_await_position_waits_for_the_poll_interval() {
        EventStore store = new InMemoryEventStore();
        try (ProjectionRunner runner = hourlyAfterFirstRead(store, store, new Counting("p"), false)) {
            AppendResult written = append(store, "s");
            assertThat(runner.awaitPosition("p", written.position(), Duration.ofMillis(300)))
                    .isFalse();
        }
    }

    @Test
    void a_listener_that_throws_an_error_neither_fails_the_stored_append_nor_silences_the_others() {
        EventStore store = new InMemoryEventStore();
        AtomicInteger told = new AtomicInteger();
        store.onAppend(() -> {
            throw new AssertionError("a listener's bug");
        });
        store.onAppend(told::incrementAndGet);

        AppendResult written = append(store, "s");

        assertThat(written.position()).isEqualTo(1);
        assertThat(told).as("the listener after the failing one").hasValue(1);
    }
}
