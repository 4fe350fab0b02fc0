package io.annals.eventstore.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The rows of keyed read models: one table for every keyed projection of the store, a row per
 * projection and key, the value as its codec wrote it. Batches read and write many keys in one
 * statement each, the keys bound as one list (on SQLite, the rows are written by a JDBC batch of
 * one statement each).
 */
final class ReadModelRows {

    /** One row as stored. */
    record Row(String key, String value) {}

    private final Dialect dialect;
    private final String read;
    /** {@code upsert-rows}, or {@code upsert-row} where the dialect writes rows one by one. */
    private final String upsert;

    private final boolean oneByOne;
    private final String delete;
    private final String deleteAll;
    private final String get;
    private final String list;

    ReadModelRows(Dialect dialect) {
        this.dialect = dialect;
        this.read = dialect.sql("read-rows");
        this.oneByOne = dialect.upsertsRowsOneByOne();
        this.upsert = dialect.sql(oneByOne ? "upsert-row" : "upsert-rows");
        this.delete = dialect.sql("delete-rows");
        this.deleteAll = dialect.sql("delete-all-rows");
        this.get = dialect.sql("get-row");
        this.list = dialect.sql("list-rows");
    }

    /** The stored values of those of {@code keys} that have a row, by key. */
    Map<String, String> read(Connection c, String projection, List<String> keys) throws SQLException {
        return dialect.withStatement(c, read, ps -> {
            ps.setString(1, projection);
            dialect.bindList(ps, 2, keys);
            Map<String, String> found = new HashMap<>();
            for (Row row : rows(ps)) {
                found.put(row.key(), row.value());
            }
            return found;
        });
    }

    /** Writes {@code upserts} and deletes the rows of {@code deletes}, in {@code c}'s transaction. */
    void write(Connection c, String projection, Map<String, String> upserts, List<String> deletes) throws SQLException {
        if (!upserts.isEmpty()) {
            upsert(c, projection, upserts);
        }
        if (!deletes.isEmpty()) {
            dialect.withStatement(c, delete, ps -> {
                ps.setString(1, projection);
                dialect.bindList(ps, 2, deletes);
                return ps.executeUpdate();
            });
        }
    }

    /** Writes {@code upserts}: a row per statement in a JDBC batch, or in one statement over two lists. */
    private void upsert(Connection c, String projection, Map<String, String> upserts) throws SQLException {
        if (oneByOne) {
            dialect.withStatement(c, upsert, ps -> {
                for (Map.Entry<String, String> row : upserts.entrySet()) {
                    ps.setString(1, projection);
                    ps.setString(2, row.getKey());
                    ps.setString(3, row.getValue());
                    ps.addBatch();
                }
                return ps.executeBatch();
            });
        } else {
            List<String> keys = new ArrayList<>(upserts.size());
            List<String> values = new ArrayList<>(upserts.size());
            upserts.forEach((k, v) -> {
                keys.add(k);
                values.add(v);
            });
            dialect.withStatement(c, upsert, ps -> {
                ps.setString(1, projection);
                dialect.bindList(ps, 2, keys);
                dialect.bindList(ps, 3, values);
                return ps.executeUpdate();
            });
        }
    }

    /** Deletes every row of {@code projection}, in {@code c}'s transaction. */
    void deleteAll(Connection c, String projection) throws SQLException {
        dialect.withStatement(c, deleteAll, ps -> {
            ps.setString(1, projection);
            return ps.executeUpdate();
        });
    }

    /** The row of {@code key} in the version of {@code projection} in service. */
    Optional<String> get(DataSource dataSource, String projection, String key) throws SQLException {
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, get, ps -> {
                ps.setString(1, projection); // the version in service, read in the same statement
                ps.setString(2, projection);
                ps.setString(3, key);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            });
        }
    }

    /** Rows of the version of {@code projection} in service, in key order. */
    List<Row> list(DataSource dataSource, String projection, int offset, int limit) throws SQLException {
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, list, ps -> {
                ps.setString(1, projection); // the version in service, read in the same statement
                ps.setString(2, projection);
                ps.setInt(3, limit);
                ps.setInt(4, offset);
                return rows(ps);
            });
        }
    }

    private static List<Row> rows(PreparedStatement ps) throws SQLException {
        List<Row> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Row(rs.getString(1), rs.getString(2)));
            }
        }
        return out;
    }
}
