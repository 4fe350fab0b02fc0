package io.annals.eventstore.jdbc;

import io.annals.eventstore.Query;
import io.annals.eventstore.ReadOnlyStoreException;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.Interest;
import io.annals.eventstore.projection.CheckpointConflictException;
import io.annals.eventstore.projection.Projector;
import io.annals.eventstore.projection.Subscriber;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Runs a {@link Subscriber} at least once: a batch goes to the handler outside any transaction
 * (a slow broker must hold no lock of the database), and the checkpoint moves by compare-and-set
 * in a short transaction of its own only after the handler returned. A crash in between delivers
 * the batch again. The checkpoint and the lease are kept under {@code $subscriber:NAME}, so that
 * a subscriber and a projection of the same name never share them.
 */
final class JdbcSubscriberProjector implements Projector {

    /** What a subscriber's checkpoint and lease are kept under, before its name. */
    static final String KEY_PREFIX = "$subscriber:";

    private final JdbcProjectors projectors;
    private final Subscriber subscriber;
    private final String key;

    JdbcSubscriberProjector(JdbcProjectors projectors, Subscriber subscriber) {
        this.projectors = projectors;
        this.subscriber = subscriber;
        this.key = KEY_PREFIX + subscriber.name();
    }

    @Override
    public String name() {
        return subscriber.name();
    }

    @Override
    public long checkpoint() {
        try {
            return projectors.checkpoints().read(projectors.dataSource(), key);
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot read the checkpoint of subscriber " + name(), e);
        }
    }

    @Override
    public void apply(long from, long to, List<RecordedEvent> events) {
        checkWritable("deliver events to");
        // A runner that lost the subscriber to another (its lease died unnoticed) learns it here,
        // before delivering a batch the other may have delivered already.
        if (checkpoint() != from) {
            throw new CheckpointConflictException(name(), from);
        }
        subscriber.deliver(events);
        boolean moved;
        try {
            moved = projectors
                    .dialect()
                    .inWriteTransaction(
                            projectors.dataSource(),
                            c -> projectors.checkpoints().move(c, key, from, to) != Checkpoints.NOT_MOVED);
        } catch (SQLException e) {
            throw projectors
                    .dialect()
                    .failure("subscriber " + name() + " could not move its checkpoint to position " + to, e);
        }
        if (!moved) {
            throw new CheckpointConflictException(name(), from);
        }
    }

    @Override
    public void reset() {
        checkWritable("reset");
        try {
            projectors.dialect().inWriteTransaction(projectors.dataSource(), c -> {
                projectors.checkpoints().reset(c, key);
                return null;
            });
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot reset subscriber " + name(), e);
        }
    }

    @Override
    public Optional<Lease> tryAcquire() {
        try {
            return projectors.leases().tryAcquire(key);
        } catch (SQLException e) {
            throw projectors.dialect().failure("cannot take the lease of subscriber " + name(), e);
        }
    }

    private void checkWritable(String what) {
        if (projectors.readOnly()) {
            throw new ReadOnlyStoreException(
                    "cannot " + what + " subscriber " + name() + ": the store was opened read-only");
        }
    }

    /** The subscriber's types, read through the store's index; every event without a filter. */
    @Override
    public Optional<Query> interest() {
        return Interest.ofTypes(subscriber.types());
    }

    /** The subscriber's categories, read through the store's index; every stream without. */
    @Override
    public Set<String> categories() {
        return subscriber.categories();
    }
}
