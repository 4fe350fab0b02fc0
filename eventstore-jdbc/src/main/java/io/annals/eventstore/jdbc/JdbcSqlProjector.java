package io.annals.eventstore.jdbc;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.Interest;
import io.annals.eventstore.projection.ProjectionException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Runs a {@link SqlProjection} inside the batch's transaction. */
final class JdbcSqlProjector<E extends Event> extends JdbcProjector<@Nullable Void> {

    private final SqlProjection<E> projection;
    private final EventCodec<E> codec;

    JdbcSqlProjector(JdbcProjectors projectors, SqlProjection<E> projection, EventCodec<E> codec) {
        super(projectors, projection.name());
        this.projection = projection;
        this.codec = codec;
    }

    @Override
    @Nullable
    Void applyBatch(Connection c, long from, List<RecordedEvent> events) {
        Set<String> categories = projection.categories();
        for (RecordedEvent r : events) {
            if (!Interest.inCategories(categories, r.streamId())) {
                continue; // as a store that filters by category would not have read it
            }
            if (r.type().equals(EventStore.STREAM_DELETED)) {
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
                projection.apply(c, e);
            } catch (SQLException | RuntimeException e) {
                throw new ProjectionException(name(), r, e);
            }
        }
        return null;
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
