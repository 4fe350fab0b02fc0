package io.annals.pricetracker;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamDeletedException;
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
import io.annals.eventstore.jdbc.Segments;
import io.annals.eventstore.jdbc.TagBackfill;
import io.annals.eventstore.privacy.KeyWrapper;
import io.annals.eventstore.privacy.Vault;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.projection.Projector;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import io.annals.pricetracker.alerts.AlertTrigger;
import io.annals.pricetracker.alerts.AlertsView;
import io.annals.pricetracker.alerts.PriceAlerts;
import io.annals.pricetracker.alerts.Watch;
import io.annals.pricetracker.alerts.WatchEvent;
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
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The price tracker wired to a store: on the write side, the creation of products as a decision
 * across streams (an id is created once, a name is held by one product at most), and the product
 * aggregate's command loop (a snapshot every 100 events) for the rest; on the read side, three
 * projections (the product view, the price history, the monthly statistics) and their runner.
 * Beside them, price alerts ({@link PriceAlerts}): watches, whose email addresses are sealed for
 * crypto-shredding, the process manager that records alerts, and the alerts' read model, run by
 * the same runner.
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
     * The names of the tracker's projections, in the order its runner runs them; {@code
     * PROJECTIONS} in the environment can leave some to another instance ({@link
     * #projectionsToRun}).
     */
    public static final List<String> PROJECTIONS = List.of(
            ProductView.Projector.NAME, PriceHistory.NAME, MonthlyStats.NAME, AlertsView.NAME, AlertTrigger.NAME);

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
    /** The names of the projections this instance runs ({@code PROJECTIONS}). */
    private final Set<String> runHere;
    /**
     * The projectors of each projection, by its name: those of the projections another instance
     * runs are only read (their checkpoints), never moved.
     */
    private final Map<String, List<? extends Projector>> projectors;

    private final ProjectionRunner runner;
    private final PriceAlerts alerts;

    /**
     * Wires the tracker to {@code store}, with the price alerts' keys from the environment or else
     * development keys kept in the store's database ({@link PrivacyKeys#resolve}); closing the
     * tracker closes the store.
     */
    public PriceTracker(JdbcEventStore store) {
        this(store, PrivacyKeys.resolve(Objects.requireNonNull(store, "store").dataSource()));
    }

    /**
     * Wires the tracker to {@code store}, sealing personal data with {@code keys}, the product
     * view split ({@link #productViewSegments}) and the projections run here ({@link
     * #projectionsToRun}) as the environment says.
     */
    public PriceTracker(JdbcEventStore store, PrivacyKeys keys) {
        this(store, keys, System.getenv());
    }

    /** The same, with {@code env} in place of the environment. */
    PriceTracker(JdbcEventStore store, PrivacyKeys keys, Map<String, String> env) {
        this.store = Objects.requireNonNull(store, "store");
        Objects.requireNonNull(keys, "keys");
        Vault vault = Vault.builder(store.subjectKeys(), keys.wrapper())
                .previous(keys.previous().toArray(KeyWrapper[]::new))
                .subjectSecret(keys.subjectSecret())
                .build();
        keys.check(store.dataSource(), store.subjectKeys(), vault);
        this.alerts = new PriceAlerts(store, vault);
        this.products = CommandHandler.builder(aggregate, store, CODEC)
                .maxAttempts(50) // many clients may change one product's price at once
                // products are records, never changed once made: decide on the kept state, and let
                // the append's expected version catch one another writer moved on
                .cacheAggregates(10_000)
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
        // rows stored before the currency existed were all in euros
        JacksonStateCodec<ProductView> rows =
                JacksonStateCodec.of(ProductView.class).withDefault("currency", "EUR");
        List<KeyedProjector<String, ProductView>> viewSegments;
        Optional<Segments> split = productViewSegments(env);
        if (split.isPresent()) {
            viewSegments = store.projectors().segments(new ProductView.Projector(), CODEC, rows, split.get());
        } else {
            viewSegments = List.of(store.projectors().keyed(new ProductView.Projector(), CODEC, rows));
        }
        this.views = viewSegments.get(0); // each segment reads the whole read model
        Map<String, List<? extends Projector>> all = new LinkedHashMap<>(); // in the order of PROJECTIONS
        all.put(ProductView.Projector.NAME, viewSegments);
        all.put(PriceHistory.NAME, List.of(store.projectors().sql(new PriceHistory(), CODEC)));
        all.put(MonthlyStats.NAME, List.of(store.projectors().sql(new MonthlyStats(), CODEC)));
        all.put(AlertsView.NAME, List.of(store.projectors().sql(alerts.view(), PriceAlerts.CODEC)));
        all.put(AlertTrigger.NAME, List.of(store.projectors().sql(alerts.trigger(), alerts.triggerCodec())));
        // this instance runs those PROJECTIONS lists (all by default); another runs the others
        this.runHere = projectionsToRun(env);
        ProjectionRunner.Builder projections = ProjectionRunner.builder(store);
        all.forEach((name, projectors) -> {
            if (runHere.contains(name)) {
                projectors.forEach(projections::add);
            }
        });
        this.projectors = Collections.unmodifiableMap(all);
        this.runner = projections.pollInterval(Duration.ofMillis(20)).build();
    }

    /** Opens the store at {@code jdbcUrl} and wires the tracker to it. */
    public static PriceTracker open(String jdbcUrl) {
        return open(jdbcUrl, System.getenv());
    }

    /** {@link #open(String)}, the product view split as {@code env} says. */
    static PriceTracker open(String jdbcUrl, Map<String, String> env) {
        JdbcEventStore store = JdbcEventStore.open(jdbcUrl);
        try {
            return new PriceTracker(store, PrivacyKeys.resolve(env, store.dataSource()), env);
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

    /**
     * The projections this instance runs, from {@code PROJECTIONS} (their names, comma-separated,
     * from {@link #PROJECTIONS}): all of them when it is unset or blank. The read models of the
     * others are read as usual and kept by another instance; {@link #awaitPosition} waits for
     * their stored checkpoints.
     *
     * @throws IllegalArgumentException naming the variable when it names no projection or one the
     *     tracker does not have
     */
    static Set<String> projectionsToRun(Map<String, String> env) {
        String names = env.get("PROJECTIONS");
        if (names == null || names.isBlank()) {
            return Set.copyOf(PROJECTIONS);
        }
        Set<String> run = new HashSet<>();
        for (String name : names.split(",", -1)) {
            String projection = name.strip();
            if (projection.isEmpty()) {
                throw new IllegalArgumentException("PROJECTIONS lists projections of the tracker separated by commas;"
                        + " it has an empty one (a comma too many?) in '" + names + "'");
            }
            if (!PROJECTIONS.contains(projection)) {
                throw new IllegalArgumentException("PROJECTIONS lists projections of the tracker ("
                        + String.join(", ", PROJECTIONS) + ") separated by commas; '" + projection
                        + "' is not one, in '" + names + "'");
            }
            run.add(projection);
        }
        return Set.copyOf(run);
    }

    /**
     * How the product view is split across instances, from {@code PRODUCT_VIEW_SEGMENTS} (the
     * number of segments, 2 to 256) and {@code PRODUCT_VIEW_OWN} (the segments this instance runs
     * first, comma-separated; all when unset): empty when the first is unset.
     *
     * @throws IllegalArgumentException naming the variable that is not a valid setting
     */
    static Optional<Segments> productViewSegments(Map<String, String> env) {
        String count = env.get("PRODUCT_VIEW_SEGMENTS");
        if (count == null || count.isBlank()) {
            return Optional.empty();
        }
        Segments segments;
        try {
            segments = Segments.of(Integer.parseInt(count.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PRODUCT_VIEW_SEGMENTS is a number of segments, 2 to "
                    + Segments.MAX_COUNT + ", not '" + count + "'");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("PRODUCT_VIEW_SEGMENTS: " + e.getMessage(), e);
        }
        String own = env.get("PRODUCT_VIEW_OWN");
        if (own == null || own.isBlank()) {
            return Optional.of(segments);
        }
        try {
            int[] owned = Arrays.stream(own.split(","))
                    .map(String::strip)
                    .mapToInt(Integer::parseInt)
                    .toArray();
            return Optional.of(segments.owning(owned));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "PRODUCT_VIEW_OWN lists segment numbers separated by commas (0,1), not '" + own + "'");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("PRODUCT_VIEW_OWN: " + e.getMessage(), e);
        }
    }

    /**
     * The name under which the runner knows {@code projection}: the product view's first segment
     * when it is split (a rebuild of it rebuilds them all), the name itself otherwise.
     */
    public String runnerName(String projection) {
        return projection.equals(ProductView.Projector.NAME) ? views.name() : projection;
    }

    /**
     * Every name under which the runner knows {@code projection}: each segment of the product
     * view when it is split (each keeps its own checkpoint and dead letters), the name itself
     * otherwise.
     */
    public List<String> runnerNames(String projection) {
        if (!projection.equals(ProductView.Projector.NAME)) {
            return List.of(projection);
        }
        String segment = projection + "[";
        return runner.statuses().stream()
                .map(ProjectionStatus::name)
                .filter(name -> name.equals(projection) || name.startsWith(segment))
                .toList();
    }

    /** The runner of the projections (not started until {@link #startProjections()}). */
    public ProjectionRunner projections() {
        return runner;
    }

    /**
     * Whether this instance runs {@code projection} (one of {@link #PROJECTIONS}): all of them
     * unless {@code PROJECTIONS} says otherwise.
     */
    public boolean runs(String projection) {
        return runHere.contains(projection);
    }

    /**
     * Waits until every read model reflects the log up to {@code position}; see {@link
     * #awaitPosition(long, Duration, Collection)}.
     *
     * @return true when they all have; false when {@code timeout} ran out first
     * @throws InterruptedWaitException if the calling thread is interrupted while it waits
     */
    public boolean awaitPosition(long position, Duration timeout) {
        return awaitPosition(position, timeout, PROJECTIONS);
    }

    /**
     * Waits until the read models of {@code projections} (names from {@link #PROJECTIONS})
     * reflect the log up to {@code position}: those this instance runs through its runner
     * ({@link ProjectionRunner#awaitPosition(String, long, Duration)}), those another instance
     * runs until their stored checkpoints pass it (read every 10 ms). A read waits only for the
     * read models it reads, so that one behind elsewhere holds back no other.
     *
     * @return true when they all have; false when {@code timeout} ran out first
     * @throws IllegalArgumentException if a name is not one of {@link #PROJECTIONS}
     * @throws InterruptedWaitException if the calling thread is interrupted while it waits
     */
    public boolean awaitPosition(long position, Duration timeout, Collection<String> projections) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String name : projections) {
            boolean here = runHere.contains(name);
            for (Projector projector : projectorsOf(name)) {
                boolean reached = here
                        ? runner.awaitPosition(
                                projector.name(), position, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))
                        : awaitStored(projector, position, deadline);
                if (!reached) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Waits for the stored checkpoint of a projection another instance runs. */
    private static boolean awaitStored(Projector elsewhere, long position, long deadline) {
        while (elsewhere.checkpoint() < position) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                Thread.sleep(Math.max(1, Math.min(10, TimeUnit.NANOSECONDS.toMillis(left))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedWaitException(
                        "interrupted while waiting for projection " + elsewhere.name() + " to reach position "
                                + position,
                        e);
            }
        }
        return true;
    }

    /** {@link #behind(long, Collection)} of every read model. */
    public List<String> behind(long position) {
        return behind(position, PROJECTIONS);
    }

    /**
     * The read models of {@code projections} that have not reached {@code position}, by the
     * names their runners know them under, those another instance runs marked so: what a read
     * that waited in vain names.
     *
     * @throws IllegalArgumentException if a name is not one of {@link #PROJECTIONS}
     */
    public List<String> behind(long position, Collection<String> projections) {
        List<String> behind = new ArrayList<>();
        for (String name : projections) {
            boolean here = runHere.contains(name);
            for (Projector projector : projectorsOf(name)) {
                long checkpoint = here ? runner.status(projector.name()).checkpoint() : projector.checkpoint();
                if (checkpoint < position) {
                    behind.add(projector.name() + (here ? "" : " (run by another instance)"));
                }
            }
        }
        return behind;
    }

    private List<? extends Projector> projectorsOf(String projection) {
        List<? extends Projector> of = projectors.get(projection);
        if (of == null) {
            throw new IllegalArgumentException(
                    "no projection " + projection + " in the tracker; it has " + String.join(", ", PROJECTIONS));
        }
        return of;
    }

    /** Starts applying events to the read models in the background. */
    public void startProjections() {
        runner.start();
    }

    /**
     * Handles a command: a creation through its decision across streams, the others through the
     * product's command loop.
     *
     * @throws CommandRejectedException when a rule forbids it ({@link ProductAggregate#NOT_FOUND}
     *     too for an erased product)
     */
    public CommandResult<Product, ProductEvent> handle(ProductCommand command) {
        if (command instanceof CreateProduct create) {
            return create(create);
        }
        try {
            return products.handle(command);
        } catch (StreamDeletedException e) {
            throw new CommandRejectedException(
                    ProductAggregate.NOT_FOUND, "product " + command.productId() + " was erased");
        }
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
        } catch (StreamDeletedException e) {
            throw new CommandRejectedException(
                    ProductAggregate.ALREADY_EXISTS,
                    "product " + command.productId() + " was erased; a product id is never created twice");
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

    /**
     * Starts watching a product's price, or watches again with a new target: an alert is
     * recorded once the price reaches the target or less.
     *
     * @throws IllegalArgumentException if the email address is invalid; nothing is written
     * @throws CommandRejectedException {@link ProductAggregate#NOT_FOUND} for a product never
     *     created (or erased), {@link ProductAggregate#DELETED} for a deleted one, {@link
     *     PriceAlerts#TARGET_NOT_POSITIVE} for a target that is not a positive amount
     */
    public CommandResult<Watch, WatchEvent> watch(String productId, String email, BigDecimal targetPrice) {
        PriceAlerts.normaliseEmail(email);
        Objects.requireNonNull(targetPrice, "targetPrice");
        Product product = existing(productId);
        if (!product.active()) {
            throw new CommandRejectedException(
                    ProductAggregate.DELETED, "product " + productId + " is deleted: it cannot be watched");
        }
        if (targetPrice.signum() <= 0) {
            throw new CommandRejectedException(
                    PriceAlerts.TARGET_NOT_POSITIVE, "a target price must be a positive amount, was " + targetPrice);
        }
        CommandResult<Watch, WatchEvent> started;
        try {
            started = alerts.watch(productId, email, targetPrice, product.currency());
        } catch (StreamDeletedException e) {
            throw new CommandRejectedException(ProductAggregate.NOT_FOUND, "product " + productId + " was erased");
        }
        // Deleted or erased meanwhile? Then the watch is taken back: an erasure, which deletes the
        // product first and its watches after, never leaves one behind.
        Product now;
        try {
            now = existing(productId);
        } catch (CommandRejectedException e) {
            alerts.withdraw(productId, email, started);
            throw e;
        }
        if (!now.active()) {
            alerts.withdraw(productId, email, started);
            throw new CommandRejectedException(
                    ProductAggregate.DELETED, "product " + productId + " is deleted: it cannot be watched");
        }
        return started;
    }

    /**
     * The product as its events fold it, created, perhaps deleted since.
     *
     * @throws CommandRejectedException {@link ProductAggregate#NOT_FOUND} if it was never created
     *     or was erased
     */
    private Product existing(String productId) {
        Product product;
        try {
            product = products.load(productId).state();
        } catch (StreamDeletedException e) {
            throw new CommandRejectedException(ProductAggregate.NOT_FOUND, "product " + productId + " was erased");
        }
        if (!product.exists()) {
            throw new CommandRejectedException(ProductAggregate.NOT_FOUND, "no product " + productId);
        }
        return product;
    }

    /**
     * The alerts of a product, oldest first, from their read model.
     *
     * @throws CommandRejectedException {@link ProductAggregate#NOT_FOUND} if it was never created
     *     or was erased
     */
    public List<AlertsView.Alert> alerts(String productId) {
        existing(productId);
        return alerts.alerts(productId);
    }

    /** The price alerts: watches, forgetting a person, revealing an alert's address. */
    public PriceAlerts priceAlerts() {
        return alerts;
    }

    /**
     * What an erasure removed.
     *
     * @param productId the product
     * @param watches how many watch streams were deleted with it
     * @param position the position of the product stream's tombstone
     */
    public record Erasure(String productId, int watches, long position) {}

    /**
     * Erases a product for good, whether or not it was deleted: it is deleted first (so that no
     * watch starts any more: one racing it takes itself back), then the streams of its watches and
     * its own stream are deleted ({@link io.annals.eventstore.EventStore#deleteStream}), and its
     * watches looked for once more. Its id
     * can never be created again; its name is free. The read models drop its rows when the
     * tombstones reach them, except the monthly statistics (totals over every product). Erasing an
     * erased product again does no harm.
     *
     * @throws CommandRejectedException {@link ProductAggregate#NOT_FOUND} if it was never created
     */
    public Erasure erase(String productId) {
        String streamId = aggregate.streamId(productId);
        try {
            if (store.currentVersion(streamId) == 0) {
                throw new CommandRejectedException(ProductAggregate.NOT_FOUND, "no product " + productId);
            }
        } catch (StreamDeletedException e) {
            // erased before: finish what may have been left
        }
        try {
            handle(new ProductCommand.DeleteProduct(productId));
        } catch (CommandRejectedException e) {
            // deleted or erased before
        }
        int watches = alerts.eraseWatches(productId);
        AppendResult tombstone = store.deleteStream(streamId, ExpectedVersion.any());
        watches += alerts.eraseWatches(productId);
        return new Erasure(productId, watches, tombstone.position());
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
