package io.annals.benchmarks;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A DataSource that counts what the store asks of JDBC: connections borrowed, statements
 * prepared or created, statements executed (each one a round trip to a PostgreSQL server, each
 * one a trip through SQLite's VM), commits and rollbacks. {@code unwrap} reaches the driver's
 * connection, so the store works on it as on any pool.
 */
final class CountingDataSource implements DataSource {

    private final DataSource delegate;
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

    CountingDataSource(DataSource delegate) {
        this.delegate = delegate;
    }

    void reset() {
        counts.clear();
        CountingSocketFactory.FLUSHES.set(0);
    }

    /** The counts so far, divided by {@code operations}, in a fixed order. */
    Map<String, Double> perOperation(long operations) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String k : new String[] {"connections", "prepares", "executes", "commits", "rollbacks"}) {
            AtomicLong v = counts.get(k);
            out.put(k, v == null ? 0 : v.get() / (double) operations);
        }
        out.put("round trips", CountingSocketFactory.FLUSHES.get() / (double) operations);
        return out;
    }

    private void count(String what) {
        counts.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public Connection getConnection() throws SQLException {
        count("connections");
        return wrap(delegate.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        count("connections");
        return wrap(delegate.getConnection(username, password));
    }

    private Connection wrap(Connection c) {
        InvocationHandler h = (proxy, method, args) -> {
            String name = method.getName();
            switch (name) {
                case "prepareStatement", "prepareCall", "createStatement" -> count("prepares");
                case "commit" -> count("commits");
                case "rollback" -> count("rollbacks");
                default -> {}
            }
            Object result = invoke(c, method, args);
            if (result instanceof Statement s) {
                Class<?> type = result instanceof CallableStatement
                        ? CallableStatement.class
                        : result instanceof PreparedStatement ? PreparedStatement.class : Statement.class;
                return statement(s, type);
            }
            return result;
        };
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, h);
    }

    private Object statement(Statement s, Class<?> type) {
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().startsWith("execute")) {
                count("executes");
            }
            return invoke(s, method, args);
        };
        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, h);
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return delegate.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return delegate.isWrapperFor(iface);
    }
}
