package io.annals.eventstore.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.tck.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A relay in a child JVM killed with kill -9 again and again while events are appended: the
 * consumer receives every event, the first copies in log order; duplicates are counted and stay
 * within one batch per kill (the batch published but not yet checkpointed when the kill came).
 */
@Tag("rabbitmq")
class RelayKillTest {

    private static final int BATCH = 20;

    @TempDir
    Path dir;

    @Test
    @Timeout(300)
    void kills_during_appends_lose_nothing() throws Exception {
        killLoop(3, 11);
    }

    @Test
    @Tag("nightly")
    @Timeout(1800)
    void many_kills_during_appends_lose_nothing() throws Exception {
        killLoop(40, 12345);
    }

    private void killLoop(int kills, long seed) throws Exception {
        Broker.Topology topology = Broker.Topology.declare("kill");
        String url = "jdbc:sqlite:" + dir.resolve("kill.db");
        Random random = new Random(seed);
        AtomicBoolean appending = new AtomicBoolean(true);
        AtomicInteger appended = new AtomicInteger();
        AtomicReference<Throwable> appendFailure = new AtomicReference<>();
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            Thread appender = new Thread(() -> {
                try {
                    for (int i = 0; appending.get(); i++) {
                        store.append(
                                "tick-" + (i % 10),
                                ExpectedVersion.any(),
                                List.of(EventData.of("Ticked", "{\"n\":" + i + "}")));
                        appended.incrementAndGet();
                        Thread.sleep(3);
                    }
                } catch (Throwable e) {
                    appendFailure.set(e);
                }
            });
            appender.start();
            try {
                for (int k = 0; k < kills; k++) {
                    try (ChildJvm child = ChildJvm.start(
                            RelayChild.class, null, url, topology.exchange(), "killed", String.valueOf(BATCH))) {
                        assertThat(child.awaitLine("started"::equals, 60_000))
                                .as("the relay started; %s", child.describe())
                                .isTrue();
                        Thread.sleep(300 + random.nextInt(1200)); // publishing, mid-batch or between batches
                        child.kill();
                    }
                }
            } finally {
                appending.set(false);
                appender.join(30_000);
            }
            assertThat(appendFailure.get()).isNull();

            // A last relay, not killed, brings the rest over.
            List<RecordedEvent> log = store.readAll(0, Integer.MAX_VALUE);
            try (RabbitRelay relay = RabbitRelay.builder(store, Broker.factory())
                    .exchange(topology.exchange())
                    .name("killed")
                    .batchSize(BATCH)
                    .build()) {
                relay.start();
                assertThat(relay.awaitPosition(log.get(log.size() - 1).position(), Duration.ofSeconds(120)))
                        .as("the last relay caught up; %s", relay.status())
                        .isTrue();
            }
            List<String> ids = log.stream().map(e -> e.eventId().toString()).toList();
            List<String> taken = Broker.drain(topology.queue(), ids, 60_000);

            Set<String> firstCopies = new LinkedHashSet<>(taken);
            int duplicates = taken.size() - firstCopies.size();
            System.out.printf(
                    "relay kill loop: %d kills, %d events appended, %d messages received, %d duplicates"
                            + " (at most %d allowed)%n",
                    kills, log.size(), taken.size(), duplicates, kills * BATCH);
            assertThat(appended.get()).isEqualTo(log.size());
            assertThat(List.copyOf(firstCopies)).containsExactlyElementsOf(ids); // nothing lost, in order
            assertThat(duplicates).isLessThanOrEqualTo(kills * BATCH);
        } finally {
            topology.delete();
        }
    }
}
