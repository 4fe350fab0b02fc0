package io.annals.eventstore.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;

/**
 * The write transaction of a projection batch, while the batch runs on its thread. The store's
 * own calls made on that thread from the projection's {@code apply} (an append, a command's
 * reads, a snapshot) join it rather than wait for it: on SQLite the batch holds the only write
 * lock, so a second transaction would wait for a batch that waits for it. Joined writes commit or
 * roll back with the batch's checkpoint, so a reaction to an event is stored exactly once.
 *
 * <p>Only a projection that declares it appends ({@link SqlProjection#appendsEvents()}) may
 * append (snapshots are a cache, and any projection may save them): on PostgreSQL its batch must take the events table's lock before anything else (see
 * {@link Dialect#lockForAppends}), and the same rule holds on every store so that code that
 * works on one works on the others.
 */
final class BatchTransaction {

    private final String projection;
    private final boolean appends;
    private final Connection shared;
    private long appended;

    BatchTransaction(String projection, boolean appends, Connection connection) {
        this.projection = projection;
        this.appends = appends;
        this.shared = (Connection) Proxy.newProxyInstance(
                BatchTransaction.class.getClassLoader(), new Class<?>[] {Connection.class}, new Shared(connection));
    }

    /**
     * The batch's connection for the store's calls that join it: closing it gives nothing back,
     * and the batch alone ends the transaction.
     */
    Connection connection() {
        return shared;
    }

    /** Whether {@code c} is the connection {@link #connection()} handed out. */
    boolean isOn(Connection c) {
        return c == shared;
    }

    /**
     * Checks that the projection may append from its {@code apply}.
     *
     * @throws IllegalStateException if it did not declare that it appends
     */
    void checkAppend(String what) {
        if (!appends) {
            throw new IllegalStateException("projection " + projection + " tried to " + what
                    + " from its apply, but does not declare that it appends events: override "
                    + "SqlProjection.appendsEvents() to return true (its writes then join the "
                    + "batch's transaction and commit with its checkpoint)");
        }
    }

    /**
     * Counts {@code events} more events appended in this transaction.
     *
     * @throws IllegalArgumentException if that makes more than {@code max}; nothing is written
     */
    void checkCapacity(int events, long max) {
        if (appended + events > max) {
            throw new IllegalArgumentException("projection " + projection + " appends more than " + max
                    + " events in one batch (" + appended + " already, " + events + " more): the "
                    + "database cannot number more in one transaction; run it with smaller batches");
        }
    }

    /** Whether the projection may append in this transaction (it declared it does). */
    boolean mayAppend() {
        return appends;
    }

    /** Counts {@code events} appended in this transaction (after they were written). */
    void appended(int events) {
        appended += events;
    }

    /** Leaves the transaction's end to the batch; the rest goes to the connection. */
    private static final class Shared implements InvocationHandler {

        private final Connection connection;

        Shared(Connection connection) {
            this.connection = connection;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "close":
                    return null;
                case "commit", "rollback", "setAutoCommit", "setTransactionIsolation":
                    throw new IllegalStateException("the store ends a projection batch's transaction itself: "
                            + method.getName() + " is not allowed on its connection");
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "toString":
                    return "projection batch on " + connection;
                default:
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
            }
        }
    }
}
