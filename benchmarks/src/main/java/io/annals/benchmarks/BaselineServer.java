package io.annals.benchmarks;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.jdbc.JdbcEventStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;

/**
 * W7's baseline: the price tracker's three busiest routes written by hand on raw JDBC, served
 * the same way as the example (the JDK's HTTP server, 16 threads, a HikariCP pool of 8, the same
 * JSON). A price change is one transaction that checks the product, appends the event to the same
 * {@code events} table (version from the product row, locked), and updates the product view and
 * the price history synchronously; a read is one SELECT of the product view. It keeps no monthly
 * statistics (a row per month updated by every change would serialise all writers).
 *
 * <pre>java -cp benchmarks.jar io.annals.benchmarks.BaselineServer --port N --db JDBC_URL</pre>
 */
public final class BaselineServer {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    private final HikariDataSource pool;
    private final boolean sqlite;
    /** SQLite: one writer at a time, waiting in the JVM rather than in SQLite's busy loop. */
    private final ReentrantLock writeLock = new ReentrantLock();

    private BaselineServer(HikariDataSource pool, boolean sqlite) {
        this.pool = pool;
        this.sqlite = sqlite;
    }

    /** A response: status and JSON body. */
    private record Answer(int status, String body) {}

    /** Runs until killed. */
    public static void main(String[] args) throws Exception {
        ServerOptions options = ServerOptions.parse("BaselineServer", args);
        int port = options.port();
        String db = options.db();
        boolean sqlite = db.startsWith("jdbc:sqlite:");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db);
        config.setMaximumPoolSize(8);
        if (sqlite) {
            config.addDataSourceProperty("synchronous", "FULL");
            config.addDataSourceProperty("busy_timeout", "5000");
            config.addDataSourceProperty("journal_mode", "WAL");
        }
        HikariDataSource pool = new HikariDataSource(config);
        // The same events table as Annals: let the store create it, then write it by hand.
        JdbcEventStore.open(pool).close();
        try (Connection c = pool.getConnection();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS product_view (product_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
                    + "price TEXT NOT NULL, version BIGINT NOT NULL)");
            st.execute("""
                    CREATE TABLE IF NOT EXISTS price_history (
                        position BIGINT PRIMARY KEY, product_id TEXT NOT NULL, version BIGINT NOT NULL,
                        at_micros BIGINT NOT NULL, change TEXT NOT NULL, old_price TEXT, new_price TEXT,
                        variation TEXT)""");
            st.execute("CREATE INDEX IF NOT EXISTS price_history_product ON price_history (product_id, version)");
            if (!sqlite) {
                st.execute("CREATE SEQUENCE IF NOT EXISTS bench_raw_position");
            }
        }
        BaselineServer server = new BaselineServer(pool, sqlite);
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        ExecutorService executor = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "baseline-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/", server::serve);
        http.start();
        System.out.println(
                "Baseline serving http://127.0.0.1:" + http.getAddress().getPort() + "/");
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
            }
            Answer a;
            try {
                a = route(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), body);
            } catch (SQLException | RuntimeException e) {
                a = error(500, "internal", e.toString());
            }
            byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            exchange.sendResponseHeaders(a.status(), out.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(out);
            }
        }
    }

    private Answer route(String method, String path, String body) throws SQLException, IOException {
        String[] parts = path.split("/", -1);
        if (parts.length == 2 && parts[1].equals("products") && method.equals("POST")) {
            JsonNode n = JSON.readTree(body);
            return create(
                    n.get("productId").textValue(),
                    n.get("name").textValue(),
                    n.get("price").decimalValue());
        }
        if (parts.length == 3 && parts[1].equals("products") && method.equals("GET")) {
            return get(parts[2]);
        }
        if (parts.length == 4
                && parts[1].equals("products")
                && parts[3].equals("price-changes")
                && method.equals("POST")) {
            return changePrice(parts[2], JSON.readTree(body).get("variation").decimalValue());
        }
        return error(404, "no_route", "no route for " + method + " " + path);
    }

    private static Answer error(int status, String code, String message) {
        ObjectNode o = JSON.createObjectNode();
        o.put("error", code);
        o.put("message", message);
        return new Answer(status, o.toString());
    }

    private Answer get(String id) throws SQLException {
        try (Connection c = pool.getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT name, price, version FROM product_view WHERE product_id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return error(404, "not_found", "no product " + id);
                }
                ObjectNode o = JSON.createObjectNode();
                o.put("productId", id);
                o.put("name", rs.getString(1));
                o.put("price", new BigDecimal(rs.getString(2)));
                o.put("version", rs.getLong(3));
                return new Answer(200, o.toString());
            }
        }
    }

    /** Work inside one write transaction. */
    private interface Tx {
        Answer run(Connection c) throws SQLException;
    }

    private Answer inTransaction(Tx work) throws SQLException {
        if (sqlite) {
            writeLock.lock();
        }
        try (Connection c = pool.getConnection()) {
            if (sqlite) {
                try (Statement st = c.createStatement()) {
                    st.execute("BEGIN IMMEDIATE");
                }
            } else {
                c.setAutoCommit(false);
            }
            boolean done = false;
            try {
                Answer a = work.run(c);
                if (a.status() < 300) {
                    if (sqlite) {
                        try (Statement st = c.createStatement()) {
                            st.execute("COMMIT");
                        }
                    } else {
                        c.commit();
                    }
                    done = true;
                }
                return a;
            } finally {
                if (!done) {
                    if (sqlite) {
                        try (Statement st = c.createStatement()) {
                            st.execute("ROLLBACK");
                        }
                    } else {
                        c.rollback();
                    }
                }
                if (!sqlite) {
                    c.setAutoCommit(true);
                }
            }
        } finally {
            if (sqlite) {
                writeLock.unlock();
            }
        }
    }

    private long insertEvent(Connection c, String id, long version, String type, String json) throws SQLException {
        String sql = sqlite
                ? "INSERT INTO annals_events (stream_id, version, event_id, type, data, metadata, recorded_at) "
                        + "VALUES (?, ?, ?, ?, ?, NULL, ?) RETURNING position"
                : "INSERT INTO annals_events (position, stream_id, version, event_id, type, data, metadata, recorded_at) "
                        + "VALUES (nextval('bench_raw_position'), ?, ?, ?::uuid, ?, ?::jsonb, NULL, "
                        + "'epoch'::timestamptz + ? * interval '1 microsecond') RETURNING position";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, "product-" + id);
            ps.setLong(2, version);
            ps.setString(3, UUID.randomUUID().toString());
            ps.setString(4, type);
            ps.setString(5, json);
            ps.setLong(6, System.currentTimeMillis() * 1000);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private Answer create(String id, String name, BigDecimal price) throws SQLException {
        return inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM product_view WHERE product_id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return error(409, "already_exists", "product " + id + " exists");
                    }
                }
            }
            ObjectNode event = JSON.createObjectNode();
            event.put("productId", id);
            event.put("name", name);
            event.put("price", price);
            long position = insertEvent(c, id, 1, "ProductCreated", event.toString());
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO product_view (product_id, name, price, version) VALUES (?, ?, ?, 1)")) {
                ps.setString(1, id);
                ps.setString(2, name);
                ps.setString(3, price.toPlainString());
                ps.executeUpdate();
            }
            history(c, position, id, 1, "created", null, price, null);
            return written(201, id, name, price, 1, position);
        });
    }

    private Answer changePrice(String id, BigDecimal variation) throws SQLException {
        return inTransaction(c -> {
            String name;
            BigDecimal price;
            long version;
            try (PreparedStatement ps = c.prepareStatement("SELECT name, price, version FROM product_view "
                    + "WHERE product_id = ?" + (sqlite ? "" : " FOR UPDATE"))) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return error(404, "not_found", "no product " + id);
                    }
                    name = rs.getString(1);
                    price = new BigDecimal(rs.getString(2));
                    version = rs.getLong(3);
                }
            }
            BigDecimal next = price.add(variation);
            if (next.signum() <= 0) {
                return error(422, "price_not_positive", "the price would be " + next);
            }
            ObjectNode event = JSON.createObjectNode();
            event.put("productId", id);
            event.put("oldPrice", price);
            event.put("newPrice", next);
            event.put("variation", variation);
            long position = insertEvent(c, id, version + 1, "PriceChanged", event.toString());
            try (PreparedStatement ps =
                    c.prepareStatement("UPDATE product_view SET price = ?, version = ? WHERE product_id = ?")) {
                ps.setString(1, next.toPlainString());
                ps.setLong(2, version + 1);
                ps.setString(3, id);
                ps.executeUpdate();
            }
            history(c, position, id, version + 1, "price_changed", price, next, variation);
            return written(200, id, name, next, version + 1, position);
        });
    }

    private static void history(
            Connection c,
            long position,
            String id,
            long version,
            String change,
            BigDecimal oldPrice,
            BigDecimal newPrice,
            BigDecimal variation)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO price_history (position, product_id, version, at_micros, change, old_price,
                                           new_price, variation) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")) {
            ps.setLong(1, position);
            ps.setString(2, id);
            ps.setLong(3, version);
            ps.setLong(4, System.currentTimeMillis() * 1000);
            ps.setString(5, change);
            ps.setString(6, oldPrice == null ? null : oldPrice.toPlainString());
            ps.setString(7, newPrice == null ? null : newPrice.toPlainString());
            ps.setString(8, variation == null ? null : variation.toPlainString());
            ps.executeUpdate();
        }
    }

    private static Answer written(int status, String id, String name, BigDecimal price, long version, long position) {
        ObjectNode o = JSON.createObjectNode();
        o.put("productId", id);
        o.put("name", name);
        o.put("price", price);
        o.put("version", version);
        o.put("position", position);
        return new Answer(status, o.toString());
    }
}
