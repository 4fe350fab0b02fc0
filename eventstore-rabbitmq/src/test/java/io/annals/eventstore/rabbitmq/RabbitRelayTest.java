package io.annals.eventstore.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.ProjectionStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The relay against the broker: what reaches a consumer, and how. */
@Tag("rabbitmq")
class RabbitRelayTest {

    @TempDir
    Path dir;

    private JdbcEventStore store(String file) {
        return JdbcEventStore.open("jdbc:sqlite:" + dir.resolve(file));
    }

    private static List<RecordedEvent> appendMixed(JdbcEventStore store, int n) {
        for (int i = 0; i < n; i++) {
            String type = i % 3 == 0 ? "Priced" : "Created";
            EventData e = new EventData(
                    java.util.UUID.randomUUID(),
                    type,
                    "{\"i\":" + i + ",\"name\":\"t\\u00e9a \\\"green\\\"\"}",
                    Map.of("correlation", "c-" + i, "by", "tests"),
                    i % 2 == 0 ? Set.of("product:" + i, "shop:1") : Set.of());
            store.append("product-" + (i % 5), ExpectedVersion.any(), List.of(e));
        }
        return store.readAll(0, Integer.MAX_VALUE);
    }

    @Test
    @Timeout(120)
    void every_event_reaches_a_consumer_with_its_id_headers_and_body() throws Exception {
        Broker.Topology topology = Broker.Topology.declare("every");
        String pricedOnly = topology.bindQueue("priced", "Priced");
        try (JdbcEventStore store = store("every.db");
                Connection consumer = Broker.connect()) {
            List<RecordedEvent> first = appendMixed(store, 120);
            List<AMQP.BasicProperties> received = new CopyOnWriteArrayList<>();
            List<byte[]> bodies = new CopyOnWriteArrayList<>();
            List<String> priced = new CopyOnWriteArrayList<>();
            Channel ch = consumer.createChannel();
            ch.basicConsume(
                    topology.queue(),
                    true,
                    (tag, d) -> {
                        bodies.add(d.getBody());
                        received.add(d.getProperties());
                    },
                    tag -> {});
            ch.basicConsume(
                    pricedOnly, true, (tag, d) -> priced.add(d.getProperties().getMessageId()), tag -> {});

            try (RabbitRelay relay = RabbitRelay.builder(store, Broker.factory())
                    .exchange(topology.exchange())
                    .name("every")
                    .batchSize(25)
                    .build()) {
                relay.start();
                appendMixed(store, 130); // while it runs
                List<RecordedEvent> all = store.readAll(0, Integer.MAX_VALUE);
                assertThat(first).hasSize(120);
                assertThat(relay.awaitPosition(all.get(all.size() - 1).position(), Duration.ofSeconds(60)))
                        .isTrue();
                awaitSize(received, all.size());

                // one publisher, one queue: in log order, each event once (nothing failed)
                assertThat(received.stream().map(AMQP.BasicProperties::getMessageId))
                        .containsExactlyElementsOf(
                                all.stream().map(e -> e.eventId().toString()).toList());
                for (int i = 0; i < all.size(); i++) {
                    RecordedEvent e = all.get(i);
                    AMQP.BasicProperties p = received.get(i);
                    assertThat(p.getType()).isEqualTo(e.type());
                    assertThat(p.getContentType()).isEqualTo("application/json");
                    assertThat(p.getDeliveryMode()).isEqualTo(2);
                    assertThat(new String(bodies.get(i), StandardCharsets.UTF_8))
                            .isEqualTo(e.json());
                    Map<String, Object> h = p.getHeaders();
                    assertThat(h.get(RabbitRelay.HEADER_TYPE)).hasToString(e.type());
                    assertThat(h.get(RabbitRelay.HEADER_STREAM_ID)).hasToString(e.streamId());
                    assertThat(h.get(RabbitRelay.HEADER_STREAM_VERSION)).isEqualTo(e.version());
                    assertThat(h.get(RabbitRelay.HEADER_POSITION)).isEqualTo(e.position());
                    assertThat(h.get(RabbitRelay.HEADER_RECORDED_AT))
                            .hasToString(e.recordedAt().toString());
                    assertThat(h.get(RabbitRelay.HEADER_METADATA))
                            .hasToString("{\"by\":\"tests\",\"correlation\":\""
                                    + e.metadata().get("correlation") + "\"}");
                    if (e.tags().isEmpty()) {
                        assertThat(h).doesNotContainKey(RabbitRelay.HEADER_TAGS);
                    } else {
                        assertThat(((List<?>) h.get(RabbitRelay.HEADER_TAGS))
                                        .stream().map(Object::toString))
                                .containsExactlyElementsOf(
                                        e.tags().stream().sorted().toList());
                    }
                }
                // the routing key is the type: the queue bound to "Priced" gets those only
                awaitSize(priced, (int)
                        all.stream().filter(e -> e.type().equals("Priced")).count());
                assertThat(priced)
                        .containsExactlyElementsOf(all.stream()
                                .filter(e -> e.type().equals("Priced"))
                                .map(e -> e.eventId().toString())
                                .toList());
            }
        } finally {
            topology.delete(pricedOnly);
        }
    }

    @Test
    @Timeout(120)
    void a_filtered_relay_with_its_own_routing_key_publishes_its_types_and_passes_the_rest() throws Exception {
        Broker.Topology topology = Broker.Topology.declare("filtered");
        try (JdbcEventStore store = store("filtered.db")) {
            List<RecordedEvent> all = appendMixed(store, 60);
            try (RabbitRelay relay = RabbitRelay.builder(store, Broker.factory())
                    .exchange(topology.exchange())
                    .name("filtered")
                    .onlyTypes(Set.of("Priced"))
                    .routingKey(e -> "prices." + e.streamId())
                    .batchSize(7)
                    .build()) {
                ProjectionStatus status = relay.catchUp();
                assertThat(status.state()).isEqualTo(ProjectionStatus.State.STOPPED);
                assertThat(status.checkpoint())
                        .isEqualTo(all.get(all.size() - 1).position());
            }
            List<String> priced = all.stream()
                    .filter(e -> e.type().equals("Priced"))
                    .map(e -> e.eventId().toString())
                    .toList();
            List<String> taken = Broker.drain(topology.queue(), priced, 30_000);
            assertThat(taken).containsExactlyElementsOf(priced);
        } finally {
            topology.delete();
        }
    }

    @Test
    @Timeout(120)
    void an_event_whose_metadata_header_outgrows_a_frame_does_not_stop_the_relay() throws Exception {
        Broker.Topology topology = Broker.Topology.declare("bigmeta");
        try (JdbcEventStore store = store("bigmeta.db")) {
            // within the store's 64 KiB of metadata, but each control character is six
            // characters of JSON: about 360 KiB of header, over the broker's 128 KiB frames
            String odd = "\u0001".repeat(60_000);
            store.append(
                    "product-1",
                    ExpectedVersion.any(),
                    List.of(new EventData(
                            java.util.UUID.randomUUID(), "Created", "{}", Map.of("odd \"key\"", odd), Set.of())));
            store.append("product-1", ExpectedVersion.any(), List.of(EventData.of("Priced", "{}")));
            List<RecordedEvent> all = store.readAll(0, Integer.MAX_VALUE);
            try (RabbitRelay relay = RabbitRelay.builder(store, Broker.factory())
                    .exchange(topology.exchange())
                    .name("bigmeta")
                    .build()) {
                ProjectionStatus status = relay.catchUp();
                assertThat(status.lastError()).isEmpty();
                assertThat(status.checkpoint()).isEqualTo(all.get(1).position());
            }
            List<String> ids = all.stream().map(e -> e.eventId().toString()).toList();
            assertThat(Broker.drain(topology.queue(), ids, 30_000)).containsExactlyElementsOf(ids);
            // the next relay sees the header that says the metadata was left out
            store.append(
                    "product-2",
                    ExpectedVersion.any(),
                    List.of(new EventData(java.util.UUID.randomUUID(), "Created", "{}", Map.of("k", odd), Set.of())));
            try (Connection consumer = Broker.connect()) {
                Channel ch = consumer.createChannel();
                try (RabbitRelay relay = RabbitRelay.builder(store, Broker.factory())
                        .exchange(topology.exchange())
                        .name("bigmeta")
                        .build()) {
                    assertThat(relay.catchUp().lastError()).isEmpty();
                }
                com.rabbitmq.client.GetResponse got = null;
                for (int i = 0; i < 300 && got == null; i++) {
                    got = ch.basicGet(topology.queue(), true);
                    if (got == null) {
                        Thread.sleep(100);
                    }
                }
                assertThat(got).isNotNull();
                assertThat(got.getProps().getHeaders())
                        .doesNotContainKey(RabbitRelay.HEADER_METADATA)
                        .containsEntry(RabbitRelay.HEADER_METADATA_OMITTED, 8 + 6 * 60_000L); // {"k":"..."}
            }
        } finally {
            topology.delete();
        }
    }

    private static void awaitSize(List<?> list, int size) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (list.size() < size && System.nanoTime() - deadline < 0) {
            Thread.sleep(20);
        }
        assertThat(new ArrayList<>(list)).hasSize(size);
    }
}
