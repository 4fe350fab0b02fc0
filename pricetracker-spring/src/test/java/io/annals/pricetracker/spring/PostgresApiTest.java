package io.annals.pricetracker.spring;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The API on PostgreSQL ({@code -Ppostgres}), in a schema of its own, dropped afterwards. The
 * server must be reachable: the context fails to start otherwise, and so do the tests.
 *
 * <p>The schema is dropped by an extension declared before {@code @SpringBootTest}'s, so that it
 * runs after Spring has closed the context ({@code @DirtiesContext}) and with it the store's
 * connections: a connection left open would make the drop wait, and fail after 10 seconds.
 */
@Tag("postgres")
@ExtendWith(PostgresApiTest.DropSchema.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class PostgresApiTest extends PriceTrackerApiContract {

    static final String URL =
            System.getProperty("annals.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    static final String SCHEMA =
            "pt_spring_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry properties) {
        properties.add("annals.url", () -> URL);
        properties.add("annals.schema", () -> SCHEMA);
    }

    @Autowired
    TestRestTemplate rest;

    @Override
    TestRestTemplate rest() {
        return rest;
    }

    static final class DropSchema implements AfterAllCallback {
        @Override
        public void afterAll(ExtensionContext context) throws SQLException {
            try (Connection c = DriverManager.getConnection(URL);
                    Statement s = c.createStatement()) {
                s.execute("SET lock_timeout = '10s'");
                s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
            }
        }
    }
}
