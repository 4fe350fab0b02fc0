package io.annals.eventstore.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.jdbc.JdbcEventStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker restarts (rabbitmqctl stop_app, then start_app, always in a finally) while a relay
 * publishes and events are appended: the relay reconnects by itself and every event reaches the
 * durable queue.
 */
@Tag("rabbitmq")
class BrokerRestartTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(300)
    void a_broker_restart_is_survived() throws Exception {
        Broker.Topology topology = Broker.Topology.declare("restart");
        AtomicBoolean appending = new AtomicBoolean(true);
        AtomicReference<Throwable> appendFailure = new AtomicReference<>();
        try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:" + dir.resolve("restart.db"));
                RabbitRelay relay = RabbitRelay.builder(store, Broker.factory())
                        .exchange(topology.exchange())
                        .name("restarted")
                        .batchSize(20)
                        .maxBackoff(Duration.ofMillis(500))
                        .confirmTimeout(Duration.ofSeconds(5))
                        .build()) {
            Thread appender = new Thread(() -> {
                try {
                    for (int i = 0; appending.get(); i++) {
                        store.append(
                                "tick-" + (i % 10),
                                ExpectedVersion.any(),
                                List.of(EventData.of("Ticked", "{\"n\":" + i + "}")));
                        Thread.sleep(5);
                    }
                } catch (Throwable e) {
                    appendFailure.set(e);
                }
            });
            appender.start();
            relay.start();
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (relay.status().checkpoint() == 0 && System.nanoTime() - deadline < 0) {
                    Thread.sleep(20);
                }
                assertThat(relay.status().checkpoint()).isPositive();
                Broker.rabbitmqctl("stop_app");
                try {
                    assertThatThrownBy(() -> Broker.factory().newConnection()).isNotNull(); // it is down
                    Thread.sleep(2_000); // the relay fails and backs off meanwhile
                } finally {
                    Broker.rabbitmqctl("start_app");
                }
                Thread.sleep(1_000); // appends go on after the restart
            } finally {
                appending.set(false);
                appender.join(30_000);
            }
            assertThat(appendFailure.get()).isNull();

            List<RecordedEvent> log = store.readAll(0, Integer.MAX_VALUE);
            assertThat(relay.awaitPosition(log.get(log.size() - 1).position(), Duration.ofSeconds(120)))
                    .as("the relay caught up after the restart; %s", relay.status())
                    .isTrue();
            List<String> ids = log.stream().map(e -> e.eventId().toString()).toList();
            List<String> taken = Broker.drain(topology.queue(), ids, 60_000);
            System.out.printf(
                    "broker restart: %d events, %d messages received, %d duplicates%n",
                    ids.size(), taken.size(), taken.size() - new LinkedHashSet<>(taken).size());
            assertThat(List.copyOf(new LinkedHashSet<>(taken))).containsExactlyElementsOf(ids);
        } finally {
            topology.delete();
        }
    }
}
