package io.annals.eventstore.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/** A keyed projection split into segments, on PostgreSQL, each store in a schema of its own. */
@Tag("postgres")
class PostgresSegmentTest extends SegmentContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected String newUrl() {
        return DB.newSchemaUrl("segments");
    }
}
