package io.annals.eventstore.jdbc;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.projection.ProjectionException;
import io.annals.eventstore.RecordedEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** Runs a {@link JdbcProjection} inside the batch's transaction. */
final class JdbcCustomProjector<E extends Event> extends JdbcProjectorBase {

    private final JdbcProjection<E> projection;
    private final EventCodec<E> codec;

    JdbcCustomProjector(JdbcProjections projections, JdbcProjection<E> projection,
                        EventCodec<E> codec) {
        super(projections, projection.name());
        this.projection = projection;
        this.codec = codec;
    }

    @Override
    void applyBatch(Connection c, long from, List<RecordedEvent> events) {
        for (RecordedEvent r : events) {
            if (!codec.knows(r.type())) {
                continue;
            }
            try {
                Envelope<E> e = codec.decode(r);
                projection.apply(c, e);
            } catch (SQLException | RuntimeException e) {
                throw new ProjectionException(name(), r, e);
            }
        }
    }

    @Override
    void deleteReadModel(Connection c) throws SQLException {
        projection.reset(c);
    }
}
