package io.annals.eventstore.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.projection.Projector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Leases as PostgreSQL session advisory locks, each on a connection kept for as long as it is
 * held: the server releases the lock when the session ends, so when a runner's process dies or
 * loses its connection, a runner elsewhere takes over. When the store owns its pool, the pool
 * grows by one connection per lease, so that leases never starve the appends and the
 * projections' own reads and writes.
 */
final class AdvisoryLockLeases implements Leases {

    private final DataSource dataSource;
    private final PostgresDialect dialect;
    private final @Nullable HikariDataSource ownedPool;
    private final String tryLease;
    private final String releaseLease;

    AdvisoryLockLeases(DataSource dataSource, PostgresDialect dialect, @Nullable HikariDataSource ownedPool) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.ownedPool = ownedPool;
        this.tryLease = dialect.sql("try-lease");
        this.releaseLease = dialect.sql("release-lease");
    }

    @Override
    public Optional<Projector.Lease> tryAcquire(String projection) throws SQLException {
        resizePool(+1);
        try {
            Optional<Projector.Lease> lease = lock(projection);
            if (lease.isEmpty()) {
                resizePool(-1);
            }
            return lease;
        } catch (SQLException | RuntimeException e) {
            resizePool(-1);
            throw e;
        }
    }

    private Optional<Projector.Lease> lock(String projection) throws SQLException {
        Connection c = dialect.connect(dataSource);
        try (PreparedStatement ps = c.prepareStatement(tryLease)) {
            ps.setString(1, dialect.namespace());
            ps.setString(2, projection);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    c.close();
                    return Optional.empty();
                }
            }
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
        return Optional.of(new Projector.Lease() {
            private volatile boolean open = true;

            @Override
            public boolean isValid() {
                try {
                    return open && c.isValid(2);
                } catch (SQLException e) {
                    return false;
                }
            }

            @Override
            public void close() {
                if (!open) {
                    return;
                }
                open = false;
                try (c;
                        PreparedStatement ps = c.prepareStatement(releaseLease)) {
                    ps.setString(1, dialect.namespace());
                    ps.setString(2, projection);
                    ps.execute();
                } catch (SQLException e) {
                    // the connection is gone, and the lock with it
                } finally {
                    resizePool(-1);
                }
            }
        });
    }

    private void resizePool(int delta) {
        if (ownedPool != null) {
            synchronized (ownedPool) {
                ownedPool.setMaximumPoolSize(ownedPool.getMaximumPoolSize() + delta);
            }
        }
    }
}
