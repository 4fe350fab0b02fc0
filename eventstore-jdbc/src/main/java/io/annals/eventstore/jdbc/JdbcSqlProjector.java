package io.annals.eventstore.jdbc;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.Interest;
import io.annals.eventstore.projection.ProjectionException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Runs a {@link SqlProjection} inside the batch's transaction. */
final class JdbcSqlProjector<E extends Event> extends JdbcProjector<@Nullable Void> {

    private final SqlProjection<E> projection;
    private final EventCodec<E> codec;
    /** Whether the projection overrides {@link SqlProjection#applyAll}: its events then go in runs. */
    private final boolean inRuns;

    JdbcSqlProjector(JdbcProjectors projectors, SqlProjection<E> projection, EventCodec<E> codec) {
        super(projectors, projection.name());
        this.projection = projection;
        this.codec = codec;
        this.inRuns = overridesApplyAll(projection);
    }

    @Override
    @Nullable
    Void applyBatch(Connection c, long from, long repairs, List<RecordedEvent> events) {
        Set<String> categories = projection.categories();
        List<Envelope<E>> run = new ArrayList<>();
        for (RecordedEvent r : events) {
            if (!Interest.inCategories(categories, r.streamId())) {
                continue; // as a store that filters by category would not have read it
            }
            if (r.type().equals(EventStore.STREAM_DELETED)) {
                applyRun(c, run);
                try {
                    projection.streamDeleted(c, r.streamId());
                } catch (SQLException | RuntimeException e) {
                    throw new ProjectionException(name(), r, e);
                }
                continue;
            }
            if (!codec.knows(r.type()) || codec.isRetired(r.type())) {
                continue;
            }
            try {
                Envelope<E> e = codec.decode(r);
                if (inRuns) {
                    run.add(e);
                } else {
                    projection.apply(c, e);
                }
            } catch (SQLException | RuntimeException e) {
                throw new ProjectionException(name(), r, e);
            }
        }
        applyRun(c, run);
        return null;
    }

    /** Applies the events gathered for {@link SqlProjection#applyAll}, if any, and empties the run. */
    private void applyRun(Connection c, List<Envelope<E>> run) {
        if (run.isEmpty()) {
            return;
        }
        try {
            projection.applyAll(c, List.copyOf(run));
        } catch (SQLException | RuntimeException e) {
            throw ProjectionException.ofBatch(
                    name(), run.stream().map(Envelope::recorded).toList(), e);
        } finally {
            run.clear();
        }
    }

    /**
     * Whether the projection's class declares {@link SqlProjection#applyAll} (itself or a class it
     * extends). A JDK proxy declares every method of its interfaces: it gets {@code apply} for
     * each event, so that what it does around {@code apply} still runs.
     */
    private static boolean overridesApplyAll(SqlProjection<?> projection) {
        if (Proxy.isProxyClass(projection.getClass())) {
            return false;
        }
        try {
            return projection
                            .getClass()
                            .getMethod("applyAll", Connection.class, List.class)
                            .getDeclaringClass()
                    != SqlProjection.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError("SqlProjection declares applyAll", e);
        }
    }

    @Override
    boolean appendsEvents() {
        return projection.appendsEvents();
    }

    @Override
    void deleteReadModel(Connection c) throws SQLException {
        projection.reset(c);
    }

    /** The events its codec decodes, and the tombstones of deleted streams. */
    @Override
    public Optional<Query> interest() {
        return Interest.of(codec);
    }

    /** The projection's categories. */
    @Override
    public Set<String> categories() {
        return projection.categories();
    }
}
