package io.annals.pricetracker.spring;

import java.util.UUID;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The API on a SQLite file of its own under {@code target/}. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SqliteApiTest extends PriceTrackerApiContract {

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry properties) {
        properties.add("annals.url", () -> "jdbc:sqlite:target/api-" + UUID.randomUUID() + ".db");
    }

    @Autowired
    TestRestTemplate rest;

    @Override
    TestRestTemplate rest() {
        return rest;
    }
}
