package io.annals.eventstore.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/** Reads by category of odd stream ids and under writers, on PostgreSQL. */
@Tag("postgres")
class PostgresCategoryEdgeTest extends CategoryEdgeContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected String newUrl() {
        return DB.newSchemaUrl("category_edges");
    }
}
