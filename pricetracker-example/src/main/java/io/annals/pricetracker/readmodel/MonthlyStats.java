package io.annals.pricetracker.readmodel;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.jdbc.SqlProjection;
import io.annals.pricetracker.domain.ProductEvent;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Price changes per month over all products (the article's "average per month"), in table
 * {@code monthly_stats}: the count of changes and the sum, minimum and maximum variation, as
 * decimal text so no database rounds them. Months are in UTC, from each event's recorded time.
 * Rebuild it to recompute the statistics from the whole history.
 */
public final class MonthlyStats implements SqlProjection<ProductEvent> {

    /** The projection's name. */
    public static final String NAME = "monthly-stats";

    private static final DateTimeFormatter MONTH =
            DateTimeFormatter.ofPattern("yyyy-MM").withZone(ZoneOffset.UTC);

    /**
     * The statistics of one month.
     *
     * @param month {@code yyyy-MM}, UTC
     * @param changes how many price changes
     * @param averageVariation the mean variation, to 10 significant digits
     * @param minVariation the smallest variation
     * @param maxVariation the largest variation
     */
    public record Month(
            String month,
            long changes,
            BigDecimal averageVariation,
            BigDecimal minVariation,
            BigDecimal maxVariation) {}

    /** Creates the table if it does not exist. */
    public static void createTable(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection();
                Statement st = c.createStatement()) {
            st.execute("""
                    CREATE TABLE IF NOT EXISTS monthly_stats (
                        month         TEXT   PRIMARY KEY,
                        changes       BIGINT NOT NULL,
                        sum_variation TEXT   NOT NULL,
                        min_variation TEXT   NOT NULL,
                        max_variation TEXT   NOT NULL
                    )""");
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * What a month's row holds: the count of price changes and the sum, minimum and maximum of
     * their variations.
     *
     * @param changes how many price changes
     * @param sumVariation the sum of their variations
     * @param minVariation the smallest variation
     * @param maxVariation the largest variation
     */
    public record Totals(long changes, BigDecimal sumVariation, BigDecimal minVariation, BigDecimal maxVariation) {
        /** @throws NullPointerException if an amount is null */
        public Totals {
            Objects.requireNonNull(sumVariation, "sumVariation");
            Objects.requireNonNull(minVariation, "minVariation");
            Objects.requireNonNull(maxVariation, "maxVariation");
        }

        /** These totals and {@code more} together: counts and sums add up, extremes stay. */
        public Totals plus(Totals more) {
            return new Totals(
                    changes + more.changes,
                    sumVariation.add(more.sumVariation),
                    minVariation.min(more.minVariation),
                    maxVariation.max(more.maxVariation));
        }
    }

    /**
     * What one price change adds to the row of its month.
     *
     * @param month {@code yyyy-MM}, UTC: the row's key
     * @param totals what the event adds to it: one change, its variation as sum, minimum and maximum
     */
    public record Contribution(String month, Totals totals) {
        /** @throws NullPointerException if an argument is null */
        public Contribution {
            Objects.requireNonNull(month, "month");
            Objects.requireNonNull(totals, "totals");
        }
    }

    /**
     * The month whose row {@code e} changes ({@code yyyy-MM}, UTC, from its recorded time), and
     * what it adds to that row; empty when the event is not a price change. A pure function:
     * {@link #apply} adds these totals to the month's row with {@link Totals#plus}.
     */
    public static Optional<Contribution> contribution(Envelope<ProductEvent> e) {
        if (!(e.event() instanceof ProductEvent.PriceChanged changed)) {
            return Optional.empty();
        }
        BigDecimal v = changed.variation();
        return Optional.of(new Contribution(MONTH.format(e.recorded().recordedAt()), new Totals(1, v, v, v)));
    }

    @Override
    public void apply(Connection c, Envelope<ProductEvent> e) throws SQLException {
        applyAll(c, List.of(e));
    }

    /**
     * Adds a run of events month by month: their totals are summed first, so a month's row is
     * read and written once per run, not once per event (the sum, minimum and maximum do not
     * depend on the grouping).
     */
    @Override
    public void applyAll(Connection c, List<Envelope<ProductEvent>> events) throws SQLException {
        Map<String, Totals> byMonth = new LinkedHashMap<>();
        for (Envelope<ProductEvent> e : events) {
            contribution(e).ifPresent(added -> byMonth.merge(added.month(), added.totals(), Totals::plus));
        }
        for (Map.Entry<String, Totals> m : byMonth.entrySet()) {
            add(c, m.getKey(), m.getValue());
        }
    }

    private static void add(Connection c, String month, Totals added) throws SQLException {
        Totals before = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT changes, sum_variation, "
                + "min_variation, max_variation FROM monthly_stats WHERE month = ?")) {
            ps.setString(1, month);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    before = new Totals(
                            rs.getLong(1),
                            new BigDecimal(rs.getString(2)),
                            new BigDecimal(rs.getString(3)),
                            new BigDecimal(rs.getString(4)));
                }
            }
        }
        Totals after = before == null ? added : before.plus(added);
        try (PreparedStatement ps = c.prepareStatement(
                before == null
                        ? "INSERT INTO monthly_stats (changes, sum_variation, min_variation, max_variation, month) "
                                + "VALUES (?, ?, ?, ?, ?)"
                        : "UPDATE monthly_stats SET changes = ?, sum_variation = ?, min_variation = ?, "
                                + "max_variation = ? WHERE month = ?")) {
            ps.setLong(1, after.changes());
            ps.setString(2, after.sumVariation().toPlainString());
            ps.setString(3, after.minVariation().toPlainString());
            ps.setString(4, after.maxVariation().toPlainString());
            ps.setString(5, month);
            ps.executeUpdate();
        }
    }

    @Override
    public void reset(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("DELETE FROM monthly_stats");
        }
    }

    /** Every month with a price change, oldest first. */
    public static List<Month> all(DataSource dataSource) throws SQLException {
        List<Month> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT month, changes, sum_variation, min_variation, "
                        + "max_variation FROM monthly_stats ORDER BY month")) {
            while (rs.next()) {
                long changes = rs.getLong(2);
                BigDecimal average = new BigDecimal(rs.getString(3))
                        .divide(BigDecimal.valueOf(changes), new MathContext(10, RoundingMode.HALF_EVEN))
                        .stripTrailingZeros();
                out.add(new Month(
                        rs.getString(1),
                        changes,
                        average.scale() < 0 ? average.setScale(0) : average,
                        new BigDecimal(rs.getString(4)),
                        new BigDecimal(rs.getString(5))));
            }
        }
        return out;
    }
}
