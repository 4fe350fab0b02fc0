package io.annals.pricetracker.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.api.ApiRequest;
import io.annals.pricetracker.api.ApiResponse;
import io.annals.pricetracker.api.PriceTrackerApi;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The price tracker's HTTP API as an AWS Lambda function behind API Gateway (proxy integration,
 * REST API or HTTP API): reads the proxy event, hands it to the same {@link PriceTrackerApi} the
 * HTTP server uses, and writes the proxy response. The article's command and query Lambdas in
 * one function; the router picks the route.
 *
 * <p>Handler string: {@code io.annals.pricetracker.lambda.ApiGatewayHandler}. The store is the
 * one at the JDBC URL in the environment variable {@code PRICETRACKER_DB_URL} (default
 * {@code jdbc:sqlite:/tmp/pricetracker.db}, which is private to one container), opened once per
 * container. The read models are brought up to date by {@link ProjectorHandler} on a schedule; a
 * read with {@code ?atLeast=POSITION} does not wait for it: it runs a bounded catch-up pass of the
 * projections up to that position first (no thread runs between invocations, so nothing else
 * would move them), within {@link #READ_WAIT}, then answers, or answers 503 with
 * {@code Retry-After} when the read models are still behind (a long history to catch up, or a pass
 * elsewhere that holds a projection).
 *
 * <p>Every invocation answers with a proxy response: a malformed event gets 400
 * ({@code "error": "invalid_event"}), a store that cannot be opened 503
 * ({@code "error": "unavailable"}); only a failure to write the response throws.
 */
public final class ApiGatewayHandler implements RequestStreamHandler {

    /** How long a read with {@code ?atLeast} may take to bring the read models forward, or wait for them. */
    public static final Duration READ_WAIT = Duration.ofSeconds(5);

    private static PriceTrackerApi shared; // guarded by ApiGatewayHandler.class
    private static PriceTracker sharedTracker; // guarded by ApiGatewayHandler.class

    private final Supplier<PriceTrackerApi> api;

    /** The handler the Lambda runtime creates: the container's shared tracker, opened on first use. */
    public ApiGatewayHandler() {
        LambdaEnvironment.prepareForSnapshot();
        this.api = ApiGatewayHandler::shared;
    }

    /**
     * A handler on a given router, for tests and for embedding.
     *
     * @param api the router
     * @throws NullPointerException if {@code api} is null
     */
    public ApiGatewayHandler(PriceTrackerApi api) {
        Objects.requireNonNull(api, "api");
        this.api = () -> api;
    }

    /** A handler whose router comes from {@code api} on each invocation (tests of a failing open). */
    ApiGatewayHandler(Supplier<PriceTrackerApi> api) {
        this.api = Objects.requireNonNull(api, "api");
    }

    private static synchronized PriceTrackerApi shared() {
        PriceTracker tracker = LambdaEnvironment.tracker();
        if (shared == null || sharedTracker != tracker) { // a new one after a SnapStart restore
            shared = new PriceTrackerApi(tracker, READ_WAIT, true);
            sharedTracker = tracker;
        }
        return shared;
    }

    /**
     * Answers one API Gateway proxy event.
     *
     * @param input the event (UTF-8 JSON)
     * @param output where the proxy response goes
     * @param context the invocation, for its logger; may be null
     * @throws IOException if the event cannot be read or the response cannot be written
     */
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        output.write(ProxyEvents.response(answer(input.readAllBytes(), context)));
        output.flush();
    }

    private ApiResponse answer(byte[] event, Context context) {
        ApiRequest request;
        try {
            request = ProxyEvents.request(event);
        } catch (IllegalArgumentException e) {
            LambdaEnvironment.log(context, "malformed proxy event: " + e.getMessage());
            return PriceTrackerApi.error(400, "invalid_event", e.getMessage());
        }
        PriceTrackerApi router;
        try {
            router = api.get();
        } catch (RuntimeException e) {
            LambdaEnvironment.log(context, "cannot open the price tracker: " + e);
            ApiResponse refused = PriceTrackerApi.error(503, "unavailable", "the store cannot be opened");
            Map<String, String> headers = new HashMap<>(refused.headers());
            headers.put("Retry-After", "1");
            return new ApiResponse(refused.status(), headers, refused.body());
        }
        return router.handle(request);
    }
}
