package io.annals.pricetracker.alerts;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.jdbc.SqlProjection;
import io.annals.eventstore.privacy.Sealed;
import io.annals.pricetracker.alerts.WatchEvent.AlertRecorded;
import io.annals.pricetracker.domain.ProductAggregate;
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
 * The recorded alerts in table {@code price_alerts}, one row per {@link AlertRecorded}, the read
 * model of {@code GET /products/{id}/alerts}. The email address is kept sealed, as in the event:
 * forgetting the person makes the row's address unreadable without touching the row, and a
 * rebuild reads the same sealed values back from the log. A pure read model: rebuilding it
 * records no alert (that is {@link AlertTrigger}'s work).
 */
public final class AlertsView implements SqlProjection<WatchEvent> {

    /** The projection's name. */
    public static final String NAME = "price-alerts";

    /**
     * One alert.
     *
     * @param position the global position of the alert's event
     * @param productId the product
     * @param watcher the person's subject
     * @param email the person's email address, sealed
     * @param targetPrice the watch's target
     * @param price the price that reached it
     * @param currency the product's currency
     * @param productVersion the version of the product's price change
     * @param at when the alert was recorded
     */
    public record Alert(
            long position,
            String productId,
            String watcher,
            Sealed email,
            BigDecimal targetPrice,
            BigDecimal price,
            String currency,
            long productVersion,
            Instant at) {}

    /** Creates the table if it does not exist. */
    public static void createTable(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection();
                Statement st = c.createStatement()) {
            st.execute("""
                    CREATE TABLE IF NOT EXISTS price_alerts (
                        position         BIGINT PRIMARY KEY,
                        stream_id        TEXT   NOT NULL,
                        product_id       TEXT   NOT NULL,
                        watcher          TEXT   NOT NULL,
                        email_subject    TEXT   NOT NULL,
                        email_ciphertext TEXT   NOT NULL,
                        target_price     TEXT   NOT NULL,
                        price            TEXT   NOT NULL,
                        currency         TEXT   NOT NULL,
                        product_version  BIGINT NOT NULL,
                        at_micros        BIGINT NOT NULL
                    )""");
            st.execute("CREATE INDEX IF NOT EXISTS price_alerts_product ON price_alerts (product_id, position)");
            st.execute("CREATE INDEX IF NOT EXISTS price_alerts_stream ON price_alerts (stream_id)");
        }
    }

    /** The view. */
    public AlertsView() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void apply(Connection c, Envelope<WatchEvent> e) throws SQLException {
        if (!(e.event() instanceof AlertRecorded alert)) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO price_alerts (position, stream_id, product_id, watcher, email_subject,
                                          email_ciphertext, target_price, price, currency,
                                          product_version, at_micros)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            ps.setLong(1, e.recorded().position());
            ps.setString(2, e.recorded().streamId());
            ps.setString(3, alert.productId());
            ps.setString(4, alert.watcher());
            ps.setString(5, alert.email().subject());
            ps.setString(6, alert.email().ciphertext());
            ps.setString(7, alert.targetPrice().toPlainString());
            ps.setString(8, alert.price().toPlainString());
            ps.setString(9, alert.currency());
            ps.setLong(10, alert.productVersion());
            ps.setLong(11, ChronoUnit.MICROS.between(Instant.EPOCH, e.recorded().recordedAt()));
            ps.executeUpdate();
        }
    }

    /**
     * Drops the alerts of an erased product (its stream deleted) or of a deleted watch: a rebuild
     * would not find them either.
     */
    @Override
    public void streamDeleted(Connection c, String streamId) throws SQLException {
        String product = ProductAggregate.CATEGORY + "-";
        if (streamId.startsWith(product)) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM price_alerts WHERE product_id = ?")) {
                ps.setString(1, streamId.substring(product.length()));
                ps.executeUpdate();
            }
        } else if (streamId.startsWith(WatchAggregate.CATEGORY + "-")) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM price_alerts WHERE stream_id = ?")) {
                ps.setString(1, streamId);
                ps.executeUpdate();
            }
        }
    }

    @Override
    public void reset(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DELETE FROM price_alerts");
        }
    }

    /** The alerts of a product, oldest first. */
    public static List<Alert> of(DataSource dataSource, String productId) throws SQLException {
        List<Alert> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        SELECT position, product_id, watcher, email_subject, email_ciphertext, target_price,
                               price, currency, product_version, at_micros
                        FROM price_alerts WHERE product_id = ? ORDER BY position""")) {
            ps.setString(1, productId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Alert(
                            rs.getLong(1),
                            rs.getString(2),
                            rs.getString(3),
                            new Sealed(rs.getString(4), rs.getString(5)),
                            new BigDecimal(rs.getString(6)),
                            new BigDecimal(rs.getString(7)),
                            rs.getString(8),
                            rs.getLong(9),
                            Instant.EPOCH.plus(rs.getLong(10), ChronoUnit.MICROS)));
                }
            }
        }
        return out;
    }
}
