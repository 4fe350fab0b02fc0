package io.annals.eventstore.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

/**
 * A DataSource whose connection "drops" once, when armed, right after the statement that commits
 * an append reached the database: the append is stored, but its caller gets an error instead of
 * the acknowledgement. The committing statement is {@code COMMIT} on SQLite and the append's
 * single auto-committed {@code INSERT} on PostgreSQL.
 */
final class DroppingDataSource {

    private DroppingDataSource() {}

    /** Set to make the next commit "lose" its acknowledgement; cleared when it happens. */
    static final class Trap {
        final AtomicBoolean afterCommit = new AtomicBoolean();
        final AtomicBoolean beforeCommit = new AtomicBoolean();
    }

    static DataSource wrap(DataSource real, Trap trap) {
        return (DataSource) Proxy.newProxyInstance(
                DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object result = invoke(real, method, args);
                    if (result instanceof Connection c && method.getName().equals("getConnection")) {
                        return connection(c, trap);
                    }
                    return result;
                });
    }

    private static Connection connection(Connection real, Trap trap) {
        return (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    Object result = invoke(real, method, args);
                    if (result instanceof PreparedStatement ps) {
                        String sql = (String) args[0];
                        return statement(ps, PreparedStatement.class, sql.contains("INSERT INTO annals_events"), trap);
                    }
                    if (result instanceof Statement st) {
                        return statement(st, Statement.class, false, trap);
                    }
                    return result;
                });
    }

    private static <T extends Statement> T statement(T real, Class<T> type, boolean commits, Trap trap) {
        InvocationHandler h = (proxy, method, args) -> {
            boolean committing = commits && method.getName().startsWith("execute")
                    || method.getName().equals("execute")
                            && args != null
                            && args.length == 1
                            && "COMMIT".equals(args[0]);
            if (committing && trap.beforeCommit.compareAndSet(true, false)) {
                real.getConnection().close();
                throw new SQLRecoverableException("connection dropped before the commit was sent (test)", "08006");
            }
            Object result = invoke(real, method, args);
            if (committing && trap.afterCommit.compareAndSet(true, false)) {
                real.getConnection().close();
                throw new SQLRecoverableException("connection dropped after the commit was sent (test)", "08006");
            }
            return result;
        };
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h));
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Whether {@code e} or a cause is the test's dropped connection. */
    static boolean isDrop(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && "08006".equals(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
