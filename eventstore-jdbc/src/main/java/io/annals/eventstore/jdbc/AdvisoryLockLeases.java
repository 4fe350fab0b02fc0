package io.annals.eventstore.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.projection.Projector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Leases as PostgreSQL session advisory locks, each on a connection kept for as long as it is
 * held: the server releases the lock when the session ends, so when a runner's process dies or
 * loses its connection, a runner elsewhere takes over. A lease's key is exact, not a hash of the
 * projection's name: its number in the store's lease table, under that table's object id
 * ({@code lease-key} in {@code db/postgresql/statements.sql}), so that no two projections ever
 * wait for each other. When the store owns its pool, the pool grows by one connection per lease,
 * so that leases never starve the appends and the projections' own reads and writes.
 */
final class AdvisoryLockLeases implements Leases {

    private final DataSource dataSource;
    private final PostgresDialect dialect;
    private final @Nullable HikariDataSource ownedPool;
    private final String leaseKey;
    private final String tryLease;
    private final String releaseLease;
    /** The keys of projections, which never change once their row exists. */
    private final Map<String, Long> keys = new ConcurrentHashMap<>();

    AdvisoryLockLeases(DataSource dataSource, PostgresDialect dialect, @Nullable HikariDataSource ownedPool) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.ownedPool = ownedPool;
        this.leaseKey = dialect.sql("lease-key");
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
        Connection c = dialect.open(dataSource);
        long key;
        try {
            key = key(c, projection);
            try (PreparedStatement ps = c.prepareStatement(tryLease)) {
                ps.setLong(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        c.close();
                        return Optional.empty();
                    }
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
                    ps.setLong(1, key);
                    ps.execute();
                } catch (SQLException e) {
                    // the connection is gone, and the lock with it
                } finally {
                    resizePool(-1);
                }
            }
        });
    }

    /** The projection's key, its row made the first time (another runner may make it at once). */
    private long key(Connection c, String projection) throws SQLException {
        Long known = keys.get(projection);
        if (known != null) {
            return known;
        }
        for (int attempt = 1; ; attempt++) {
            try (PreparedStatement ps = c.prepareStatement(leaseKey)) {
                ps.setString(1, projection);
                ps.setString(2, projection);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        long key = rs.getLong(1);
                        keys.put(projection, key);
                        return key;
                    }
                }
            }
            // Another runner inserted the row after this statement's snapshot: the next one sees it.
            if (attempt == 3) {
                throw new SQLException("the lease row of projection " + projection + " did not appear");
            }
        }
    }

    private void resizePool(int delta) {
        if (ownedPool != null) {
            synchronized (ownedPool) {
                ownedPool.setMaximumPoolSize(ownedPool.getMaximumPoolSize() + delta);
            }
        }
    }
}
