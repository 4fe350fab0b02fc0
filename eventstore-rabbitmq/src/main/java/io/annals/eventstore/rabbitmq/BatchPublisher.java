package io.annals.eventstore.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.Subscriber;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The relay's handler: publishes a batch on a confirming channel and returns once the broker has
 * confirmed every message of it. Any failure (a nack, a confirm that does not come in time, a lost
 * connection) closes the connection, so that the batch, delivered again by the subscriber after a
 * back-off, goes out on a new one. Used by the subscriber's thread only.
 */
final class BatchPublisher implements Subscriber.Handler, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RabbitRelay.class.getName());

    private final ConnectionFactory factory;
    private final String connectionName;
    private final String exchange;
    private final Function<RecordedEvent, String> routingKey;
    private final Duration confirmTimeout;
    private volatile @Nullable Connection connection;
    private volatile @Nullable Channel channel;

    BatchPublisher(
            ConnectionFactory factory,
            String connectionName,
            String exchange,
            Function<RecordedEvent, String> routingKey,
            Duration confirmTimeout) {
        // A copy without automatic recovery: a connection that failed is dropped and the batch
        // published again on a new one, which is simpler to reason about than a channel whose
        // pending confirms a recovery may or may not carry over.
        this.factory = factory.clone();
        this.factory.setAutomaticRecoveryEnabled(false);
        this.factory.setTopologyRecoveryEnabled(false);
        this.connectionName = connectionName;
        this.exchange = exchange;
        this.routingKey = routingKey;
        this.confirmTimeout = confirmTimeout;
    }

    @Override
    public void handle(List<RecordedEvent> events) throws IOException, TimeoutException, InterruptedException {
        try {
            Channel ch = channel();
            int frameMax = ch.getConnection().getFrameMax();
            for (RecordedEvent e : events) {
                String key = routingKey.apply(e);
                if (key == null) {
                    throw new IllegalStateException("the routing key function returned null for event " + e.eventId()
                            + " (" + e.type() + ", position " + e.position() + ")");
                }
                ch.basicPublish(exchange, key, false, properties(e, frameMax), body(e));
            }
            ch.waitForConfirmsOrDie(confirmTimeout.toMillis());
        } catch (IOException | TimeoutException | InterruptedException | RuntimeException e) {
            close(); // the next attempt connects again
            throw e;
        }
    }

    private Channel channel() throws IOException, TimeoutException {
        Channel ch = channel;
        if (ch != null && ch.isOpen()) {
            return ch;
        }
        close();
        Connection c = factory.newConnection(connectionName);
        try {
            ch = c.createChannel();
            ch.confirmSelect();
        } catch (IOException | RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
        LOG.log(Level.DEBUG, () -> "relay " + connectionName + " connected to " + factory.getHost());
        connection = c;
        channel = ch;
        return ch;
    }

    /**
     * Room kept in a frame for what {@link #headerBytes} does not count: the frame's and the
     * content header's own fields, the property flags, the lengths of the fields.
     */
    private static final int HEADER_SLACK = 1024;

    /**
     * The message properties of {@code e}. AMQP sends them in one frame of at most {@code
     * frameMax} bytes (0: no limit), and a client refuses a larger one at every attempt: an
     * event whose metadata, escaped as JSON, would not fit is published without it (a header
     * says how large it was) rather than stopping the relay on it for ever.
     */
    static AMQP.BasicProperties properties(RecordedEvent e, int frameMax) {
        Map<String, Object> headers = new HashMap<>();
        headers.put(RabbitRelay.HEADER_TYPE, e.type());
        headers.put(RabbitRelay.HEADER_STREAM_ID, e.streamId());
        headers.put(RabbitRelay.HEADER_STREAM_VERSION, e.version());
        headers.put(RabbitRelay.HEADER_POSITION, e.position());
        headers.put(RabbitRelay.HEADER_RECORDED_AT, e.recordedAt().toString());
        if (!e.tags().isEmpty()) {
            headers.put(RabbitRelay.HEADER_TAGS, List.copyOf(new java.util.TreeSet<>(e.tags())));
        }
        if (!e.metadata().isEmpty()) {
            String metadata = jsonObject(e.metadata());
            long size = utf8Length(metadata);
            if (frameMax > 0 && headerBytes(e, headers) + size > frameMax - HEADER_SLACK) {
                headers.put(RabbitRelay.HEADER_METADATA_OMITTED, size);
                LOG.log(
                        Level.WARNING,
                        () -> "event " + e.eventId() + " (" + e.type() + ", position " + e.position()
                                + ") is published without its metadata: " + size
                                + " bytes of JSON do not fit in a frame of " + frameMax + " bytes");
            } else {
                headers.put(RabbitRelay.HEADER_METADATA, metadata);
            }
        }
        return new AMQP.BasicProperties.Builder()
                .messageId(e.eventId().toString())
                .type(e.type())
                .contentType("application/json")
                .contentEncoding("utf-8")
                .deliveryMode(2) // persistent: a durable queue keeps it across a broker restart
                .timestamp(Date.from(e.recordedAt()))
                .headers(headers)
                .build();
    }

    /** The UTF-8 bytes of the headers so far and of the other properties, without their framing. */
    private static long headerBytes(RecordedEvent e, Map<String, Object> headers) {
        long n = 64 + 2L * utf8Length(e.type()); // message id, content type and encoding, type
        for (Map.Entry<String, Object> h : headers.entrySet()) {
            n += utf8Length(h.getKey()) + 8;
            if (h.getValue() instanceof List<?> list) {
                for (Object o : list) {
                    n += utf8Length(o.toString()) + 8;
                }
            } else {
                n += utf8Length(h.getValue().toString());
            }
        }
        return n;
    }

    private static long utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    static byte[] body(RecordedEvent e) {
        return e.json().getBytes(StandardCharsets.UTF_8);
    }

    /** The metadata as one JSON object, keys sorted. */
    static String jsonObject(Map<String, String> map) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, String> en : new TreeMap<>(map).entrySet()) {
            if (b.length() > 1) {
                b.append(',');
            }
            quote(b, en.getKey());
            b.append(':');
            quote(b, en.getValue());
        }
        return b.append('}').toString();
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        b.append('"');
    }

    /** Closes the connection, if any; the next batch opens a new one. */
    @Override
    public void close() {
        Connection c = connection;
        connection = null;
        channel = null;
        if (c != null) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close(2_000);
        } catch (IOException | RuntimeException e) {
            // already closed, or the broker is gone: nothing left to release
            c.abort(1_000);
        }
    }
}
