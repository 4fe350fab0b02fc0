package io.annals.eventstore.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Tells a SQLite store's listeners that another connection wrote to the database: a thread of its
 * own asks {@code PRAGMA data_version} on one connection every interval. The number changes when
 * any other connection, of this process or another, commits, and asking costs a read of the
 * write-ahead log's shared memory, not a read of the log: runners in other processes wake within
 * an interval instead of a poll. The store's own appends change it too (they come through other
 * connections of its pool); a listener woken twice finds nothing more the second time. The
 * statement leaves no transaction open, so checkpoints go on.
 */
final class SqliteChangeWatch implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SqliteChangeWatch.class.getName());

    private final DataSource dataSource;
    private final @Nullable HikariDataSource ownedPool;
    private final long intervalNanos;
    private final Runnable changed;
    private @Nullable Thread watcher;
    private volatile boolean closed;

    SqliteChangeWatch(
            DataSource dataSource, @Nullable HikariDataSource ownedPool, Duration interval, Runnable changed) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.intervalNanos = interval.toNanos();
        this.changed = changed;
    }

    /** Starts watching, if not yet. */
    synchronized void watch() {
        if (watcher == null && !closed) {
            Thread t = new Thread(this::loop, "annals-sqlite-changes");
            t.setDaemon(true);
            watcher = t;
            t.start();
        }
    }

    private void loop() {
        long backoff = 100;
        while (!closed) {
            Dialect.resizeOwnedPool(ownedPool, 1);
            try (Connection c = dataSource.getConnection();
                    Statement st = c.createStatement()) {
                c.setAutoCommit(true);
                long seen = version(st);
                backoff = 100;
                while (!closed) {
                    LockSupport.parkNanos(intervalNanos);
                    long now = version(st);
                    if (now != seen) {
                        seen = now;
                        changed.run();
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    return;
                }
                LOG.log(
                        Level.WARNING,
                        () -> "watching for writes of other connections failed, again in a moment: " + e.getMessage());
                LockSupport.parkNanos(Duration.ofMillis(backoff).toNanos());
                backoff = Math.min(backoff * 2, 5_000);
            } finally {
                Dialect.resizeOwnedPool(ownedPool, -1);
            }
        }
    }

    private static long version(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("PRAGMA data_version")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = watcher;
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(Math.max(1_000L, 2 * intervalNanos / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
