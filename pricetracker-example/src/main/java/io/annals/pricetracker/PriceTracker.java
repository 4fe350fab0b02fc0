package io.annals.pricetracker;

import io.annals.eventstore.AggregateState;
import io.annals.eventstore.CommandHandler;
import io.annals.eventstore.CommandResult;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.SnapshotPolicy;
import io.annals.eventstore.SnapshotSettings;
import io.annals.eventstore.jdbc.JacksonEventCodec;
import io.annals.eventstore.jdbc.JacksonStateCodec;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.pricetracker.domain.Product;
import io.annals.pricetracker.domain.ProductAggregate;
import io.annals.pricetracker.domain.ProductCommand;
import io.annals.pricetracker.domain.ProductEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The price tracker's write side wired to a store: the product aggregate, its codec and the
 * command loop, with a snapshot every 100 events.
 */
public final class PriceTracker implements AutoCloseable {

    /** The stored type names of the product events: never rename them. */
    public static final EventCodec<ProductEvent> CODEC = JacksonEventCodec.builder(ProductEvent.class)
            .register("ProductCreated", ProductEvent.ProductCreated.class)
            .register("PriceChanged", ProductEvent.PriceChanged.class)
            .register("ProductDeleted", ProductEvent.ProductDeleted.class)
            .build();

    /** Raise when {@link Product} changes shape: older snapshots are then ignored. */
    static final int SNAPSHOT_SCHEMA_VERSION = 1;

    private final JdbcEventStore store;
    private final ProductAggregate aggregate = new ProductAggregate();
    private final CommandHandler<Product, ProductCommand, ProductEvent> products;

    /** Wires the tracker to {@code store}; closing the tracker closes the store. */
    public PriceTracker(JdbcEventStore store) {
        this.store = Objects.requireNonNull(store, "store");
        this.products = CommandHandler.builder(aggregate, store, CODEC)
                .snapshots(new SnapshotSettings<>(store.snapshots(),
                        JacksonStateCodec.of(Product.class), SNAPSHOT_SCHEMA_VERSION,
                        SnapshotPolicy.everyEvents(100)))
                .build();
    }

    /** Opens the store at {@code jdbcUrl} and wires the tracker to it. */
    public static PriceTracker open(String jdbcUrl) {
        return new PriceTracker(JdbcEventStore.open(jdbcUrl));
    }

    /** The event store. */
    public EventStore store() {
        return store;
    }

    /**
     * Handles a command.
     *
     * @throws io.annals.eventstore.CommandRejectedException when a rule forbids it
     */
    public CommandResult<Product, ProductEvent> handle(ProductCommand command) {
        return products.handle(command);
    }

    /** The product as folded from its events (status NONE if it never existed). */
    public AggregateState<Product> product(String productId) {
        return products.load(productId);
    }

    /** Every event of the product, oldest first. */
    public List<Envelope<ProductEvent>> history(String productId) {
        List<Envelope<ProductEvent>> out = new ArrayList<>();
        String streamId = aggregate.streamId(productId);
        long from = 1;
        while (true) {
            List<RecordedEvent> page = store.readStream(streamId, from, 500);
            for (RecordedEvent r : page) {
                out.add(CODEC.decode(r));
            }
            if (page.size() < 500) {
                return out;
            }
            from = page.get(page.size() - 1).version() + 1;
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
