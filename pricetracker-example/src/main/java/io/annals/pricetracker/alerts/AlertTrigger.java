package io.annals.pricetracker.alerts;

import io.annals.eventstore.Correlation;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.jdbc.SqlProjection;
import io.annals.eventstore.privacy.Sealed;
import io.annals.pricetracker.alerts.WatchCommand.RecordAlert;
import io.annals.pricetracker.alerts.WatchEvent.AlertRecorded;
import io.annals.pricetracker.alerts.WatchEvent.WatchStarted;
import io.annals.pricetracker.alerts.WatchEvent.WatchStopped;
import io.annals.pricetracker.domain.ProductAggregate;
import io.annals.pricetracker.domain.ProductEvent.PriceChanged;
import io.annals.pricetracker.domain.ProductEvent.ProductDeleted;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The process manager of price alerts: a projection that reacts to a {@link PriceChanged} by
 * handling a {@link RecordAlert} command for every armed watch of the product whose target the
 * new price reaches.
 *
 * <p>It keeps the armed watches in its own table ({@code alert_watches}), folded from the watch
 * events in log order, so that a price change is matched against the watches started before it,
 * never against later ones. Its appends join its batch's transaction
 * ({@link SqlProjection#appendsEvents()}): the alerts it records commit with its checkpoint, so
 * each reaction is stored once even across crashes.
 *
 * <p>A rebuild or reset never runs reactions again, twice over: the highest position it reacted
 * to is kept in {@code alert_trigger_mark}, which {@link #reset} does not clear, and a replayed
 * price change at or below it only folds the watches; and every command carries an id derived
 * from the price change's event id and the watcher, from which the watch's command loop derives
 * the event id, so that the same reaction handled again is recognised and not stored twice.
 */
public final class AlertTrigger implements SqlProjection<Event> {

    /** The projection's name. */
    public static final String NAME = "price-alert-trigger";

    private final CommandHandler<Watch, WatchCommand, WatchEvent> watches;

    /**
     * A trigger sending its commands to {@code watches}, a handler built with {@code
     * eventIdsFromCommandId(true)} on the same store.
     */
    public AlertTrigger(CommandHandler<Watch, WatchCommand, WatchEvent> watches) {
        this.watches = Objects.requireNonNull(watches, "watches");
    }

    /** Creates the tables if they do not exist. */
    public static void createTables(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection();
                Statement st = c.createStatement()) {
            st.execute("""
                    CREATE TABLE IF NOT EXISTS alert_watches (
                        product_id       TEXT   NOT NULL,
                        watcher          TEXT   NOT NULL,
                        start_version    BIGINT NOT NULL,
                        target_price     TEXT   NOT NULL,
                        email_subject    TEXT   NOT NULL,
                        email_ciphertext TEXT   NOT NULL,
                        PRIMARY KEY (product_id, watcher)
                    )""");
            st.execute(
                    "CREATE TABLE IF NOT EXISTS alert_trigger_mark (id INTEGER PRIMARY KEY, reacted_to BIGINT NOT NULL)");
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean appendsEvents() {
        return true;
    }

    @Override
    public void apply(Connection c, Envelope<Event> e) throws SQLException {
        applyAll(c, List.of(e));
    }

    /**
     * Folds the watch events and reacts to the price changes of a run in log order. The mark is
     * read once before the run and written once after it, in the same transaction as the
     * reactions: a price change at or below it was reacted to before.
     */
    @Override
    public void applyAll(Connection c, List<Envelope<Event>> events) throws SQLException {
        long mark = reactedTo(c);
        long reacted = mark;
        for (Envelope<Event> e : events) {
            Event event = e.event();
            if (event instanceof WatchStarted started) {
                arm(c, started, e.recorded().version());
            } else if (event instanceof AlertRecorded alert) {
                disarm(c, alert.productId(), alert.watcher(), alert.startVersion());
            } else if (event instanceof WatchStopped stopped) {
                disarm(c, stopped.productId(), stopped.watcher());
            } else if (event instanceof ProductDeleted deleted) {
                dropProduct(c, deleted.productId());
            } else if (event instanceof PriceChanged changed && e.recorded().position() > mark) {
                // at or below the mark: replayed after a reset, this change was reacted to before
                react(c, e, changed);
                reacted = e.recorded().position();
            }
        }
        if (reacted > mark) {
            try (PreparedStatement update =
                    c.prepareStatement("UPDATE alert_trigger_mark SET reacted_to = ? WHERE id = 1")) {
                update.setLong(1, reacted);
                if (update.executeUpdate() == 0) {
                    try (PreparedStatement insert =
                            c.prepareStatement("INSERT INTO alert_trigger_mark (id, reacted_to) VALUES (1, ?)")) {
                        insert.setLong(1, reacted);
                        insert.executeUpdate();
                    }
                }
            }
        }
    }

    private void react(Connection c, Envelope<Event> e, PriceChanged changed) throws SQLException {
        List<RecordAlert> reached = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT watcher, start_version, target_price, email_subject,"
                + " email_ciphertext FROM alert_watches WHERE product_id = ? ORDER BY watcher")) {
            ps.setString(1, changed.productId());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    BigDecimal target = new BigDecimal(rs.getString(3));
                    if (changed.newPrice().compareTo(target) <= 0) {
                        reached.add(new RecordAlert(
                                changed.productId(),
                                rs.getString(1),
                                rs.getLong(2),
                                target,
                                new Sealed(rs.getString(4), rs.getString(5)),
                                changed.newPrice(),
                                e.recorded().version()));
                    }
                }
            }
        }
        for (RecordAlert alert : reached) {
            // the start armed at this change, as the log has it: later starts and stops of the
            // watch, already in the log if this trigger lags, do not change the answer
            Map<String, String> metadata = new HashMap<>(Correlation.causedBy(e.recorded()));
            metadata.put(Correlation.COMMAND_ID, "alert-" + e.recorded().eventId() + "-" + alert.watcher());
            watches.handle(alert, metadata);
            disarm(c, alert.productId(), alert.watcher());
        }
    }

    private static long reactedTo(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT reacted_to FROM alert_trigger_mark WHERE id = 1")) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    private static void arm(Connection c, WatchStarted started, long startVersion) throws SQLException {
        disarm(c, started.productId(), started.watcher());
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO alert_watches (product_id, watcher, start_version,"
                + " target_price, email_subject, email_ciphertext) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, started.productId());
            ps.setString(2, started.watcher());
            ps.setLong(3, startVersion);
            ps.setString(4, started.targetPrice().toPlainString());
            ps.setString(5, started.email().subject());
            ps.setString(6, started.email().ciphertext());
            ps.executeUpdate();
        }
    }

    /** Disarms the watch if its armed start is {@code startVersion}, not a later one. */
    private static void disarm(Connection c, String productId, String watcher, long startVersion) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "DELETE FROM alert_watches WHERE product_id = ? AND watcher = ? AND start_version = ?")) {
            ps.setString(1, productId);
            ps.setString(2, watcher);
            ps.setLong(3, startVersion);
            ps.executeUpdate();
        }
    }

    private static void disarm(Connection c, String productId, String watcher) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("DELETE FROM alert_watches WHERE product_id = ? AND watcher = ?")) {
            ps.setString(1, productId);
            ps.setString(2, watcher);
            ps.executeUpdate();
        }
    }

    private static void dropProduct(Connection c, String productId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM alert_watches WHERE product_id = ?")) {
            ps.setString(1, productId);
            ps.executeUpdate();
        }
    }

    /** A deleted product or watch alerts no more. */
    @Override
    public void streamDeleted(Connection c, String streamId) throws SQLException {
        String product = ProductAggregate.CATEGORY + "-";
        String watch = WatchAggregate.CATEGORY + "-";
        if (streamId.startsWith(product)) {
            dropProduct(c, streamId.substring(product.length()));
        } else if (streamId.startsWith(watch)) {
            String id = streamId.substring(watch.length());
            int slash = id.indexOf('/');
            if (slash > 0) {
                disarm(c, id.substring(0, slash), id.substring(slash + 1));
            }
        }
    }

    /** Forgets the armed watches; keeps the mark, so that the replay that follows reacts to nothing old. */
    @Override
    public void reset(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DELETE FROM alert_watches");
        }
    }
}
