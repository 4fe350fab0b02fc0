package io.annals.pricetracker.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The API on PostgreSQL ({@code -Ppostgres}), in a schema of its own, dropped afterwards. The
 * server must be reachable: the context fails to start otherwise, and so do the tests.
 */
@Tag("postgres")
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
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

    @Autowired
    ConfigurableApplicationContext context;

    @Override
    TestRestTemplate rest() {
        return rest;
    }

    /** Closes the context first, so that no connection of the store holds the schema. */
    @AfterAll
    void dropSchema() throws SQLException {
        ProjectionRunner runner = context.getBean(ProjectionRunner.class);
        context.close();
        assertThat(runner.statuses()).extracting(ProjectionStatus::state).containsOnly(ProjectionStatus.State.STOPPED);
        try (Connection c = DriverManager.getConnection(URL);
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
    }
}
