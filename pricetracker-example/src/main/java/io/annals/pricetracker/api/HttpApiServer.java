package io.annals.pricetracker.api;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves a {@link PriceTrackerApi} on the JDK's built-in HTTP server: no framework. Bodies over
 * {@link PriceTrackerApi#MAX_BODY_BYTES} are refused with 413 without being read whole.
 */
public final class HttpApiServer implements AutoCloseable {

    /** The JDK server's switch for {@code TCP_NODELAY} on the connections it accepts. */
    static final String NODELAY = "sun.net.httpserver.nodelay";

    static {
        // The JDK's server writes a response's headers and its body apart: with Nagle's algorithm
        // on, a keep-alive client's delayed ACK holds each answer after the first about 40 ms (a
        // client on 16 connections got 350 answers a second instead of thousands). The JVM's own
        // setting, when given, stands. The server reads it once, when the first one starts.
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;

    private HttpApiServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts serving.
     *
     * @param api the router
     * @param host the address to bind, such as {@code 127.0.0.1}
     * @param port the port, 0 for any free one
     * @throws IOException if the address cannot be bound
     */
    public static HttpApiServer start(PriceTrackerApi api, String host, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 128);
        ExecutorService executor = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "pricetracker-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> serve(api, exchange));
        server.start();
        return new HttpApiServer(server, executor);
    }

    /** The port served. */
    public int port() {
        return server.getAddress().getPort();
    }

    private static void serve(PriceTrackerApi api, HttpExchange exchange) throws IOException {
        try (exchange) {
            ApiResponse response;
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readNBytes(PriceTrackerApi.MAX_BODY_BYTES + 1);
            }
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            if (body.length > PriceTrackerApi.MAX_BODY_BYTES) {
                response = PriceTrackerApi.error(
                        413, "body_too_large", "the request body is over " + PriceTrackerApi.MAX_BODY_BYTES + " bytes");
            } else if (query == null) {
                response = PriceTrackerApi.error(400, "invalid_query", "the query string is malformed");
            } else {
                response = api.handle(new ApiRequest(
                        exchange.getRequestMethod(),
                        exchange.getRequestURI().getPath(),
                        query,
                        new String(body, StandardCharsets.UTF_8)));
            }
            byte[] out = response.body().getBytes(StandardCharsets.UTF_8);
            response.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(response.status(), head || out.length == 0 ? -1 : out.length);
            if (!head && out.length > 0) {
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(out);
                }
            }
        }
    }

    /** The query parameters (the first value of each), or null when malformed. */
    public static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        try {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.putIfAbsent(key, value);
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        return out;
    }

    /** Stops serving (waiting up to a second for exchanges in flight). */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
    }
}
