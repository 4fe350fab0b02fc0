package io.annals.pricetracker.alerts;

import io.annals.eventstore.Correlation;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.RecordedEvent;
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
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
 * to is kept per product in {@code alert_trigger_product_mark}, which {@link #reset} does not
 * clear, and a replayed price change at or below its product's mark only folds the watches; and
 * every command carries an id derived from the price change's event id and the watcher, from
 * which the watch's command loop derives the event id, so that the same reaction handled again is
 * recognised and not stored twice. The mark is per product, not one for the log, because a
 * runner with a park policy may park a price change and go on with other products: a mark of the
 * log would pass the parked change, which a retry of the dead letter would then skip. A parked
 * event holds its product's later events behind it, so a product's mark never passes one. A
 * product without a mark falls back to {@code alert_trigger_mark}, the one mark of the log that
 * earlier versions kept. A change retried after it was parked meets only the watches armed before
 * it (each row keeps the position it was armed at); a watch started again or stopped between the
 * change and its retry is not alerted for that change, since the table keeps each watch's latest
 * start only.
 */
public final class AlertTrigger implements SqlProjection<Event> {

    /** The projection's name. */
    public static final String NAME = "price-alert-trigger";

    /** Products whose marks one statement reads: well below every database's parameter limit. */
    private static final int MARKS_PER_QUERY = 500;

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
                        armed_at         BIGINT,
                        PRIMARY KEY (product_id, watcher)
                    )""");
            // tables made before watches recorded where they were armed: such a row counts as
            // armed before every change, as it did then
            boolean hasArmedAt = false;
            try (ResultSet rs = st.executeQuery("SELECT * FROM alert_watches WHERE 1 = 0")) {
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    hasArmedAt |= rs.getMetaData().getColumnName(i).equalsIgnoreCase("armed_at");
                }
            }
            if (!hasArmedAt) {
                st.execute("ALTER TABLE alert_watches ADD COLUMN armed_at BIGINT");
            }
            st.execute(
                    "CREATE TABLE IF NOT EXISTS alert_trigger_mark (id INTEGER PRIMARY KEY, reacted_to BIGINT NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS alert_trigger_product_mark ("
                    + "product_id TEXT PRIMARY KEY, reacted_to BIGINT NOT NULL)");
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
     * Folds the watch events and reacts to the price changes of a run in log order. The marks of
     * the run's products are read once before the run and written once after it, in the same
     * transaction as the reactions: a price change at or below its product's mark was reacted to
     * before.
     */
    @Override
    public void applyAll(Connection c, List<Envelope<Event>> events) throws SQLException {
        Set<String> changed = new LinkedHashSet<>();
        for (Envelope<Event> e : events) {
            if (e.event() instanceof PriceChanged price) {
                changed.add(price.productId());
            }
        }
        Map<String, Long> marks = changed.isEmpty() ? Map.of() : marks(c, changed);
        Set<String> reacted = new LinkedHashSet<>();
        for (Envelope<Event> e : events) {
            Event event = e.event();
            if (event instanceof WatchStarted started) {
                arm(c, started, e.recorded());
            } else if (event instanceof AlertRecorded alert) {
                disarm(c, alert.productId(), alert.watcher(), alert.startVersion());
            } else if (event instanceof WatchStopped stopped) {
                disarm(c, stopped.productId(), stopped.watcher());
            } else if (event instanceof ProductDeleted deleted) {
                dropProduct(c, deleted.productId());
            } else if (event instanceof PriceChanged price && e.recorded().position() > marks.get(price.productId())) {
                // at or below the mark: replayed after a reset, this change was reacted to before
                react(c, e, price);
                marks.put(price.productId(), e.recorded().position());
                reacted.add(price.productId());
            }
        }
        if (!reacted.isEmpty()) {
            try (PreparedStatement upsert = c.prepareStatement("""
                    INSERT INTO alert_trigger_product_mark (product_id, reacted_to) VALUES (?, ?)
                    ON CONFLICT (product_id) DO UPDATE SET reacted_to = excluded.reacted_to""")) {
                for (String product : reacted) {
                    upsert.setString(1, product);
                    upsert.setLong(2, marks.get(product));
                    upsert.addBatch();
                }
                upsert.executeBatch();
            }
        }
    }

    /**
     * The mark of each product: its own, else the one mark of the log that earlier versions kept
     * (0 if there is none).
     */
    private static Map<String, Long> marks(Connection c, Set<String> products) throws SQLException {
        long ofTheLog = 0;
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT reacted_to FROM alert_trigger_mark WHERE id = 1")) {
            if (rs.next()) {
                ofTheLog = rs.getLong(1);
            }
        }
        Map<String, Long> marks = new HashMap<>();
        for (String product : products) {
            marks.put(product, ofTheLog);
        }
        List<String> all = new ArrayList<>(products);
        for (int from = 0; from < all.size(); from += MARKS_PER_QUERY) {
            List<String> some = all.subList(from, Math.min(all.size(), from + MARKS_PER_QUERY));
            // as many placeholders as products: the ids themselves are bound, never written into the SQL
            String placeholders = String.join(", ", Collections.nCopies(some.size(), "?"));
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT product_id, reacted_to FROM alert_trigger_product_mark WHERE product_id IN (" + placeholders
                            + ")")) {
                for (int i = 0; i < some.size(); i++) {
                    ps.setString(i + 1, some.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        marks.put(rs.getString(1), rs.getLong(2));
                    }
                }
            }
        }
        return marks;
    }

    private void react(Connection c, Envelope<Event> e, PriceChanged changed) throws SQLException {
        List<RecordAlert> reached = new ArrayList<>();
        // only the watches armed before the change: a change retried after it was parked comes
        // after later starts of watches, which it must not use up
        try (PreparedStatement ps = c.prepareStatement("SELECT watcher, start_version, target_price, email_subject,"
                + " email_ciphertext FROM alert_watches WHERE product_id = ? AND (armed_at IS NULL OR armed_at < ?)"
                + " ORDER BY watcher")) {
            ps.setString(1, changed.productId());
            ps.setLong(2, e.recorded().position());
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

    private static void arm(Connection c, WatchStarted started, RecordedEvent at) throws SQLException {
        disarm(c, started.productId(), started.watcher());
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO alert_watches (product_id, watcher, start_version,"
                + " target_price, email_subject, email_ciphertext, armed_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, started.productId());
            ps.setString(2, started.watcher());
            ps.setLong(3, at.version());
            ps.setString(4, started.targetPrice().toPlainString());
            ps.setString(5, started.email().subject());
            ps.setString(6, started.email().ciphertext());
            ps.setLong(7, at.position());
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
