package io.annals.pricetracker.readmodel;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.jdbc.SqlProjection;
import io.annals.pricetracker.domain.ProductAggregate;
import io.annals.pricetracker.domain.ProductEvent;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The price history of every product in table {@code price_history}: one row per event of the
 * product (created, price changed, deleted), with its time, old and new price and variation.
 * Prices are stored as decimal text, so no database rounds them.
 */
public final class PriceHistory implements SqlProjection<ProductEvent> {

    /** The projection's name. */
    public static final String NAME = "price-history";

    /**
     * One entry of a product's history.
     *
     * @param version the version of the product's stream
     * @param position the event's global position
     * @param at when the event was recorded
     * @param change "created", "price_changed" or "deleted"
     * @param oldPrice the price before, null at creation
     * @param newPrice the price after, null at deletion
     * @param variation the change in price, null unless the price changed
     */
    public record Entry(
            long version,
            long position,
            Instant at,
            String change,
            BigDecimal oldPrice,
            BigDecimal newPrice,
            BigDecimal variation) {}

    /** Creates the table if it does not exist. */
    public static void createTable(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection();
                Statement st = c.createStatement()) {
            st.execute("""
                    CREATE TABLE IF NOT EXISTS price_history (
                        position    BIGINT PRIMARY KEY,
                        product_id  TEXT   NOT NULL,
                        version     BIGINT NOT NULL,
                        at_micros   BIGINT NOT NULL,
                        change      TEXT   NOT NULL,
                        old_price   TEXT,
                        new_price   TEXT,
                        variation   TEXT
                    )""");
            st.execute("CREATE INDEX IF NOT EXISTS price_history_product " + "ON price_history (product_id, version)");
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * The row this projection writes for {@code e}, keyed by the event's position: a pure
     * function of the event, which {@link #apply} stores as it is. The time is kept to the
     * microsecond, as the table stores it.
     *
     * @throws IllegalStateException if the event is of a type the history does not know
     */
    public static Entry entry(Envelope<ProductEvent> e) {
        String change;
        BigDecimal oldPrice = null;
        BigDecimal newPrice = null;
        BigDecimal variation = null;
        if (e.event() instanceof ProductEvent.ProductCreated created) {
            change = "created";
            newPrice = created.price();
        } else if (e.event() instanceof ProductEvent.PriceChanged changed) {
            change = "price_changed";
            oldPrice = changed.oldPrice();
            newPrice = changed.newPrice();
            variation = changed.variation();
        } else if (e.event() instanceof ProductEvent.ProductDeleted) {
            change = "deleted";
        } else {
            throw new IllegalStateException(
                    "the price history does not know " + e.event().getClass().getName());
        }
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, e.recorded().recordedAt());
        return new Entry(
                e.recorded().version(),
                e.recorded().position(),
                Instant.EPOCH.plus(micros, ChronoUnit.MICROS),
                change,
                oldPrice,
                newPrice,
                variation);
    }

    @Override
    public void apply(Connection c, Envelope<ProductEvent> e) throws SQLException {
        applyAll(c, List.of(e));
    }

    /**
     * Inserts the rows of a run of events in one round trip: on PostgreSQL one statement over
     * arrays of the columns (one statement run where a JDBC batch runs one per row, each with its
     * own planning and execution on the server), elsewhere one JDBC batch.
     */
    @Override
    public void applyAll(Connection c, List<Envelope<ProductEvent>> events) throws SQLException {
        int n = events.size();
        Long[] positions = new Long[n];
        String[] products = new String[n];
        Long[] versions = new Long[n];
        Long[] micros = new Long[n];
        String[] changes = new String[n];
        String[] oldPrices = new String[n];
        String[] newPrices = new String[n];
        String[] variations = new String[n];
        for (int i = 0; i < n; i++) {
            Envelope<ProductEvent> e = events.get(i);
            Entry entry = entry(e);
            positions[i] = entry.position();
            products[i] = e.event().productId();
            versions[i] = entry.version();
            micros[i] = ChronoUnit.MICROS.between(Instant.EPOCH, entry.at());
            changes[i] = entry.change();
            oldPrices[i] = text(entry.oldPrice());
            newPrices[i] = text(entry.newPrice());
            variations[i] = text(entry.variation());
        }
        if (n > 1 && c.getMetaData().getDatabaseProductName().equals("PostgreSQL")) {
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO price_history (position, product_id, version, at_micros, change,
                                               old_price, new_price, variation)
                    SELECT * FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::text[],
                                         ?::text[], ?::text[], ?::text[])""")) {
                ps.setArray(1, c.createArrayOf("bigint", positions));
                ps.setArray(2, c.createArrayOf("text", products));
                ps.setArray(3, c.createArrayOf("bigint", versions));
                ps.setArray(4, c.createArrayOf("bigint", micros));
                ps.setArray(5, c.createArrayOf("text", changes));
                ps.setArray(6, c.createArrayOf("text", oldPrices));
                ps.setArray(7, c.createArrayOf("text", newPrices));
                ps.setArray(8, c.createArrayOf("text", variations));
                ps.executeUpdate();
            }
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO price_history (position, product_id, version, at_micros, change,
                                           old_price, new_price, variation)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")) {
            for (int i = 0; i < n; i++) {
                ps.setLong(1, positions[i]);
                ps.setString(2, products[i]);
                ps.setLong(3, versions[i]);
                ps.setLong(4, micros[i]);
                ps.setString(5, changes[i]);
                ps.setString(6, oldPrices[i]);
                ps.setString(7, newPrices[i]);
                ps.setString(8, variations[i]);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    @Override
    public void reset(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DELETE FROM price_history");
        }
    }

    /**
     * Drops the history of a product whose stream was deleted ({@code DELETE
     * /products/{id}?erase=true}): a rebuild would not find it either.
     */
    @Override
    public void streamDeleted(Connection c, String streamId) throws SQLException {
        String prefix = ProductAggregate.CATEGORY + "-";
        if (!streamId.startsWith(prefix)) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM price_history WHERE product_id = ?")) {
            ps.setString(1, streamId.substring(prefix.length()));
            ps.executeUpdate();
        }
    }

    /** The history of one product, oldest first; empty if it has none. */
    public static List<Entry> of(DataSource dataSource, String productId) throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                SELECT version, position, at_micros, change, old_price, new_price, variation
                FROM price_history WHERE product_id = ? ORDER BY version""")) {
            ps.setString(1, productId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Entry(
                            rs.getLong(1),
                            rs.getLong(2),
                            Instant.EPOCH.plus(rs.getLong(3), ChronoUnit.MICROS),
                            rs.getString(4),
                            decimal(rs.getString(5)),
                            decimal(rs.getString(6)),
                            decimal(rs.getString(7))));
                }
            }
        }
        return out;
    }

    static String text(BigDecimal d) {
        return d == null ? null : d.toPlainString();
    }

    static BigDecimal decimal(String s) {
        return s == null ? null : new BigDecimal(s);
    }
}
