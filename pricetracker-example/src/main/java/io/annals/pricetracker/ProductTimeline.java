package io.annals.pricetracker;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamDeletedException;
import io.annals.pricetracker.domain.Product;
import io.annals.pricetracker.domain.ProductAggregate;
import io.annals.pricetracker.domain.ProductEvent;
import io.annals.pricetracker.readmodel.MonthlyStats;
import io.annals.pricetracker.readmodel.PriceHistory;
import io.annals.pricetracker.readmodel.ProductView;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A product's history replayed event by event, for time travel: each event of the product's
 * stream with the product as {@link ProductAggregate#evolve} folds it up to that event, and the
 * rows each read model's projection writes for that event.
 *
 * <p>Nothing here reads a read model: the read models hold the present, and the past is in the
 * log. The rows are found by running each projection's own pure function on the event, the code
 * the projection runner applies:
 * <ul>
 *   <li>{@value ProductView.Projector#NAME}: the projection's {@code apply}, folded over the
 *       stream's events from the first (its key is the product id, which only this stream's
 *       events carry). The row before is the fold up to the previous event; the row after is
 *       {@code apply(before, event)}.
 *   <li>{@value PriceHistory#NAME}: {@link PriceHistory#entry}, one new row keyed by the event's
 *       position, which no row had before.
 *   <li>{@value MonthlyStats#NAME}: {@link MonthlyStats#contribution}, the month's key and what
 *       the event adds to its row ({@link Change#ADD}). The month's totals before and after
 *       depend on the price changes of every product in that month, which one product's stream
 *       does not hold, so the step says what is added, as the projection adds it.
 * </ul>
 *
 * @param productId the product
 * @param latestVersion the version of the product's stream when it was read; 0 if the product
 *     has no events
 * @param steps the events asked for, oldest first
 */
public record ProductTimeline(String productId, long latestVersion, List<Step> steps) {

    /** The projections whose rows a step shows, in this order. */
    public static final List<String> PROJECTIONS =
            List.of(ProductView.Projector.NAME, PriceHistory.NAME, MonthlyStats.NAME);

    private static final int PAGE = 500;

    /** @throws NullPointerException if an argument is null */
    public ProductTimeline {
        Objects.requireNonNull(productId, "productId");
        steps = List.copyOf(Objects.requireNonNull(steps, "steps"));
    }

    /**
     * One event of the product and what it did.
     *
     * @param envelope the event, decoded, with where and when it was stored
     * @param state the product as the aggregate folds it from the first event up to this one
     * @param rows the rows the projections write for this event, in the order of
     *     {@link #PROJECTIONS}; none for a projection that this event does not touch
     */
    public record Step(Envelope<ProductEvent> envelope, Product state, List<RowChange> rows) {
        /** @throws NullPointerException if an argument is null */
        public Step {
            Objects.requireNonNull(envelope, "envelope");
            Objects.requireNonNull(state, "state");
            rows = List.copyOf(Objects.requireNonNull(rows, "rows"));
        }
    }

    /** How a projection's row changes. */
    public enum Change {
        /** A new row: {@code after} is the row; {@code before} is null. */
        INSERT,
        /** A row changes: from {@code before} to {@code after}. */
        UPDATE,
        /** A row goes: {@code before} was the row; {@code after} is null. */
        DELETE,
        /**
         * The event's totals are added to the row, whatever it held: {@code after} is what is
         * added; {@code before} is null, since the row also depends on other streams.
         */
        ADD
    }

    /**
     * A row of a read model that an event writes.
     *
     * @param projection the projection's name, one of {@link #PROJECTIONS}
     * @param key the row's key in that read model
     * @param change how the row changes
     * @param before the row before the event ({@link ProductView}, {@link PriceHistory.Entry} or
     *     {@link MonthlyStats.Totals}), or null (see {@link Change})
     * @param after the row after the event, or what it adds (see {@link Change}), or null
     */
    public record RowChange(String projection, String key, Change change, Object before, Object after) {
        /** @throws NullPointerException if the projection, key or change is null */
        public RowChange {
            Objects.requireNonNull(projection, "projection");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(change, "change");
        }
    }

    /**
     * Reads a product's stream and replays it from its first event, or from the nearest fold
     * before {@code fromVersion} that {@code checkpoints} keeps (and keeps the folds it passes),
     * keeping the steps from {@code fromVersion} on, at most {@code maxCount}. The events up to
     * the stream's version when the replay starts are read: later appends wait for the next call.
     *
     * @throws IllegalArgumentException if {@code fromVersion} is below 1 or {@code maxCount} below 1
     * @throws StreamDeletedException if the product's stream was deleted
     */
    static ProductTimeline read(
            EventStore store,
            EventCodec<ProductEvent> codec,
            ProductAggregate aggregate,
            TimelineCheckpoints checkpoints,
            String productId,
            long fromVersion,
            int maxCount) {
        if (fromVersion < 1) {
            throw new IllegalArgumentException("fromVersion must be at least 1, was " + fromVersion);
        }
        if (maxCount < 1) {
            throw new IllegalArgumentException("maxCount must be at least 1, was " + maxCount);
        }
        String streamId = aggregate.streamId(productId);
        long latest = store.currentVersion(streamId);
        List<Step> steps = new ArrayList<>();
        if (fromVersion > latest) {
            return new ProductTimeline(productId, latest, steps); // nothing to replay for
        }
        long until = Math.min(latest, fromVersion - 1 + (long) maxCount);
        ProductView.Projector views = new ProductView.Projector();
        Product state = aggregate.initialState();
        ProductView view = null;
        long next = 1;
        TimelineCheckpoints.Fold fold =
                checkpoints.atOrBefore(streamId, fromVersion - 1).orElse(null);
        if (fold != null) {
            List<RecordedEvent> at = store.readStream(streamId, fold.version(), 1);
            if (!at.isEmpty() && at.get(0).eventId().equals(fold.eventId())) {
                state = fold.state();
                view = fold.view();
                next = fold.version() + 1;
            } else {
                checkpoints.drop(streamId); // not this stream's history (another database)
            }
        }
        while (next <= until) {
            List<RecordedEvent> page = store.readStream(streamId, next, (int) Math.min(PAGE, until - next + 1));
            if (page.isEmpty()) {
                break;
            }
            for (RecordedEvent recorded : page) {
                Envelope<ProductEvent> e = codec.decode(recorded);
                state = aggregate.evolve(state, e.event());
                List<RowChange> rows = new ArrayList<>();
                ProductView viewAfter = view;
                if (productId.equals(views.key(e))) {
                    viewAfter = views.apply(view, e);
                    if (view != null || viewAfter != null) {
                        rows.add(viewChange(productId, view, viewAfter));
                    }
                }
                if (recorded.version() >= fromVersion) {
                    PriceHistory.Entry entry = PriceHistory.entry(e);
                    rows.add(new RowChange(
                            PriceHistory.NAME, Long.toString(entry.position()), Change.INSERT, null, entry));
                    MonthlyStats.contribution(e)
                            .ifPresent(c -> rows.add(
                                    new RowChange(MonthlyStats.NAME, c.month(), Change.ADD, null, c.totals())));
                    steps.add(new Step(e, state, rows));
                }
                view = viewAfter;
                if (recorded.version() % TimelineCheckpoints.EVERY == 0) {
                    checkpoints.keep(
                            streamId,
                            new TimelineCheckpoints.Fold(recorded.version(), recorded.eventId(), state, view));
                }
            }
            next = page.get(page.size() - 1).version() + 1;
        }
        return new ProductTimeline(productId, latest, steps);
    }

    private static RowChange viewChange(String key, ProductView before, ProductView after) {
        Change change = before == null ? Change.INSERT : after == null ? Change.DELETE : Change.UPDATE;
        return new RowChange(ProductView.Projector.NAME, key, change, before, after);
    }
}
