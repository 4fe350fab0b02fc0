package io.annals.pricetracker.spring;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.command.CommandResult;
import io.annals.eventstore.decision.DecidedEvent;
import io.annals.eventstore.decision.DecisionHandler;
import io.annals.eventstore.decision.DecisionResult;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ReadModel;
import io.annals.pricetracker.api.PriceTrackerApi;
import io.annals.pricetracker.domain.Product;
import io.annals.pricetracker.domain.ProductAggregate;
import io.annals.pricetracker.domain.ProductCommand;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.DeleteProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import io.annals.pricetracker.domain.ProductEvent;
import io.annals.pricetracker.domain.ProductId;
import io.annals.pricetracker.readmodel.MonthlyStats;
import io.annals.pricetracker.readmodel.PriceHistory;
import io.annals.pricetracker.readmodel.ProductView;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The routes of the JDK-server version ({@code PriceTrackerApi}), with the same bodies and
 * errors: writes answer the stream {@code version} and global {@code position} of their last
 * event, and a read with {@code ?atLeast=POSITION} waits (up to {@code pricetracker.read-wait},
 * 5 s by default, then 503) until the read models have applied it, so that a client reads its
 * own write.
 */
@RestController
class ProductController {

    private final ProductAggregate aggregate;
    private final CommandHandler<Product, ProductCommand, ProductEvent> products;
    private final DecisionHandler<CreateProduct, ProductEvent> creations;
    private final KeyedProjector<String, ProductView> views;
    private final ProjectionRunner projections;
    private final JdbcEventStore store;
    private final Duration readWait;
    private final ObjectMapper mapper;

    ProductController(
            ProductAggregate aggregate,
            CommandHandler<Product, ProductCommand, ProductEvent> products,
            DecisionHandler<CreateProduct, ProductEvent> creations,
            KeyedProjector<String, ProductView> views,
            ProjectionRunner projections,
            JdbcEventStore store,
            @Value("${pricetracker.read-wait:5s}") Duration readWait,
            ObjectMapper mapper) {
        this.aggregate = aggregate;
        this.products = products;
        this.creations = creations;
        this.views = views;
        this.projections = projections;
        this.store = store;
        this.readWait = readWait;
        this.mapper = mapper;
    }

    /** The body of {@code POST /products}. */
    record NewProduct(
            String productId,
            String name,
            BigDecimal price,
            @Nullable String currency) {}

    /** The body of {@code POST /products/{id}/price-changes}. */
    record PriceChange(BigDecimal variation) {}

    /** A product: after a write with its position, from the read model without. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ProductBody(
            String productId,
            String name,
            BigDecimal price,
            @Nullable String currency,
            long version,
            @Nullable Long position) {

        /** The currency only when it is not the default, as the JDK-server version shows it. */
        static @Nullable String shown(String currency) {
            return currency.equals(ProductCommand.DEFAULT_CURRENCY) ? null : currency;
        }
    }

    record Deleted(String productId, boolean deleted, long version, long position) {}

    record History(String productId, List<PriceHistory.Entry> history) {}

    record Products(List<ProductBody> products, int offset, int limit) {}

    record Months(List<MonthlyStats.Month> months) {}

    // --- writes --------------------------------------------------------------------------

    @PostMapping("/products")
    ResponseEntity<ProductBody> create(InputStream json) throws IOException {
        NewProduct body = read(json, NewProduct.class);
        String currency = body.currency() == null ? ProductCommand.DEFAULT_CURRENCY : body.currency();
        CreateProduct command = command(() -> new CreateProduct(body.productId(), body.name(), body.price(), currency));
        String streamId = aggregate.streamId(command.productId());
        DecisionResult<ProductEvent> result;
        try {
            result = creations.handle(command);
        } catch (WrongExpectedVersionException e) {
            // No tagged event of the product, yet its stream exists: written before events had tags.
            throw new CommandRejectedException(
                    ProductAggregate.ALREADY_EXISTS, "product " + command.productId() + " already exists");
        }
        List<ProductEvent> events =
                result.events().stream().map(DecidedEvent::event).toList();
        Product product = aggregate.fold(aggregate.initialState(), events);
        AppendResult appended = result.streams().get(streamId);
        return ResponseEntity.created(URI.create("/products/" + command.productId()))
                .body(written(product, appended.version(), appended.position()));
    }

    @PostMapping("/products/{id}/price-changes")
    ProductBody changePrice(@PathVariable("id") String id, InputStream json) throws IOException {
        String productId = productId(id);
        PriceChange body = read(json, PriceChange.class);
        CommandResult<Product, ProductEvent> result =
                products.handle(command(() -> new UpdateProduct(productId, body.variation())));
        return written(result.state(), result.version(), result.position());
    }

    @DeleteMapping("/products/{id}")
    Deleted delete(@PathVariable("id") String id) {
        String productId = productId(id);
        CommandResult<Product, ProductEvent> result = products.handle(new DeleteProduct(productId));
        return new Deleted(productId, true, result.version(), result.position());
    }

    private static ProductBody written(Product p, long version, long position) {
        return new ProductBody(p.productId(), p.name(), p.price(), ProductBody.shown(p.currency()), version, position);
    }

    /**
     * The body as JSON, whatever its declared content type: like the JDK-server version, the API
     * answers {@code curl -d '{...}'}, which says it sends a form. The servlet's own stream, since
     * Spring rebuilds the body of a form from its parameters.
     */
    private <T> T read(InputStream json, Class<T> type) throws IOException {
        byte[] body = json.readNBytes(PriceTrackerApi.MAX_BODY_BYTES + 1);
        if (body.length > PriceTrackerApi.MAX_BODY_BYTES) {
            throw new ApiException(
                    413, "body_too_large", "the request body is over " + PriceTrackerApi.MAX_BODY_BYTES + " bytes");
        }
        T value;
        try {
            value = mapper.readValue(body, type);
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "invalid_json", "the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (value == null) {
            throw new ApiException(400, "invalid_json", "the body must be a JSON object");
        }
        return value;
    }

    private static <C extends ProductCommand> C command(Supplier<C> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ApiException(400, "invalid_field", String.valueOf(e.getMessage()));
        }
    }

    private static String productId(String id) {
        try {
            return ProductId.check(id);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "invalid_product_id", e.getMessage());
        }
    }

    // --- reads ---------------------------------------------------------------------------

    @GetMapping("/products/{id}")
    ProductBody product(
            @PathVariable("id") String id, @RequestParam(name = "atLeast", required = false) @Nullable Long atLeast) {
        String productId = productId(id);
        awaitIfAsked(atLeast);
        ProductView view =
                views.get(productId).orElseThrow(() -> new ApiException(404, "not_found", "no product " + productId));
        return new ProductBody(
                view.productId(), view.name(), view.price(), ProductBody.shown(view.currency()), view.version(), null);
    }

    @GetMapping("/products")
    Products list(
            @RequestParam(name = "atLeast", required = false) @Nullable Long atLeast,
            @RequestParam(name = "offset", defaultValue = "0") int offset,
            @RequestParam(name = "limit", defaultValue = "100") int limit) {
        awaitIfAsked(atLeast);
        if (offset < 0 || limit < 1 || limit > 1000) {
            throw new ApiException(400, "invalid_parameter", "offset must be 0 or more, limit from 1 to 1000");
        }
        List<ProductBody> page = views.list(offset, limit).stream()
                .map(ReadModel.Row::value)
                .map(v -> new ProductBody(
                        v.productId(), v.name(), v.price(), ProductBody.shown(v.currency()), v.version(), null))
                .toList();
        return new Products(page, offset, limit);
    }

    @GetMapping("/products/{id}/history")
    History history(
            @PathVariable("id") String id, @RequestParam(name = "atLeast", required = false) @Nullable Long atLeast)
            throws SQLException {
        String productId = productId(id);
        awaitIfAsked(atLeast);
        List<PriceHistory.Entry> entries = PriceHistory.of(store.dataSource(), productId);
        if (entries.isEmpty()) {
            throw new ApiException(404, "not_found", "no product " + productId);
        }
        return new History(productId, entries);
    }

    @GetMapping("/stats/monthly")
    Months monthly(@RequestParam(name = "atLeast", required = false) @Nullable Long atLeast) throws SQLException {
        awaitIfAsked(atLeast);
        return new Months(MonthlyStats.all(store.dataSource()));
    }

    private void awaitIfAsked(@Nullable Long atLeast) {
        if (atLeast == null) {
            return;
        }
        if (atLeast < 0) {
            throw new ApiException(400, "invalid_parameter", "atLeast cannot be negative");
        }
        boolean reached;
        try {
            reached = projections.awaitPosition(atLeast, readWait);
        } catch (InterruptedWaitException e) {
            reached = false; // the server is stopping: the client may ask again
        }
        if (!reached) {
            throw new ApiException(
                    503,
                    "not_caught_up",
                    "the read models have not reached position " + atLeast + " yet",
                    Map.of("Retry-After", "1"));
        }
    }
}
