package io.annals.eventstore.jdbc;

import io.annals.eventstore.projection.Projector;
import java.sql.SQLException;
import java.util.Optional;

/** Where the leases of a store's projections are kept: one runner per projection at a time. */
interface Leases {

    /**
     * Tries to take the lease of {@code projection}.
     *
     * @return the lease; empty when another runner holds it
     */
    Optional<Projector.Lease> tryAcquire(String projection) throws SQLException;
}
