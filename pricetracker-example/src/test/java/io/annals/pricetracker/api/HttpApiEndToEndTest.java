package io.annals.pricetracker.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.readmodel.PriceHistory;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API over real HTTP: many clients change one product's price at once; every change lands
 * (the command loop retries conflicts) and the final price is the start plus the sum of the
 * variations, in the aggregate and in the read model. Many clients create products of one name at
 * once; exactly one gets it (the decision's condition). On SQLite and on PostgreSQL.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HttpApiEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newHttpClient();

    private HttpResponse<String> send(String method, String url, String body) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create(url))
                        .method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void the_server_turns_off_nagles_algorithm_unless_the_jvm_says_otherwise() throws Exception {
        // a response's headers and body go out in two writes: with Nagle's algorithm on, a
        // keep-alive client's delayed ACK would hold each answer about 40 ms
        Class.forName(HttpApiServer.class.getName()); // its initialisation sets the switch
        assertThat(System.getProperty("sun.net.httpserver.nodelay")).isEqualTo("true");
    }

    void concurrentPriceChangesAllLand(String jdbcUrl) throws Exception {
        try (PriceTracker tracker = PriceTracker.open(jdbcUrl)) {
            tracker.startProjections();
            try (HttpApiServer server =
                    HttpApiServer.start(new PriceTrackerApi(tracker, Duration.ofSeconds(20)), "127.0.0.1", 0)) {
                String base = "http://127.0.0.1:" + server.port();
                HttpResponse<String> created = send(
                        "POST",
                        base + "/products",
                        "{\"productId\":\"hot\",\"name\":\"Hot item\",\"price\":\"100.00\"}");
                assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

                int threads = 8;
                int changesPerThread = 15;
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                List<Future<List<Long>>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    results.add(pool.submit(() -> {
                        List<Long> positions = new ArrayList<>();
                        for (int i = 0; i < changesPerThread; i++) {
                            String variation = (thread % 2 == 0 ? "" : "-") + "0.0" + (1 + i % 9);
                            HttpResponse<String> r = send(
                                    "POST",
                                    base + "/products/hot/price-changes",
                                    "{\"variation\":\"" + variation + "\"}");
                            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                            positions.add(
                                    JSON.readTree(r.body()).get("position").asLong());
                        }
                        return positions;
                    }));
                }
                long last = 0;
                for (Future<List<Long>> f : results) {
                    for (long p : f.get(120, TimeUnit.SECONDS)) {
                        last = Math.max(last, p);
                    }
                }
                pool.shutdown();

                BigDecimal expected = new BigDecimal("100.00");
                for (int t = 0; t < threads; t++) {
                    for (int i = 0; i < changesPerThread; i++) {
                        BigDecimal v = new BigDecimal("0.0" + (1 + i % 9));
                        expected = t % 2 == 0 ? expected.add(v) : expected.subtract(v);
                    }
                }
                HttpResponse<String> view = send("GET", base + "/products/hot?atLeast=" + last, null);
                assertThat(view.statusCode()).as(view.body()).isEqualTo(200);
                JsonNode product = JSON.readTree(view.body());
                assertThat(product.get("price").decimalValue()).isEqualByComparingTo(expected);
                assertThat(product.get("version").asLong()).isEqualTo(1 + threads * changesPerThread);
                assertThat(tracker.product("hot").state().price()).isEqualByComparingTo(expected);
                JsonNode history = JSON.readTree(send("GET", base + "/products/hot/history?atLeast=" + last, null)
                                .body())
                        .get("history");
                assertThat(history).hasSize(1 + threads * changesPerThread);
                for (int i = 1; i < history.size(); i++) {
                    JsonNode before = history.get(i - 1);
                    JsonNode entry = history.get(i);
                    assertThat(entry.get("version").asLong()).isEqualTo(i + 1);
                    assertThat(entry.get("position").asLong())
                            .isGreaterThan(before.get("position").asLong());
                    assertThat(entry.get("oldPrice").decimalValue())
                            .isEqualByComparingTo(before.get("newPrice").decimalValue());
                    assertThat(entry.get("newPrice").decimalValue())
                            .isEqualByComparingTo(entry.get("oldPrice")
                                    .decimalValue()
                                    .add(entry.get("variation").decimalValue()));
                }
                assertThat(history.get(history.size() - 1).get("newPrice").decimalValue())
                        .isEqualByComparingTo(expected);
                // a rebuild writes the rows in batches of many events: the same rows
                tracker.projections().rebuild(PriceHistory.NAME, progress -> {});
                assertThat(JSON.readTree(send("GET", base + "/products/hot/history?atLeast=" + last, null)
                                        .body())
                                .get("history"))
                        .isEqualTo(history);
                HttpResponse<String> page = send("GET", base + "/", null);
                assertThat(page.statusCode()).isIn(200, 404); // 404 only while the page is not built in
            }
        }
    }

    void concurrentCreatesOfOneNameLetExactlyOneIn(String jdbcUrl) throws Exception {
        try (PriceTracker tracker = PriceTracker.open(jdbcUrl);
                HttpApiServer server =
                        HttpApiServer.start(new PriceTrackerApi(tracker, Duration.ofSeconds(20)), "127.0.0.1", 0)) {
            String base = "http://127.0.0.1:" + server.port();
            int clients = 16;
            CyclicBarrier start = new CyclicBarrier(clients);
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<HttpResponse<String>>> results = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                String body = "{\"productId\":\"kettle-" + c + "\",\"name\":\"" + (c % 2 == 0 ? "Kettle" : "KETTLE ")
                        + "\",\"price\":\"20.00\"}";
                results.add(pool.submit(() -> {
                    start.await();
                    return send("POST", base + "/products", body);
                }));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<HttpResponse<String>> f : results) {
                HttpResponse<String> r = f.get(120, TimeUnit.SECONDS);
                statuses.add(r.statusCode());
                if (r.statusCode() != 201) {
                    assertThat(JSON.readTree(r.body()).get("error").asText())
                            .as(r.body())
                            .isEqualTo("name-taken");
                }
            }
            pool.shutdown();

            assertThat(statuses)
                    .containsOnly(201, 409)
                    .filteredOn(s -> s == 201)
                    .hasSize(1);
            assertThat(tracker.store().countEvents()).isEqualTo(1);
        }
    }

    @Nested
    class On_SQLite {
        @TempDir
        Path dir;

        @Test
        @Timeout(180)
        void concurrent_price_changes_from_many_clients_all_land() throws Exception {
            concurrentPriceChangesAllLand("jdbc:sqlite:" + dir.resolve("e2e.db"));
        }

        @Test
        @Timeout(180)
        void of_many_clients_creating_products_of_one_name_exactly_one_gets_it() throws Exception {
            concurrentCreatesOfOneNameLetExactlyOneIn("jdbc:sqlite:" + dir.resolve("names.db"));
        }
    }

    /** A scenario on the store at a JDBC URL. */
    interface Scenario {
        void run(String jdbcUrl) throws Exception;
    }

    @Nested
    @Tag("postgres")
    class On_PostgreSQL {
        @Test
        @Timeout(180)
        void concurrent_price_changes_from_many_clients_all_land() throws Exception {
            inASchemaOfItsOwn(url -> concurrentPriceChangesAllLand(url));
        }

        @Test
        @Timeout(180)
        void of_many_clients_creating_products_of_one_name_exactly_one_gets_it() throws Exception {
            inASchemaOfItsOwn(url -> concurrentCreatesOfOneNameLetExactlyOneIn(url));
        }

        private void inASchemaOfItsOwn(Scenario scenario) throws Exception {
            String url = System.getProperty(
                    "annals.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
            String schema =
                    "e2e_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            try (Connection c = DriverManager.getConnection(url);
                    Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA " + schema);
            }
            try {
                scenario.run(url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema);
            } finally {
                try (Connection c = DriverManager.getConnection(url);
                        Statement st = c.createStatement()) {
                    st.execute("DROP SCHEMA " + schema + " CASCADE");
                }
            }
        }
    }
}
