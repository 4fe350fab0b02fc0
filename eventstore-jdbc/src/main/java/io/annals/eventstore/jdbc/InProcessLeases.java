package io.annals.eventstore.jdbc;

import io.annals.eventstore.projection.Projector;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Leases held in this JVM, for a database without session locks (SQLite). Runners in other
 * processes are not excluded; the checkpoint's compare-and-set still keeps them from applying a
 * batch twice.
 */
final class InProcessLeases implements Leases {

    /** Every lease held in this JVM, by namespace and projection. */
    private static final Set<String> HELD = ConcurrentHashMap.newKeySet();

    private final String namespace;

    /** @param namespace what tells this store's projections from others' (the file, the prefix) */
    InProcessLeases(String namespace) {
        this.namespace = namespace;
    }

    @Override
    public Optional<Projector.Lease> tryAcquire(String projection) {
        String key = namespace + "\u0000" + projection;
        if (!HELD.add(key)) {
            return Optional.empty();
        }
        return Optional.of(Projector.Lease.untilClosed(() -> HELD.remove(key)));
    }
}
