package io.annals.eventstore.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Appends heard across processes on PostgreSQL. After an append commits, a thread of its own
 * sends {@code pg_notify} in a transaction of its own: never inside the append's, where
 * {@code NOTIFY} would take the cluster-wide lock at commit and serialise the appends; one
 * notification stands for every append made while the previous one was being sent and for a pause
 * after it (10 ms, up to 30 ms while appends keep coming: {@link #pauseAfter}). While
 * something listens to the store, another thread keeps one connection in {@code LISTEN} and tells
 * the store's listeners of the notifications of other processes and other store objects: each
 * carries its sender's token, and a store's own come back to it for nothing, since its appends
 * told its listeners when they committed.
 */
final class PgNotifications implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PgNotifications.class.getName());
    private static final int WAIT_MILLIS = 500;
    /** The pause after a notification: at least this long... */
    private static final long MIN_SEND_GAP_MILLIS = 10;
    /** ...and at most this long, while writers keep appending. */
    private static final long MAX_SEND_GAP_MILLIS = 30;

    /**
     * The notification, in a transaction of its own that does not wait for the WAL's flush: a
     * notification gives its transaction an id, so a synchronous commit would flush the WAL once
     * more per notification, beside the appends' flushes. A notification lost in a crash of the
     * server costs a runner its wait until the next poll, nothing else.
     */
    private static final String NOTIFY =
            "SELECT pg_catalog.set_config('synchronous_commit', 'off', true), pg_catalog.pg_notify(?, ?)";

    private final DataSource dataSource;
    private final Supplier<String> identity;
    /** The pool the store made, grown by the connection kept listening so that no append waits for it. */
    private final @Nullable HikariDataSource ownedPool;

    private volatile @Nullable String channel;
    /** The payload of this store object's notifications, which its own listening connection ignores. */
    private final String token = UUID.randomUUID().toString();

    private final Runnable heard;
    private final ExecutorService sender;
    private final AtomicBoolean sendQueued = new AtomicBoolean();
    /** Appends committed since the last notification began: how busy the writers are. */
    private final AtomicInteger unsent = new AtomicInteger();

    private final AtomicBoolean sendFailureLogged = new AtomicBoolean();
    private volatile boolean closed;
    private volatile boolean listening;
    private @Nullable Thread listener;

    PgNotifications(
            DataSource dataSource, @Nullable HikariDataSource ownedPool, Supplier<String> identity, Runnable heard) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.identity = identity;
        this.heard = heard;
        this.sender = Executors.newSingleThreadExecutor(task -> {
            Thread t = new Thread(task, "annals-notify");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The channel of a store's tables: the same in every process that uses them (the store's
     * identity: database, schema, prefix), and a plain identifier (so {@code LISTEN} needs no
     * quoting).
     */
    static String channel(String identity) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return "annals_" + HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The channel, asked of the database once, on the threads of notifications, not of appends. */
    private String channel() {
        String c = channel;
        if (c == null) {
            c = channel(identity.get());
            channel = c;
        }
        return c;
    }

    /** An append committed: tell the other processes, soon, once for all appends until then. */
    void appended() {
        unsent.incrementAndGet();
        if (!closed && sendQueued.compareAndSet(false, true)) {
            try {
                sender.execute(this::send);
            } catch (RejectedExecutionException e) {
                // closed meanwhile
            }
        }
    }

    private void send() {
        sendQueued.set(false);
        int covered = unsent.getAndSet(0);
        // asked before a connection is borrowed: it needs one of its own (a pool of one)
        String name;
        try {
            name = channel();
        } catch (RuntimeException e) {
            if (sendFailureLogged.compareAndSet(false, true)) {
                LOG.log(Level.WARNING, () -> "cannot notify other processes of appends: " + e.getMessage());
            }
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            try (PreparedStatement ps = c.prepareStatement(NOTIFY)) {
                ps.setString(1, name);
                ps.setString(2, token);
                ps.execute();
            }
            sendFailureLogged.set(false);
        } catch (SQLException | RuntimeException e) {
            // Runners in other processes then find the append at their next poll.
            if (sendFailureLogged.compareAndSet(false, true)) {
                LOG.log(Level.WARNING, () -> "cannot notify other processes of appends: " + e.getMessage());
            }
        }
        // the appends of the pause go out in one notification: a writer in a tight loop pays for
        // a hundred a second at most, not one round trip per append, and a follower in another
        // process reads at most as often (with a pause of 2 ms, the writer's appends/s fell to
        // 0.59 of those with the follower polling; with 10 ms, 0.85-1.03). The connection is back
        // in the pool meanwhile, where the appends need it.
        LockSupport.parkNanos(pauseAfter(covered));
    }

    /**
     * The pause after a notification that stood for {@code covered} appends: 10 ms, and 1 ms more
     * for each append beyond two, up to 30 ms. An append after a quiet moment is sent at once,
     * and while appends are few one waits 10 ms at most; writers in a steady stream notify about
     * 33 times a second instead of a hundred, and each process that follows reads as often:
     * every notification is a transaction on the server and a read in every listening process,
     * and the writers share the machine with them.
     */
    static long pauseAfter(int covered) {
        long millis = Math.min(MAX_SEND_GAP_MILLIS, MIN_SEND_GAP_MILLIS + Math.max(0, covered - 2));
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** Starts listening, if not yet: from now on notifications reach the store's listeners. */
    synchronized void listen() {
        if (listener == null && !closed) {
            Thread t = new Thread(this::listenLoop, "annals-listen");
            t.setDaemon(true);
            listener = t;
            t.start();
        }
    }

    private void listenLoop() {
        long backoff = 100;
        while (!closed) {
            Dialect.resizeOwnedPool(ownedPool, 1);
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(true);
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN " + channel()); // a name made of hex digits: see channel(String)
                } catch (SQLException refused) {
                    if ("25006".equals(refused.getSQLState())) { // read_only_sql_transaction
                        // a standby or a read-only session refuses LISTEN for good: poll instead
                        LOG.log(
                                Level.INFO,
                                () -> "cannot listen for appends of other processes (" + refused.getMessage()
                                        + "): projection runners find them at their polls");
                        return;
                    }
                    throw refused;
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                backoff = 100;
                heard.run(); // what was appended while no one listened is read now
                listening = true;
                while (!closed) {
                    PGNotification[] notifications = pg.getNotifications(WAIT_MILLIS);
                    if (notifications != null && fromElsewhere(notifications)) {
                        heard.run();
                    }
                }
                listening = false;
                try (Statement st = c.createStatement()) {
                    st.execute("UNLISTEN *"); // the connection goes back to the pool
                }
            } catch (SQLException | RuntimeException e) {
                listening = false;
                if (closed) {
                    return;
                }
                LOG.log(
                        Level.WARNING,
                        () -> "listening for appends of other processes failed, again in a moment: " + e.getMessage());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoff = Math.min(backoff * 2, 5_000);
            } finally {
                Dialect.resizeOwnedPool(ownedPool, -1);
            }
        }
    }

    /** Whether any of {@code notifications} was sent by another store object than this one. */
    private boolean fromElsewhere(PGNotification[] notifications) {
        for (PGNotification n : notifications) {
            if (!token.equals(n.getParameter())) {
                return true;
            }
        }
        return false;
    }

    /** Whether a connection listens now (after it has told the store once, at its start). */
    boolean listening() {
        return listening;
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = listener;
        }
        sender.shutdown();
        try {
            sender.awaitTermination(2, TimeUnit.SECONDS);
            if (t != null) {
                t.join(2 * WAIT_MILLIS + 1_000L);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
