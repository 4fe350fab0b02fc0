package io.annals.eventstore.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/** Work done on one connection, inside whatever transaction the caller set up. */
@FunctionalInterface
interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
}
