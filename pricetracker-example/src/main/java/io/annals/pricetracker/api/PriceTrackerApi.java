package io.annals.pricetracker.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamDeletedException;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.command.CommandResult;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.projection.ReadModel;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.ProductTimeline;
import io.annals.pricetracker.alerts.AlertTrigger;
import io.annals.pricetracker.alerts.AlertsView;
import io.annals.pricetracker.alerts.PriceAlerts;
import io.annals.pricetracker.alerts.Watch;
import io.annals.pricetracker.alerts.WatchEvent;
import io.annals.pricetracker.domain.Product;
import io.annals.pricetracker.domain.ProductAggregate;
import io.annals.pricetracker.domain.ProductCommand;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.DeleteProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import io.annals.pricetracker.domain.ProductCreation;
import io.annals.pricetracker.domain.ProductEvent;
import io.annals.pricetracker.domain.ProductId;
import io.annals.pricetracker.readmodel.MonthlyStats;
import io.annals.pricetracker.readmodel.PriceHistory;
import io.annals.pricetracker.readmodel.ProductView;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The price tracker's HTTP API as a function from {@link ApiRequest} to {@link ApiResponse}, so
 * that the JDK's HTTP server ({@link HttpApiServer}) and the Lambda handlers share one router.
 *
 * <table>
 *   <caption>Routes</caption>
 *   <tr><th>request</th><th>success</th><th>errors</th></tr>
 *   <tr><td>{@code POST /products {"productId","name","price","currency"?}}</td><td>201 + the product, Location</td><td>400, 409 exists, 409 name-taken</td></tr>
 *   <tr><td>{@code POST /products/{id}/price-changes {"variation"}}</td><td>200 + the product</td><td>400, 404, 409 deleted, 422 price not positive</td></tr>
 *   <tr><td>{@code DELETE /products/{id}}</td><td>200</td><td>400, 404, 409 already deleted</td></tr>
 *   <tr><td>{@code GET /products/{id}}</td><td>200 {@code {"productId","name","price","currency"?,"version"}}</td><td>400, 404</td></tr>
 *   <tr><td>{@code GET /products/{id}/history}</td><td>200 + the changes, oldest first</td><td>400, 404</td></tr>
 *   <tr><td>{@code GET /products/{id}/events?from=1&limit=100}</td><td>200 + the product's events from
 *       its stream, each with the product after it and the read-model rows it writes</td>
 *       <td>400, 404, 410 {@code stream_deleted}</td></tr>
 *   <tr><td>{@code GET /products/{id}/versions/{n}}</td><td>200 + the product after its n-th event, with that
 *       event and its rows</td><td>400 {@code invalid_version}, 400 {@code version_out_of_range}, 404, 410</td></tr>
 *   <tr><td>{@code DELETE /products/{id}?erase=true}</td><td>200: the product's streams and
 *       its watches' streams are deleted for good</td><td>400, 404</td></tr>
 *   <tr><td>{@code POST /products/{id}/watchers {"email","targetPrice"}}</td><td>201 + the watch</td>
 *       <td>400 {@code invalid_email}, 400, 404, 409 deleted, 422 {@code target_not_positive}</td></tr>
 *   <tr><td>{@code GET /products/{id}/alerts}</td><td>200 + the alerts, oldest first, each with
 *       {@code email} (null and {@code "forgotten": true} once the person was forgotten),
 *       {@code targetPrice}, {@code price}, {@code version}</td><td>400, 404</td></tr>
 *   <tr><td>{@code DELETE /watchers/{email}}</td><td>200: the person is forgotten
 *       (crypto-shredding)</td><td>400 {@code invalid_email}, 404 unknown email</td></tr>
 *   <tr><td>{@code GET /products}</td><td>200 + the products, by id</td><td>400</td></tr>
 *   <tr><td>{@code GET /stats/monthly}</td><td>200 + per month: changes, average, min, max variation</td><td></td></tr>
 *   <tr><td>{@code GET /}</td><td>200 the page</td><td></td></tr>
 * </table>
 * A product's {@code currency} (ISO 4217) is given at creation, {@code EUR} by default, and shown
 * only when it is not {@code EUR}, so that answers about products in euros keep the shape they
 * had before products had a currency.
 * A name is held by one product that is not deleted at most, compared without the white space
 * around it and whatever its case: creating another product of that name is 409
 * {@code name-taken}, until the first one is deleted.
 * The events and versions routes travel in time: they read the product's stream, not the read
 * models, fold it with the aggregate's {@code evolve} up to each event, and show the rows each
 * projection writes for it as {@link ProductTimeline} finds them; they answer for a deleted
 * product too, and 410 once its stream was deleted.
 * Write responses carry the stream {@code version} and the global {@code position} of the last
 * event; a read with {@code ?atLeast=POSITION} waits (up to 5 s, then 503 naming the read models
 * behind) until the read models its route reads have applied that position, so a client reads
 * its own write: the product view for the products, the price history, the monthly statistics,
 * the alerts' process manager and read model for the alerts. Where no projection runs in the
 * background (AWS Lambda), such a read first brings the read models up to that position itself.
 * Errors are {@code {"error": code, "message": text}} and change nothing.
 */
public final class PriceTrackerApi {

    /** The most significant digits an amount may have. */
    static final int MAX_DIGITS = 40;

    /** The most decimal places (or, negative, trailing zeros of its exponent) an amount may have. */
    static final int MAX_SCALE = 20;

    /** The largest request body accepted, in bytes. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(PriceTrackerApi.class);
    private static final Map<String, String> JSON_TYPE = Map.of("Content-Type", "application/json; charset=utf-8");
    // the read models each route reads, which its atLeast waits for
    private static final List<String> PRODUCT_VIEW = List.of(ProductView.Projector.NAME);
    private static final List<String> PRICE_HISTORY = List.of(PriceHistory.NAME);
    private static final List<String> MONTHLY_STATS = List.of(MonthlyStats.NAME);
    /** The process manager appends the alerts, then the alerts' read model records them. */
    private static final List<String> ALERTS = List.of(AlertTrigger.NAME, AlertsView.NAME);

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES) // 3.50 stays 3.50
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    private final PriceTracker tracker;
    private final Duration readWait;
    private final boolean catchUpOnRead;

    /**
     * A router for a tracker whose projections run in the background
     * ({@link PriceTracker#startProjections()}): a read with {@code atLeast} waits for them.
     *
     * @param tracker the application
     * @param readWait how long a read with {@code atLeast} waits for the read model
     */
    public PriceTrackerApi(PriceTracker tracker, Duration readWait) {
        this(tracker, readWait, false);
    }

    /**
     * A router that may bring the read models forward itself.
     *
     * @param tracker the application
     * @param readWait how long a read with {@code atLeast} waits for the read model, the
     *     catch-up pass included
     * @param catchUpOnRead whether a read with {@code atLeast} first runs a bounded catch-up pass
     *     of the projections ({@link io.annals.eventstore.projection.ProjectionRunner#catchUp(long,
     *     Duration)}): for a tracker whose projections are never started, such as one in an AWS
     *     Lambda function, where no thread runs between invocations
     */
    public PriceTrackerApi(PriceTracker tracker, Duration readWait, boolean catchUpOnRead) {
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.readWait = Objects.requireNonNull(readWait, "readWait");
        this.catchUpOnRead = catchUpOnRead;
    }

    /** An API error: the status, a short code and a message for people. */
    private static final class ApiError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final String code;
        final transient Map<String, String> headers;

        ApiError(int status, String code, String message) {
            this(status, code, message, Map.of());
        }

        ApiError(int status, String code, String message, Map<String, String> headers) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
            this.headers = headers;
        }
    }

    /** Answers one request; never throws. */
    public ApiResponse handle(ApiRequest request) {
        try {
            if (request.body().length() > MAX_BODY_BYTES
                    || request.body().getBytes(StandardCharsets.UTF_8).length > MAX_BODY_BYTES) {
                throw new ApiError(413, "body_too_large", "the request body is over " + MAX_BODY_BYTES + " bytes");
            }
            return route(request);
        } catch (ApiError e) {
            return error(e.status, e.code, e.getMessage(), e.headers);
        } catch (CommandRejectedException e) {
            return error(statusOf(e.code()), e.code(), e.getMessage(), Map.of());
        } catch (WrongExpectedVersionException e) {
            return error(409, "conflict", "too many concurrent changes, try again: " + e.getMessage(), Map.of());
        } catch (RuntimeException e) {
            LOG.error("{} {} failed", request.method(), loggable(request.path()), e);
            return error(500, "internal", "the server failed to handle the request", Map.of());
        }
    }

    /** A path as it may be logged or repeated: an email address in it is personal data. */
    private static String loggable(String path) {
        return path.contains("@") || path.toLowerCase(java.util.Locale.ROOT).contains("watchers/")
                ? "(a path holding an email address)"
                : path;
    }

    private static int statusOf(String rejection) {
        return switch (rejection) {
            case ProductAggregate.NOT_FOUND -> 404;
            case ProductAggregate.ALREADY_EXISTS, ProductAggregate.DELETED, ProductCreation.NAME_TAKEN -> 409;
            case ProductAggregate.PRICE_NOT_POSITIVE, PriceAlerts.TARGET_NOT_POSITIVE -> 422;
            default -> 400;
        };
    }

    private ApiResponse route(ApiRequest r) {
        String path = r.path().length() > 1 && r.path().endsWith("/")
                ? r.path().substring(0, r.path().length() - 1)
                : r.path();
        String[] parts = path.split("/", -1); // "" first
        String method = r.method();
        if (path.equals("/")) {
            allow(method, "GET");
            return page();
        }
        if (parts.length == 2 && parts[1].equals("products")) {
            allow(method, "GET", "POST");
            return method.equals("GET") ? listProducts(r) : create(r);
        }
        if (parts.length == 3 && parts[1].equals("products")) {
            allow(method, "GET", "DELETE");
            String id = productId(parts[2]);
            return method.equals("GET") ? getProduct(r, id) : delete(r, id);
        }
        if (parts.length == 4 && parts[1].equals("products") && parts[3].equals("watchers")) {
            allow(method, "POST");
            return watch(r, productId(parts[2]));
        }
        if (parts.length == 4 && parts[1].equals("products") && parts[3].equals("alerts")) {
            allow(method, "GET");
            return alerts(r, productId(parts[2]));
        }
        if (parts.length == 3 && parts[1].equals("watchers")) {
            allow(method, "DELETE");
            return forget(parts[2]);
        }
        if (parts.length == 4 && parts[1].equals("products") && parts[3].equals("price-changes")) {
            allow(method, "POST");
            return changePrice(r, productId(parts[2]));
        }
        if (parts.length == 4 && parts[1].equals("products") && parts[3].equals("history")) {
            allow(method, "GET");
            return history(r, productId(parts[2]));
        }
        if (parts.length == 4 && parts[1].equals("products") && parts[3].equals("events")) {
            allow(method, "GET");
            return events(r, productId(parts[2]));
        }
        if (parts.length == 5 && parts[1].equals("products") && parts[3].equals("versions")) {
            allow(method, "GET");
            return atVersion(productId(parts[2]), parts[4]);
        }
        if (path.equals("/stats/monthly")) {
            allow(method, "GET");
            return monthly(r);
        }
        throw new ApiError(404, "no_route", "no route for " + method + " " + loggable(r.path()));
    }

    private static void allow(String method, String... allowed) {
        for (String a : allowed) {
            if (a.equals(method)) {
                return;
            }
        }
        throw new ApiError(
                405,
                "method_not_allowed",
                "method " + method + " is not allowed here",
                Map.of("Allow", String.join(", ", allowed)));
    }

    private static String productId(String id) {
        try {
            return ProductId.check(id);
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "invalid_product_id", e.getMessage());
        }
    }

    // --- writes --------------------------------------------------------------------------

    private ApiResponse create(ApiRequest r) {
        JsonNode body = object(r.body());
        String currency = body.hasNonNull("currency") ? text(body, "currency") : ProductCommand.DEFAULT_CURRENCY;
        CreateProduct command = command(
                () -> new CreateProduct(text(body, "productId"), text(body, "name"), decimal(body, "price"), currency));
        CommandResult<Product, ProductEvent> result = tracker.handle(command);
        return json(201, Map.of("Location", "/products/" + command.productId()), written(result));
    }

    private ApiResponse changePrice(ApiRequest r, String id) {
        JsonNode body = object(r.body());
        UpdateProduct command = command(() -> new UpdateProduct(id, decimal(body, "variation")));
        return json(200, Map.of(), written(tracker.handle(command)));
    }

    private ApiResponse delete(ApiRequest r, String id) {
        String erase = r.query().getOrDefault("erase", "false");
        if (erase.equals("true")) {
            PriceTracker.Erasure erased = tracker.erase(id);
            ObjectNode out = JSON.createObjectNode();
            out.put("productId", id);
            out.put("erased", true);
            out.put("watchesErased", erased.watches());
            out.put("position", erased.position());
            return json(200, Map.of(), out);
        }
        if (!erase.equals("false")) {
            throw new ApiError(400, "invalid_parameter", "erase must be true or false");
        }
        CommandResult<Product, ProductEvent> result = tracker.handle(new DeleteProduct(id));
        ObjectNode out = JSON.createObjectNode();
        out.put("productId", id);
        out.put("deleted", true);
        out.put("version", result.version());
        out.put("position", result.position());
        return json(200, Map.of(), out);
    }

    private ApiResponse watch(ApiRequest r, String id) {
        JsonNode body = object(r.body());
        String email = text(body, "email");
        try {
            PriceAlerts.normaliseEmail(email);
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "invalid_email", "field 'email': " + e.getMessage());
        }
        BigDecimal target = decimal(body, "targetPrice");
        CommandResult<Watch, WatchEvent> result = tracker.watch(id, email, target);
        Watch watch = result.state();
        ObjectNode out = JSON.createObjectNode();
        out.put("productId", id);
        out.put("email", PriceAlerts.normaliseEmail(email));
        out.put("targetPrice", watch.targetPrice());
        currency(out, watch.currency());
        out.put("version", result.version());
        out.put("position", result.position());
        return json(201, Map.of(), out);
    }

    private ApiResponse forget(String email) {
        PriceAlerts.Forgetting forgot;
        try {
            forgot = tracker.priceAlerts().forget(email);
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "invalid_email", e.getMessage());
        }
        if (forgot.watches() == 0) {
            throw new ApiError(404, "not_found", "no watcher with this email address");
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("forgotten", true);
        out.put("watches", forgot.watches());
        out.put("position", forgot.position());
        return json(200, Map.of(), out);
    }

    private static <C extends ProductCommand> C command(java.util.function.Supplier<C> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ApiError(400, "invalid_field", e.getMessage());
        }
    }

    private static ObjectNode written(CommandResult<Product, ProductEvent> result) {
        Product p = result.state();
        ObjectNode out = JSON.createObjectNode();
        out.put("productId", p.productId());
        out.put("name", p.name());
        out.put("price", p.price());
        currency(out, p.currency());
        out.put("version", result.version());
        out.put("position", result.position());
        return out;
    }

    /** A product as the API shows it. */
    private static ObjectNode product(ProductView view) {
        ObjectNode out = JSON.createObjectNode();
        out.put("productId", view.productId());
        out.put("name", view.name());
        out.put("price", view.price());
        currency(out, view.currency());
        out.put("version", view.version());
        return out;
    }

    /**
     * The currency, unless it is the default: answers about products in euros keep the shape
     * they had before products had a currency.
     */
    private static void currency(ObjectNode product, String currency) {
        if (!currency.equals(ProductCommand.DEFAULT_CURRENCY)) {
            product.put("currency", currency);
        }
    }

    private static JsonNode object(String body) {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiError(400, "invalid_json", "the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new ApiError(400, "invalid_json", "the body must be a JSON object");
        }
        return node;
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            throw new ApiError(400, "missing_field", "field '" + field + "' is required");
        }
        if (!v.isTextual()) {
            throw new ApiError(400, "invalid_field", "field '" + field + "' must be a string");
        }
        return v.textValue();
    }

    /** A JSON number, or a string holding a decimal number ("3.50"). */
    private static BigDecimal decimal(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            throw new ApiError(400, "missing_field", "field '" + field + "' is required");
        }
        if (v.isNumber()) {
            BigDecimal d = v.decimalValue();
            // 1e2000000000 is a valid JSON number: writing it out in full would take gigabytes
            if (d.precision() > MAX_DIGITS || Math.abs(d.scale()) > MAX_SCALE) {
                throw new ApiError(
                        400,
                        "invalid_field",
                        "field '" + field + "' must be a decimal number of at most " + MAX_DIGITS + " digits and "
                                + MAX_SCALE + " decimal places");
            }
            return d;
        }
        if (v.isTextual() && v.textValue().matches("-?\\d{1,30}(\\.\\d{1,30})?")) {
            return new BigDecimal(v.textValue());
        }
        throw new ApiError(400, "invalid_field", "field '" + field + "' must be a decimal number");
    }

    // --- reads ---------------------------------------------------------------------------

    /**
     * Waits for {@code atLeast}, if asked, until the read models of {@code projections} (those the
     * route reads) have it; returns whether it was asked.
     */
    private boolean awaitIfAsked(ApiRequest r, List<String> projections) {
        String atLeast = r.query().get("atLeast");
        if (atLeast == null) {
            return false;
        }
        long position;
        try {
            position = Long.parseLong(atLeast);
        } catch (NumberFormatException e) {
            throw new ApiError(400, "invalid_parameter", "atLeast must be a position (a whole number)");
        }
        if (position < 0) {
            throw new ApiError(400, "invalid_parameter", "atLeast cannot be negative");
        }
        await(position, projections);
        return true;
    }

    private void await(long position, List<String> projections) {
        boolean reached;
        try {
            long deadline = System.nanoTime() + readWait.toNanos();
            if (catchUpOnRead) {
                for (ProjectionStatus s : tracker.projections().catchUp(position, readWait)) {
                    if (s.state() == ProjectionStatus.State.FAILED) {
                        LOG.warn("projection {} failed at checkpoint {}: {}", s.name(), s.checkpoint(), s.lastError());
                    }
                }
            }
            // A projection another runner holds (a pass of the projector function, or of
            // another read) is waited for.
            reached = tracker.awaitPosition(
                    position, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())), projections);
        } catch (InterruptedWaitException e) {
            reached = false; // the server is stopping: the client may ask again
        }
        if (!reached) {
            List<String> behind = tracker.behind(position, projections);
            throw new ApiError(
                    503,
                    "not_caught_up",
                    "the read models have not reached position " + position + " yet"
                            + (behind.isEmpty() ? "" : ": " + String.join(", ", behind)),
                    Map.of("Retry-After", "1"));
        }
    }

    private ApiResponse getProduct(ApiRequest r, String id) {
        awaitIfAsked(r, PRODUCT_VIEW);
        Optional<ProductView> view = tracker.views().get(id);
        if (view.isEmpty()) {
            throw new ApiError(404, "not_found", "no product " + id);
        }
        return json(200, Map.of(), product(view.get()));
    }

    private ApiResponse listProducts(ApiRequest r) {
        awaitIfAsked(r, PRODUCT_VIEW);
        int offset = intParameter(r, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = intParameter(r, "limit", 100, 1, 1000);
        ArrayNode products = JSON.createArrayNode();
        for (ReadModel.Row<String, ProductView> row : tracker.views().list(offset, limit)) {
            products.add(product(row.value()));
        }
        ObjectNode out = JSON.createObjectNode();
        out.set("products", products);
        out.put("offset", offset);
        out.put("limit", limit);
        return json(200, Map.of(), out);
    }

    private static int intParameter(ApiRequest r, String name, int fallback, int min, int max) {
        String v = r.query().get(name);
        if (v == null) {
            return fallback;
        }
        try {
            if (!v.matches("[0-9]{1,10}")) { // parseInt also takes a sign and non-ASCII digits
                throw new NumberFormatException();
            }
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ApiError(400, "invalid_parameter", name + " must be a whole number from " + min + " to " + max);
        }
    }

    private ApiResponse history(ApiRequest r, String id) {
        awaitIfAsked(r, PRICE_HISTORY);
        List<PriceHistory.Entry> entries = tracker.priceHistory(id);
        if (entries.isEmpty()) {
            throw new ApiError(404, "not_found", "no product " + id);
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("productId", id);
        ArrayNode changes = out.putArray("history");
        for (PriceHistory.Entry e : entries) {
            ObjectNode n = changes.addObject();
            n.put("version", e.version());
            n.put("position", e.position());
            n.put("at", e.at().toString());
            n.put("change", e.change());
            n.put("oldPrice", e.oldPrice());
            n.put("newPrice", e.newPrice());
            n.put("variation", e.variation());
        }
        return json(200, Map.of(), out);
    }

    private ApiResponse alerts(ApiRequest r, String id) {
        if (awaitIfAsked(r, ALERTS)) {
            // The alerts a change caused are appended by the process manager once it reached the
            // change, before the end of the log as it is now: wait for that end too.
            tracker.store().lastPosition().ifPresent(end -> await(end, ALERTS));
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("productId", id);
        ArrayNode alerts = out.putArray("alerts");
        for (AlertsView.Alert a : tracker.alerts(id)) {
            ObjectNode n = alerts.addObject();
            Optional<String> email = tracker.priceAlerts().reveal(a.email());
            n.put("email", email.orElse(null));
            n.put("forgotten", email.isEmpty());
            n.put("targetPrice", a.targetPrice());
            n.put("price", a.price());
            currency(n, a.currency());
            n.put("version", a.productVersion());
            n.put("position", a.position());
            n.put("at", a.at().toString());
        }
        return json(200, Map.of(), out);
    }

    // --- time travel: the product's own events, folded ------------------------------------

    private ProductTimeline timeline(String id, long from, int limit) {
        ProductTimeline timeline;
        try {
            timeline = tracker.timeline(id, from, limit);
        } catch (StreamDeletedException e) {
            throw new ApiError(
                    410,
                    "stream_deleted",
                    "the events of product " + id + " were deleted for good (its stream was deleted): "
                            + "its history can no longer be read");
        }
        if (timeline.latestVersion() == 0) {
            throw new ApiError(404, "not_found", "no product " + id);
        }
        return timeline;
    }

    private ApiResponse events(ApiRequest r, String id) {
        long from = longParameter(r, "from", 1);
        int limit = intParameter(r, "limit", 100, 1, 1000);
        ProductTimeline timeline = timeline(id, from, limit);
        ObjectNode out = JSON.createObjectNode();
        out.put("productId", id);
        out.put("streamId", ProductAggregate.CATEGORY + "-" + id);
        out.put("latestVersion", timeline.latestVersion());
        out.put("from", from);
        out.put("limit", limit);
        projectionNames(out);
        ArrayNode events = out.putArray("events");
        for (ProductTimeline.Step step : timeline.steps()) {
            events.add(step(step));
        }
        return json(200, Map.of(), out);
    }

    private ApiResponse atVersion(String id, String text) {
        if (!text.matches("\\d{1,18}") || Long.parseLong(text) < 1) {
            throw new ApiError(
                    400, "invalid_version", "a version is a whole number from 1 (the first event), was '" + text + "'");
        }
        long version = Long.parseLong(text);
        ProductTimeline timeline = timeline(id, version, 1);
        if (timeline.steps().isEmpty()) {
            throw new ApiError(
                    400,
                    "version_out_of_range",
                    "product " + id + " has versions 1 to " + timeline.latestVersion() + ", not " + version);
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("productId", id);
        out.put("latestVersion", timeline.latestVersion());
        projectionNames(out);
        out.setAll(step(timeline.steps().get(0)));
        return json(200, Map.of(), out);
    }

    private static long longParameter(ApiRequest r, String name, long fallback) {
        String v = r.query().get(name);
        if (v == null) {
            return fallback;
        }
        if (!v.matches("\\d{1,18}") || Long.parseLong(v) < 1) {
            throw new ApiError(400, "invalid_parameter", name + " must be a version: a whole number from 1");
        }
        return Long.parseLong(v);
    }

    private static void projectionNames(ObjectNode out) {
        ArrayNode names = out.putArray("projections");
        ProductTimeline.PROJECTIONS.forEach(names::add);
    }

    /** One event as stored, the product after it, and the rows each projection writes for it. */
    private static ObjectNode step(ProductTimeline.Step step) {
        RecordedEvent recorded = step.envelope().recorded();
        ObjectNode out = JSON.createObjectNode();
        out.put("version", recorded.version());
        out.put("position", recorded.position());
        out.put("eventId", recorded.eventId().toString());
        out.put("type", recorded.type());
        out.put("schemaVersion", EventCodec.schemaVersion(recorded));
        out.put("recordedAt", recorded.recordedAt().toString());
        try {
            out.set("data", JSON.readTree(recorded.json()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the store holds an event that is not JSON: " + recorded.eventId(), e);
        }
        // keys beginning with $ are the library's (the schema version is shown on its own)
        ObjectNode metadata = out.putObject("metadata");
        new java.util.TreeMap<>(recorded.metadata()).forEach((k, v) -> {
            if (!k.startsWith("$")) {
                metadata.put(k, v);
            }
        });
        ArrayNode tags = out.putArray("tags");
        new java.util.TreeSet<>(recorded.tags()).forEach(tags::add);
        out.set("state", state(step.state()));
        ArrayNode projections = out.putArray("readModels");
        for (String name : ProductTimeline.PROJECTIONS) {
            ObjectNode projection = projections.addObject();
            projection.put("projection", name);
            ArrayNode rows = projection.putArray("rows");
            for (ProductTimeline.RowChange change : step.rows()) {
                if (change.projection().equals(name)) {
                    ObjectNode row = rows.addObject();
                    row.put("key", change.key());
                    row.put("change", change.change().name().toLowerCase(java.util.Locale.ROOT));
                    if (change.change() == ProductTimeline.Change.ADD) {
                        row.set("added", row(change.after()));
                    } else {
                        row.set("before", row(change.before()));
                        row.set("after", row(change.after()));
                    }
                }
            }
        }
        return out;
    }

    /** The product as the aggregate folds it; the currency always, this answer being new. */
    private static ObjectNode state(Product p) {
        ObjectNode out = JSON.createObjectNode();
        out.put("status", p.status().name().toLowerCase(java.util.Locale.ROOT));
        out.put("productId", p.productId());
        out.put("name", p.name());
        out.put("price", p.price());
        out.put("currency", p.currency());
        return out;
    }

    /** A read model's row as the API shows it. */
    private static JsonNode row(Object row) {
        if (row == null) {
            return JSON.nullNode();
        }
        ObjectNode out = JSON.createObjectNode();
        if (row instanceof ProductView view) {
            out.put("productId", view.productId());
            out.put("name", view.name());
            out.put("price", view.price());
            out.put("currency", view.currency());
            out.put("version", view.version());
        } else if (row instanceof PriceHistory.Entry e) {
            out.put("version", e.version());
            out.put("position", e.position());
            out.put("at", e.at().toString());
            out.put("change", e.change());
            out.put("oldPrice", e.oldPrice());
            out.put("newPrice", e.newPrice());
            out.put("variation", e.variation());
        } else if (row instanceof MonthlyStats.Totals t) {
            out.put("changes", t.changes());
            out.put("sumVariation", t.sumVariation());
            out.put("minVariation", t.minVariation());
            out.put("maxVariation", t.maxVariation());
        } else {
            throw new IllegalStateException(
                    "no JSON form for a row of " + row.getClass().getName());
        }
        return out;
    }

    private ApiResponse monthly(ApiRequest r) {
        awaitIfAsked(r, MONTHLY_STATS);
        ObjectNode out = JSON.createObjectNode();
        ArrayNode months = out.putArray("months");
        for (MonthlyStats.Month m : tracker.monthlyStats()) {
            months.add(JSON.<JsonNode>valueToTree(m));
        }
        return json(200, Map.of(), out);
    }

    private static ApiResponse page() {
        try (InputStream in = PriceTrackerApi.class.getResourceAsStream("/web/index.html")) {
            if (in == null) {
                throw new ApiError(404, "no_page", "the page is not in this build");
            }
            return new ApiResponse(
                    200,
                    Map.of("Content-Type", "text/html; charset=utf-8"),
                    new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the page", e);
        }
    }

    // --- responses -----------------------------------------------------------------------

    private static ApiResponse json(int status, Map<String, String> headers, JsonNode body) {
        Map<String, String> all = new java.util.HashMap<>(JSON_TYPE);
        all.putAll(headers);
        try {
            return new ApiResponse(status, all, JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** A JSON error response, for the adapters' own refusals. */
    public static ApiResponse error(int status, String code, String message) {
        return error(status, code, message, Map.of());
    }

    private static ApiResponse error(int status, String code, String message, Map<String, String> headers) {
        ObjectNode out = JSON.createObjectNode();
        out.put("error", code);
        out.put("message", message);
        return json(status, headers, out);
    }
}
