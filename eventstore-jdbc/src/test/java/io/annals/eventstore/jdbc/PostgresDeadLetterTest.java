package io.annals.eventstore.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/** Poison events and dead letters on PostgreSQL, each store in a schema of its own. */
@Tag("postgres")
class PostgresDeadLetterTest extends DeadLetterContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected String newUrl() {
        return DB.newSchemaUrl("dead_letters");
    }
}
