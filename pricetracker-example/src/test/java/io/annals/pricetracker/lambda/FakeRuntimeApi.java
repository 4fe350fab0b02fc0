package io.annals.pricetracker.lambda;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A fake of the AWS Lambda runtime API (version 2018-06-01), the HTTP interface through which a
 * runtime (here the runtime interface client) takes invocations and hands back their results:
 * {@code GET /2018-06-01/runtime/invocation/next} answers the next event given to
 * {@link #invoke}, with a request id and a deadline, and waits while there is none; {@code POST
 * .../invocation/{id}/response} and {@code .../invocation/{id}/error} complete the invocation;
 * {@code POST .../init/error} fails every invocation. Nothing reaches AWS.
 */
final class FakeRuntimeApi implements AutoCloseable {

    private static final String PREFIX = "/2018-06-01/runtime/";

    /** What the runtime answered: {@code response} or {@code error}, and the body it posted. */
    record Outcome(String kind, String body) {}

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-lambda-runtime-api");
        t.setDaemon(true);
        return t;
    });
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Map<String, CompletableFuture<Outcome>> outcomes = new ConcurrentHashMap<>();
    private final CompletableFuture<String> initError = new CompletableFuture<>();
    private volatile boolean closed;

    private record Pending(String requestId, byte[] event) {}

    FakeRuntimeApi() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(PREFIX, this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** The value of {@code AWS_LAMBDA_RUNTIME_API} for the runtime: host and port. */
    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /**
     * Hands {@code event} to the runtime's next {@code /next} and waits for its outcome.
     *
     * @throws AssertionError if the runtime reported an init error, or gave no answer in time
     */
    Outcome invoke(byte[] event, Duration timeout) throws InterruptedException {
        String requestId = UUID.randomUUID().toString();
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        outcomes.put(requestId, outcome);
        queue.add(new Pending(requestId, event));
        try {
            return CompletableFuture.anyOf(outcome, initError)
                    .thenApply(o -> {
                        if (o instanceof Outcome result) {
                            return result;
                        }
                        throw new AssertionError("the runtime reported an init error: " + o);
                    })
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("the runtime did not answer invocation " + requestId + " within " + timeout);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath().substring(PREFIX.length());
            String method = exchange.getRequestMethod();
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (method.equals("GET") && path.equals("invocation/next")) {
                next(exchange);
            } else if (method.equals("POST") && path.equals("init/error")) {
                initError.complete(new String(body, StandardCharsets.UTF_8));
                reply(exchange, 202, "{\"status\":\"OK\"}");
            } else if (method.equals("POST") && path.matches("invocation/[^/]+/(response|error)")) {
                String[] parts = path.split("/");
                CompletableFuture<Outcome> outcome = outcomes.get(parts[1]);
                if (outcome == null) {
                    reply(
                            exchange,
                            400,
                            "{\"errorMessage\":\"unknown request id\",\"errorType\":\"InvalidRequestID\"}");
                    return;
                }
                outcome.complete(new Outcome(parts[2], new String(body, StandardCharsets.UTF_8)));
                reply(exchange, 202, "{\"status\":\"OK\"}");
            } else {
                reply(exchange, 404, "{\"errorMessage\":\"not found\",\"errorType\":\"NotFound\"}");
            }
        }
    }

    /** Waits for an event, as the real API does; the runtime's call stays open meanwhile. */
    private void next(HttpExchange exchange) throws IOException {
        Pending pending = null;
        try {
            while (pending == null && !closed) {
                pending = queue.poll(100, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (pending == null) {
            reply(exchange, 500, "{\"errorMessage\":\"shutting down\",\"errorType\":\"ServiceException\"}");
            return;
        }
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", "application/json");
        headers.set("Lambda-Runtime-Aws-Request-Id", pending.requestId());
        headers.set("Lambda-Runtime-Deadline-Ms", String.valueOf(System.currentTimeMillis() + 30_000));
        headers.set(
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:eu-west-1:123456789012:function:pricetracker-dev-api");
        headers.set(
                "Lambda-Runtime-Trace-Id",
                "Root=1-65f2a1b0-2c8e0d5a7f3b4e6d1a9c0b12;Parent=53995c3f42cd8ad8;Sampled=0");
        exchange.sendResponseHeaders(200, pending.event().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(pending.event());
        }
    }

    private static void reply(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        closed = true;
        server.stop(0);
        executor.shutdownNow();
    }
}
