package io.annals.pricetracker;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.eventstore.command.AggregateState;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.command.CommandResult;
import io.annals.eventstore.decision.DecidedEvent;
import io.annals.eventstore.decision.DecisionHandler;
import io.annals.eventstore.decision.DecisionResult;
import io.annals.eventstore.jdbc.JacksonEventCodec;
import io.annals.eventstore.jdbc.JacksonStateCodec;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.jdbc.TagBackfill;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import io.annals.pricetracker.domain.Product;
import io.annals.pricetracker.domain.ProductAggregate;
import io.annals.pricetracker.domain.ProductCommand;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCreation;
import io.annals.pricetracker.domain.ProductEvent;
import io.annals.pricetracker.domain.ProductEvent.ProductCreated;
import io.annals.pricetracker.domain.ProductEvent.ProductDeleted;
import io.annals.pricetracker.domain.ProductTags;
import io.annals.pricetracker.readmodel.MonthlyStats;
import io.annals.pricetracker.readmodel.PriceHistory;
import io.annals.pricetracker.readmodel.ProductView;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The price tracker wired to a store: on the write side, the creation of products as a decision
 * across streams (an id is created once, a name is held by one product at most), and the product
 * aggregate's command loop (a snapshot every 100 events) for the rest; on the read side, three
 * projections (the product view, the price history, the monthly statistics) and their runner.
 *
 * <p>The rules of creation find products by the tags the codec gives their events. Events stored
 * before events had tags carry none: a database written by earlier versions needs its events
 * tagged ({@link #tagStoredEvents()}, the command {@code tag-events}) before its names are known
 * to be taken. Until then an id stays unique
 * all the same (the product's stream must be new), but a name held only by old products is not
 * seen.
 */
public final class PriceTracker implements AutoCloseable {

    /**
     * The stored type names and schema versions of the product events, how older versions are
     * read, and how events are tagged. Version 1 of {@code ProductCreated} and {@code
     * PriceChanged} recorded no currency: every price was in euros, so their upcasters say so.
     */
    public static final EventCodec<ProductEvent> CODEC = JacksonEventCodec.builder(ProductEvent.class)
            .register("ProductCreated", ProductEvent.ProductCreated.class, 2)
            .register("PriceChanged", ProductEvent.PriceChanged.class, 2)
            .register("ProductDeleted", ProductEvent.ProductDeleted.class)
            .upcast("ProductCreated", 1, v1 -> v1.put("currency", "EUR"))
            .upcast("PriceChanged", 1, v1 -> v1.put("currency", "EUR"))
            .tags(ProductEvent.ProductCreated.class, ProductTags::of)
            .tags(ProductEvent.PriceChanged.class, ProductTags::of)
            .tags(ProductEvent.ProductDeleted.class, ProductTags::of)
            .build();

    /**
     * Raise when {@link Product} changes shape: older snapshots are then ignored. Version 2 added
     * the currency.
     */
    static final int SNAPSHOT_SCHEMA_VERSION = 2;

    private final JdbcEventStore store;
    private final ProductAggregate aggregate = new ProductAggregate();
    /** 10,000 folds: 5 million events of history, a few megabytes. */
    private final TimelineCheckpoints checkpoints = new TimelineCheckpoints(10_000);

    private final CommandHandler<Product, ProductCommand, ProductEvent> products;
    private final DecisionHandler<CreateProduct, ProductEvent> creations;
    private final KeyedProjector<String, ProductView> views;
    private final ProjectionRunner runner;

    /** Wires the tracker to {@code store}; closing the tracker closes the store. */
    public PriceTracker(JdbcEventStore store) {
        this.store = Objects.requireNonNull(store, "store");
        this.products = CommandHandler.builder(aggregate, store, CODEC)
                .maxAttempts(50) // many clients may change one product's price at once
                .snapshots(new SnapshotSettings<>(
                        store.snapshots(),
                        JacksonStateCodec.of(Product.class),
                        SNAPSHOT_SCHEMA_VERSION,
                        SnapshotPolicy.everyEvents(100)))
                .build();
        this.creations =
                DecisionHandler.builder(ProductCreation.DECISION, store, CODEC).build();
        try {
            PriceHistory.createTable(store.dataSource());
            MonthlyStats.createTable(store.dataSource());
        } catch (SQLException e) {
            throw new EventStoreException("cannot create the read-model tables: " + e.getMessage(), e);
        }
        this.views = store.projectors()
                .keyed(
                        new ProductView.Projector(),
                        CODEC,
                        // rows stored before the currency existed were all in euros
                        JacksonStateCodec.of(ProductView.class).withDefault("currency", "EUR"));
        this.runner = ProjectionRunner.builder(store)
                .add(views)
                .add(store.projectors().sql(new PriceHistory(), CODEC))
                .add(store.projectors().sql(new MonthlyStats(), CODEC))
                .pollInterval(Duration.ofMillis(20))
                .build();
    }

    /** Opens the store at {@code jdbcUrl} and wires the tracker to it. */
    public static PriceTracker open(String jdbcUrl) {
        JdbcEventStore store = JdbcEventStore.open(jdbcUrl);
        try {
            return new PriceTracker(store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** The event store. */
    public JdbcEventStore store() {
        return store;
    }

    /**
     * Tags the events stored before product events had tags, so that the unique-name rule sees
     * the products created before it (run once after upgrading, before serving: the command
     * {@code tag-events}). A deletion stored before deletions recorded the name gets the name tag
     * of its product's creation, so that the name it freed is free.
     */
    public TagBackfill.Result tagStoredEvents() {
        return TagBackfill.run(store, event -> {
            if (!CODEC.knows(event.type()) || CODEC.isRetired(event.type())) {
                return Set.of();
            }
            ProductEvent decoded = CODEC.decode(event).event();
            if (decoded instanceof ProductDeleted d && d.name() == null) {
                Set<String> tags = new HashSet<>(ProductTags.of(d));
                for (RecordedEvent first : store.readStream(event.streamId(), 1, 1)) {
                    if (CODEC.decode(first).event() instanceof ProductCreated created) {
                        tags.add(ProductTags.name(created.name()));
                    }
                }
                return tags;
            }
            return CODEC.tags(decoded);
        });
    }

    /** The runner of the three projections (not started until {@link #startProjections()}). */
    public ProjectionRunner projections() {
        return runner;
    }

    /** Starts applying events to the read models in the background. */
    public void startProjections() {
        runner.start();
    }

    /**
     * Handles a command: a creation through its decision across streams, the others through the
     * product's command loop.
     *
     * @throws CommandRejectedException when a rule forbids it
     */
    public CommandResult<Product, ProductEvent> handle(ProductCommand command) {
        if (command instanceof CreateProduct create) {
            return create(create);
        }
        return products.handle(command);
    }

    private CommandResult<Product, ProductEvent> create(CreateProduct command) {
        String streamId = aggregate.streamId(command.productId());
        DecisionResult<ProductEvent> result;
        try {
            result = creations.handle(command);
        } catch (WrongExpectedVersionException e) {
            // The decision saw no event of the product, yet its stream exists: its events were
            // stored before events had tags. The stream's expectation kept the id unique.
            throw new CommandRejectedException(
                    ProductAggregate.ALREADY_EXISTS, "product " + command.productId() + " already exists");
        }
        List<ProductEvent> events =
                result.events().stream().map(DecidedEvent::event).toList();
        AppendResult appended = result.streams().get(streamId);
        return new CommandResult<>(
                streamId,
                aggregate.fold(aggregate.initialState(), events),
                appended.version(),
                appended.position(),
                events,
                result.attempts());
    }

    /** The product as folded from its events (status NONE if it never existed). */
    public AggregateState<Product> product(String productId) {
        return products.load(productId);
    }

    /** The product views, the read model of {@code GET /products/{id}}. */
    public KeyedProjector<String, ProductView> views() {
        return views;
    }

    /** The price history of a product from its read model, oldest first. */
    public List<PriceHistory.Entry> priceHistory(String productId) {
        try {
            return PriceHistory.of(store.dataSource(), productId);
        } catch (SQLException e) {
            throw new EventStoreException("cannot read the price history of " + productId + ": " + e.getMessage(), e);
        }
    }

    /** The monthly statistics from their read model, oldest month first. */
    public List<MonthlyStats.Month> monthlyStats() {
        try {
            return MonthlyStats.all(store.dataSource());
        } catch (SQLException e) {
            throw new EventStoreException("cannot read the monthly statistics: " + e.getMessage(), e);
        }
    }

    /** Every event of the product from its stream, oldest first. */
    public List<Envelope<ProductEvent>> events(String productId) {
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

    /**
     * The product's events from {@code fromVersion} on, at most {@code maxCount}, each with the
     * product as folded up to it and the rows the projections write for it: see
     * {@link ProductTimeline}. The product's stream up to the last event asked for is read and
     * folded, from its first event or from the nearest fold this tracker keeps in memory (one
     * every 500 versions); the read models are not read.
     *
     * @return a timeline whose {@code latestVersion} is 0 if the product has no events
     * @throws IllegalArgumentException if {@code fromVersion} or {@code maxCount} is below 1
     * @throws io.annals.eventstore.StreamDeletedException if the product's stream was deleted
     */
    public ProductTimeline timeline(String productId, long fromVersion, int maxCount) {
        return ProductTimeline.read(store, CODEC, aggregate, checkpoints, productId, fromVersion, maxCount);
    }

    /** Stops the projections and closes the store. */
    @Override
    public void close() {
        runner.close();
        store.close();
    }
}
