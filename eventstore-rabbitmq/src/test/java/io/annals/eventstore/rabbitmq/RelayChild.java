package io.annals.eventstore.rabbitmq;

import io.annals.eventstore.jdbc.JdbcEventStore;
import java.time.Duration;

/**
 * A relay in a process of its own, to be killed: {@code RelayChild JDBC_URL EXCHANGE NAME
 * BATCH_SIZE}. Prints {@code started} once relaying, then relays until killed.
 */
public final class RelayChild {

    private RelayChild() {}

    public static void main(String[] args) throws InterruptedException {
        JdbcEventStore store = JdbcEventStore.open(args[0]);
        RabbitRelay relay = RabbitRelay.builder(store, Broker.factory())
                .exchange(args[1])
                .name(args[2])
                .batchSize(Integer.parseInt(args[3]))
                .pollInterval(Duration.ofMillis(10))
                .maxBackoff(Duration.ofMillis(500))
                .build();
        relay.start();
        System.out.println("started");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE); // until kill -9
    }
}
