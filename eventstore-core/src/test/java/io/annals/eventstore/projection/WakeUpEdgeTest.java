package io.annals.eventstore.projection;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.WakeUpRaceTest.Counting;
import io.annals.eventstore.tck.ForwardingEventStore;
import java.time.Duration;
import java.util.List;
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
}
