package io.annals.eventstore.rabbitmq;

import com.rabbitmq.client.ConnectionFactory;
import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.projection.Subscriber;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * An outbox relay: tails the global log of a JDBC store (or the events of some types) and
 * publishes every event to a RabbitMQ exchange, <b>at least once</b>. It is a {@link Subscriber}
 * with a checkpoint and a lease of its own: each batch is published on a channel in confirm mode,
 * and the checkpoint moves only after the broker confirmed every message of the batch. A crash,
 * a nack or a lost connection publishes the batch again; nothing is skipped, and a message may
 * come twice, so consumers deduplicate by message id (the event id).
 *
 * <pre>{@code
 * ConnectionFactory broker = new ConnectionFactory();
 * broker.setUri("amqp://guest:guest@localhost:5672/%2F");
 * try (RabbitRelay relay = RabbitRelay.builder(store, broker).exchange("orders").build()) {
 *     relay.start();
 *     ...
 * }
 * }</pre>
 *
 * <p>Each message: body the event's JSON (UTF-8), content type {@code application/json},
 * persistent, message id the event id, AMQP type the event type, timestamp the time it was
 * recorded (seconds), routing key the event type unless {@linkplain Builder#routingKey configured}
 * otherwise, and the headers {@value #HEADER_TYPE}, {@value #HEADER_STREAM_ID}, {@value
 * #HEADER_STREAM_VERSION} (long), {@value #HEADER_POSITION} (long), {@value #HEADER_RECORDED_AT}
 * (ISO-8601), {@value #HEADER_METADATA} (the metadata as one JSON object, when there is any;
 * {@value #HEADER_METADATA_OMITTED} instead when it would not fit in one AMQP frame) and
 * {@value #HEADER_TAGS} (an array of the tags, sorted, when there are any).
 *
 * <p>The relay declares nothing on the broker: declare the exchange, and the queues bound to it,
 * durable, before the relay starts. Messages that no queue is bound to receive are confirmed and
 * dropped by the broker, as with any publisher (give the exchange an alternate exchange to keep
 * them). A failing batch is retried on a new connection with exponential back-off from 100 ms up
 * to {@linkplain Builder#maxBackoff maxBackoff}: the relay reconnects on its own after the broker
 * or the network comes back. On PostgreSQL, relays of the same name in several processes compete
 * for one lease and one publishes; on SQLite the lease keeps out relays in the same JVM only.
 */
public final class RabbitRelay implements AutoCloseable {

    /** Header: the event's type. */
    public static final String HEADER_TYPE = "annals-type";
    /** Header: the id of the event's stream. */
    public static final String HEADER_STREAM_ID = "annals-stream-id";
    /** Header: the event's version in its stream (long). */
    public static final String HEADER_STREAM_VERSION = "annals-stream-version";
    /** Header: the event's position in the global log (long). */
    public static final String HEADER_POSITION = "annals-position";
    /** Header: when the event was recorded, ISO-8601 in UTC. */
    public static final String HEADER_RECORDED_AT = "annals-recorded-at";
    /** Header: the event's metadata as one JSON object of strings; absent when it has none. */
    public static final String HEADER_METADATA = "annals-metadata";
    /**
     * Header: present instead of {@value #HEADER_METADATA} when the event's metadata, as JSON,
     * would not fit in one AMQP frame with the other properties (the broker's {@code frame_max},
     * 128 KiB by default); its value is the metadata's size in bytes (long). Read the event from
     * the store, by its id, for the metadata.
     */
    public static final String HEADER_METADATA_OMITTED = "annals-metadata-omitted";
    /** Header: the event's tags, an array of strings; absent when it has none. */
    public static final String HEADER_TAGS = "annals-tags";

    /** The longest {@link Builder#confirmTimeout}. */
    private static final Duration MAX_CONFIRM_TIMEOUT = Duration.ofDays(1);

    /** The longest routing key AMQP carries, in UTF-8 bytes. */
    private static final int MAX_ROUTING_KEY_BYTES = 255;

    private final String name;
    private final BatchPublisher publisher;
    private final ProjectionRunner runner;

    private RabbitRelay(Builder b) {
        this.name = b.name;
        this.publisher =
                new BatchPublisher(b.broker, "annals-relay-" + b.name, b.exchange, b.routingKey, b.confirmTimeout);
        Subscriber subscriber = Subscriber.of(b.name, publisher);
        if (b.types != null) {
            subscriber = subscriber.onlyTypes(b.types);
        }
        this.runner = ProjectionRunner.builder(b.store)
                .add(b.store.projectors().subscriber(subscriber))
                .batchSize(b.batchSize)
                .pollInterval(b.pollInterval)
                .maxBackoff(b.maxBackoff)
                .build();
    }

    /**
     * A builder of a relay from {@code store} to the broker {@code broker} connects to. The
     * relay uses a copy of {@code broker} without automatic recovery: it reconnects by itself.
     *
     * @throws NullPointerException if an argument is null
     */
    public static Builder builder(JdbcEventStore store, ConnectionFactory broker) {
        return new Builder(store, broker);
    }

    /**
     * The default routing key of an event: its type, or for a type longer than AMQP allows, its
     * first 200 bytes (whole characters), {@code #} and 16 hex digits of its SHA-256.
     */
    static String typeRoutingKey(String type) {
        byte[] utf8 = type.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= MAX_ROUTING_KEY_BYTES) {
            return type;
        }
        StringBuilder head = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < type.length(); ) {
            int cp = type.codePointAt(i);
            int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + n > 200) {
                break;
            }
            head.appendCodePoint(cp);
            bytes += n;
            i += Character.charCount(cp);
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(utf8);
            return head + "#" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** The relay's name: the key of its checkpoint and lease. */
    public String name() {
        return name;
    }

    /**
     * Starts relaying on a daemon thread of its own, until {@link #close}. Does nothing on a
     * relay already started.
     *
     * @throws IllegalStateException if the relay is closed
     */
    public void start() {
        runner.start();
    }

    /**
     * Publishes everything up to the end of the log once, for a relay that is not started (a
     * scheduled function), while the caller waits.
     *
     * @return the status afterwards: {@code FAILED} with the error when a batch failed (the next
     *     call publishes it again), {@code STANDBY} when another relay holds the lease
     * @throws IllegalStateException if the relay was started, or is closed
     */
    public ProjectionStatus catchUp() {
        return runner.catchUp().get(0);
    }

    /** Where the relay stands: its checkpoint, whether it runs, waits or fails, and why. */
    public ProjectionStatus status() {
        return runner.status(name);
    }

    /**
     * Waits until every event up to {@code position} has been published and confirmed (as this
     * relay or its checkpoint says).
     *
     * @return true when it has; false when {@code timeout} ran out first
     * @throws InterruptedWaitException if the calling thread is interrupted while it waits
     */
    public boolean awaitPosition(long position, Duration timeout) {
        return runner.awaitPosition(name, position, timeout);
    }

    /**
     * Stops after the batch under way (10 seconds at most), lets go of the lease and closes the
     * connection to the broker. Closing again does nothing.
     */
    @Override
    public void close() {
        try {
            runner.close();
        } finally {
            publisher.close();
        }
    }

    /** Configures a {@link RabbitRelay}. */
    public static final class Builder {
        private final JdbcEventStore store;
        private final ConnectionFactory broker;
        private String name = "rabbitmq-relay";
        private @Nullable String exchange;
        private Function<RecordedEvent, String> routingKey = e -> typeRoutingKey(e.type());
        private @Nullable Set<String> types;
        private int batchSize = 100;
        private Duration pollInterval = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private Duration confirmTimeout = Duration.ofSeconds(30);

        private Builder(JdbcEventStore store, ConnectionFactory broker) {
            this.store = Objects.requireNonNull(store, "store");
            this.broker = Objects.requireNonNull(broker, "broker");
        }

        /**
         * The relay's name, the key of its checkpoint and lease; default {@code rabbitmq-relay}.
         * Keep it stable: a new name publishes the whole log again. Two relays to two exchanges
         * need two names.
         *
         * @throws IllegalArgumentException if it is blank or over 200 characters
         */
        public Builder name(String name) {
            Subscriber.of(name, events -> {}); // the same rule as a subscriber's name
            this.name = name;
            return this;
        }

        /**
         * The exchange to publish to (required; the empty string is the default exchange, which
         * routes to the queue named by the routing key). It must exist.
         *
         * @throws NullPointerException if {@code exchange} is null
         */
        public Builder exchange(String exchange) {
            this.exchange = Objects.requireNonNull(exchange, "exchange");
            return this;
        }

        /**
         * The routing key of an event's message; default its type (a type longer than AMQP's 255
         * bytes is cut to 200 bytes and followed by {@code #} and a hash of the whole type, so
         * that it stays distinct). It must not return null, and
         * must return the same key for the same event every time (a batch may be published
         * again).
         *
         * @throws NullPointerException if {@code routingKey} is null
         */
        public Builder routingKey(Function<RecordedEvent, String> routingKey) {
            this.routingKey = Objects.requireNonNull(routingKey, "routingKey");
            return this;
        }

        /**
         * Publishes only the events whose type is in {@code types}; the checkpoint still passes
         * the others. Default: every event, the store's {@code $stream-deleted} tombstones
         * included.
         *
         * @throws IllegalArgumentException if {@code types} is empty or holds a blank type
         */
        public Builder onlyTypes(Set<String> types) {
            Subscriber.of("check", events -> {}).onlyTypes(types);
            this.types = Set.copyOf(types);
            return this;
        }

        /**
         * Events read, published and confirmed at once; default 100. A crash republishes at most
         * one batch.
         *
         * @throws IllegalArgumentException if {@code n} is less than 1
         */
        public Builder batchSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, was " + n);
            }
            this.batchSize = n;
            return this;
        }

        /**
         * How long an idle relay waits before reading the log again; default 100 ms. Appends
         * through the same store object wake it at once.
         *
         * @throws IllegalArgumentException if {@code d} is not positive
         */
        public Builder pollInterval(Duration d) {
            this.pollInterval = positive(d, "pollInterval");
            return this;
        }

        /**
         * The longest wait between attempts of a failing batch (the broker down, a nack); the
         * wait starts at 100 ms and doubles. Default 30 s.
         *
         * @throws IllegalArgumentException if {@code d} is not positive
         */
        public Builder maxBackoff(Duration d) {
            this.maxBackoff = positive(d, "maxBackoff");
            return this;
        }

        /**
         * How long to wait for the broker to confirm a batch before the batch counts as failed
         * (and is published again on a new connection); default 30 s, at most a day.
         *
         * @throws IllegalArgumentException if {@code d} is not positive, or longer than a day
         */
        public Builder confirmTimeout(Duration d) {
            Duration t = positive(d, "confirmTimeout");
            if (t.compareTo(MAX_CONFIRM_TIMEOUT) > 0) {
                throw new IllegalArgumentException("confirmTimeout is at most " + MAX_CONFIRM_TIMEOUT + ", was " + d);
            }
            this.confirmTimeout = t;
            return this;
        }

        private static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, was " + d);
            }
            return d;
        }

        /**
         * The relay. Building it connects to nothing and starts no thread.
         *
         * @throws IllegalStateException if no exchange was set
         */
        public RabbitRelay build() {
            if (exchange == null) {
                throw new IllegalStateException("set the exchange to publish to");
            }
            return new RabbitRelay(this);
        }
    }
}
