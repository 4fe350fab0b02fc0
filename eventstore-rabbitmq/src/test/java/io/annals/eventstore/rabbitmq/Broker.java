package io.annals.eventstore.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The RabbitMQ broker the tests talk to: a real one. Its URI comes from the system property
 * {@code annals.test.rabbitmq.uri} (the {@code rabbitmq} Maven profile: the broker on
 * 127.0.0.1:5672, guest/guest). A test that cannot reach it fails. Each test declares an exchange
 * and queues of its own, uniquely named, durable (they survive a restart of the broker), and
 * deletes them afterwards.
 */
final class Broker {

    static final String URI = System.getProperty("annals.test.rabbitmq.uri", "amqp://guest:guest@127.0.0.1:5672/%2F");

    private Broker() {}

    static ConnectionFactory factory() {
        ConnectionFactory f = new ConnectionFactory();
        try {
            f.setUri(URI);
        } catch (Exception e) {
            throw new IllegalStateException("annals.test.rabbitmq.uri is not an AMQP URI: " + URI, e);
        }
        f.setConnectionTimeout(5_000);
        return f;
    }

    static Connection connect() {
        try {
            return factory().newConnection("annals-test");
        } catch (Exception e) {
            throw new IllegalStateException(
                    "RabbitMQ at " + URI + ": " + e + " (the RabbitMQ tests need a broker: see docs/rabbitmq.md)", e);
        }
    }

    /** A durable topic exchange, and a durable queue bound to it for every routing key. */
    record Topology(String exchange, String queue) {

        static Topology declare(String prefix) throws IOException, java.util.concurrent.TimeoutException {
            String id = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            Topology t = new Topology("annals-test-" + prefix + "-" + id, "annals-test-" + prefix + "-" + id + "-all");
            try (Connection c = connect();
                    Channel ch = c.createChannel()) {
                ch.exchangeDeclare(t.exchange, "topic", true);
                ch.queueDeclare(t.queue, true, false, false, null);
                ch.queueBind(t.queue, t.exchange, "#");
            }
            return t;
        }

        /** Another durable queue, bound with {@code bindingKey}. */
        String bindQueue(String suffix, String bindingKey) throws IOException, java.util.concurrent.TimeoutException {
            String q = exchange + "-" + suffix;
            try (Connection c = connect();
                    Channel ch = c.createChannel()) {
                ch.queueDeclare(q, true, false, false, null);
                ch.queueBind(q, exchange, bindingKey);
            }
            return q;
        }

        /** Deletes the exchange and every queue named after it. */
        void delete(String... otherQueues) throws IOException, java.util.concurrent.TimeoutException {
            try (Connection c = connect();
                    Channel ch = c.createChannel()) {
                ch.queueDelete(queue);
                for (String q : otherQueues) {
                    ch.queueDelete(q);
                }
                ch.exchangeDelete(exchange);
            }
        }
    }

    /**
     * Takes messages from {@code queue} (acknowledging them) until their message ids include every
     * one of {@code expected}, or {@code timeoutMillis} passes; a connection that fails (the broker
     * restarting) is opened again. Returns every message id taken, duplicates included, in the
     * order taken.
     */
    static List<String> drain(String queue, Collection<String> expected, long timeoutMillis)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        List<String> taken = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        while (!seen.containsAll(expected) && System.nanoTime() - deadline < 0) {
            try (Connection c = factory().newConnection("annals-test-drain");
                    Channel ch = c.createChannel()) {
                for (GetResponse r; (r = ch.basicGet(queue, true)) != null; ) {
                    String id = r.getProps().getMessageId();
                    taken.add(id);
                    seen.add(id);
                }
            } catch (Exception e) {
                // the broker is away: try again
            }
            if (!seen.containsAll(expected)) {
                Thread.sleep(100);
            }
        }
        return taken;
    }

    /** Runs {@code rabbitmqctl args} and fails unless it succeeds. */
    static void rabbitmqctl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("rabbitmqctl");
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("rabbitmqctl " + String.join(" ", args) + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(
                    "rabbitmqctl " + String.join(" ", args) + " failed (" + p.exitValue() + "): " + out);
        }
    }
}
