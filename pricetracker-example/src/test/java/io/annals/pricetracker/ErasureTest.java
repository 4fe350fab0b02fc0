package io.annals.pricetracker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.pricetracker.api.ApiRequest;
import io.annals.pricetracker.api.ApiResponse;
import io.annals.pricetracker.api.PriceTrackerApi;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An erasure request answered end to end: a person watches products with their email address,
 * alerts are recorded, the watch is snapshotted; the person is forgotten and every projection is
 * rebuilt; then every byte the database holds is searched for the address. It is never found,
 * not even before forgetting (it is stored sealed), while the same search finds a product's name,
 * which is stored in clear, so the search is shown to work.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ErasureTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EMAIL = "erasure.person.7f3a@example.com";
    private static final String OTHER = "keeps.watching.7f3a@example.com";
    private static final String NAME = "Clear name 7f3a";

    /** What the database holds, as text: every byte of a file, every column of every table. */
    interface Scan {
        /** How many times {@code needle} occurs. */
        int hits(String needle) throws Exception;
    }

    static void forgetsAPersonEverywhere(PriceTracker tracker, Scan scan) throws Exception {
        tracker.startProjections();
        PriceTrackerApi api = new PriceTrackerApi(tracker, Duration.ofSeconds(30));
        call(api, "POST", "/products", Map.of(), "{\"productId\":\"tea\",\"name\":\"" + NAME + "\",\"price\":10}", 201);
        call(api, "POST", "/products", Map.of(), "{\"productId\":\"mug\",\"name\":\"Mug 7f3a\",\"price\":10}", 201);
        call(api, "POST", "/products/tea/watchers", Map.of(), watch(EMAIL, "9"), 201);
        call(api, "POST", "/products/mug/watchers", Map.of(), watch(EMAIL, "8"), 201);
        call(api, "POST", "/products/tea/watchers", Map.of(), watch(OTHER, "9.5"), 201);
        long tea = call(api, "POST", "/products/tea/price-changes", Map.of(), "{\"variation\":-2}", 200)
                .get("position")
                .asLong();
        long mug = call(api, "POST", "/products/mug/price-changes", Map.of(), "{\"variation\":-3}", 200)
                .get("position")
                .asLong();
        JsonNode teaAlerts = alerts(api, "tea", tea);
        assertThat(alerts(api, "mug", mug)).hasSize(1);
        assertThat(teaAlerts).hasSize(2);
        assertThat(emails(teaAlerts)).containsExactlyInAnyOrder(EMAIL, OTHER);
        // the watches that alerted hold 2 events: each has a snapshot, holding the sealed address
        assertThat(rows(tracker, "SELECT COUNT(*) FROM annals_snapshots WHERE stream_id LIKE 'watch-%'"))
                .isEqualTo(3);

        assertThat(scan.hits(NAME))
                .as("the search finds what is stored in clear")
                .isPositive();
        assertThat(scan.hits(EMAIL)).as("the address is stored sealed only").isZero();

        call(api, "DELETE", "/watchers/" + EMAIL, Map.of(), "", 200);
        for (ProjectionStatus s : tracker.projections().statuses()) {
            tracker.projections().rebuild(s.name(), p -> {});
        }

        long end = tracker.store().lastPosition().orElseThrow();
        JsonNode rebuilt = alerts(api, "tea", end);
        assertThat(rebuilt).as("a rebuild records no alert again").hasSize(2);
        assertThat(emails(rebuilt)).containsExactlyInAnyOrder("(forgotten)", OTHER);
        assertThat(emails(alerts(api, "mug", end))).containsExactly("(forgotten)");
        assertThat(tracker.store().lastPosition().orElseThrow()).isEqualTo(end);

        assertThat(scan.hits(NAME)).isPositive();
        assertThat(scan.hits(EMAIL)).isZero();
        assertThat(scan.hits(OTHER)).isZero();
    }

    private static String watch(String email, String target) {
        return "{\"email\":\"" + email + "\",\"targetPrice\":" + target + "}";
    }

    private static JsonNode call(
            PriceTrackerApi api, String method, String path, Map<String, String> query, String body, int status)
            throws Exception {
        ApiResponse r = api.handle(new ApiRequest(method, path, query, body));
        assertThat(r.status()).as(method + " " + path + ": " + r.body()).isEqualTo(status);
        return JSON.readTree(r.body());
    }

    private static JsonNode alerts(PriceTrackerApi api, String product, long atLeast) throws Exception {
        return call(api, "GET", "/products/" + product + "/alerts", Map.of("atLeast", Long.toString(atLeast)), "", 200)
                .get("alerts");
    }

    private static List<String> emails(JsonNode alerts) {
        List<String> out = new ArrayList<>();
        alerts.forEach(a -> out.add(
                a.get("forgotten").asBoolean() ? "(forgotten)" : a.get("email").asText()));
        return out;
    }

    private static long rows(PriceTracker tracker, String sql) throws SQLException {
        try (Connection c = tracker.store().dataSource().getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Nested
    class On_SQLite {
        @TempDir
        Path dir;

        @Test
        @Timeout(120)
        void the_address_is_nowhere_in_the_file_or_its_log() throws Exception {
            Path file = dir.resolve("erasure.db");
            try (PriceTracker tracker = PriceTracker.open("jdbc:sqlite:" + file)) {
                forgetsAPersonEverywhere(tracker, needle -> {
                    try (Connection c = tracker.store().dataSource().getConnection();
                            Statement st = c.createStatement()) {
                        st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
                    }
                    byte[] n = needle.getBytes(StandardCharsets.UTF_8);
                    return count(Files.readAllBytes(file), n) + count(wal(file), n);
                });
            }
        }

        private static byte[] wal(Path file) throws Exception {
            Path wal = file.resolveSibling(file.getFileName() + "-wal");
            return Files.exists(wal) ? Files.readAllBytes(wal) : new byte[0];
        }

        private static int count(byte[] hay, byte[] needle) {
            int n = 0;
            outer:
            for (int i = 0; i + needle.length <= hay.length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (hay[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                n++;
            }
            return n;
        }
    }

    @Nested
    @Tag("postgres")
    class On_PostgreSQL {
        @Test
        @Timeout(120)
        void the_address_is_in_no_column_of_any_table() throws Exception {
            String url = System.getProperty(
                    "annals.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
            String schema =
                    "erasure_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            try (Connection c = DriverManager.getConnection(url);
                    Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA " + schema);
            }
            try (PriceTracker tracker =
                    PriceTracker.open(url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema)) {
                forgetsAPersonEverywhere(tracker, needle -> hits(url, schema, needle));
            } finally {
                try (Connection c = DriverManager.getConnection(url);
                        Statement st = c.createStatement()) {
                    st.execute("DROP SCHEMA " + schema + " CASCADE");
                }
            }
        }

        /**
         * Rows of every table of the schema, each cast to text as a whole (every column, whatever
         * its type: jsonb, bytea as hex), that hold the needle as text or as hex.
         */
        private static int hits(String url, String schema, String needle) throws SQLException {
            String hex = HexFormat.of().formatHex(needle.getBytes(StandardCharsets.UTF_8));
            int n = 0;
            try (Connection c = DriverManager.getConnection(url)) {
                List<String> tables = new ArrayList<>();
                try (var ps = c.prepareStatement(
                        "SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = ?")) {
                    ps.setString(1, schema);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            tables.add(rs.getString(1));
                        }
                    }
                }
                assertThat(tables).contains("annals_events", "annals_snapshots", "annals_subject_keys", "price_alerts");
                for (String table : tables) {
                    try (var ps = c.prepareStatement("SELECT COUNT(*) FROM " + schema + "." + table
                            + " t WHERE strpos(t::text, ?) > 0 OR strpos(lower(t::text), ?) > 0")) {
                        ps.setString(1, needle);
                        ps.setString(2, hex);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            n += rs.getInt(1);
                        }
                    }
                }
            }
            return n;
        }
    }
}
