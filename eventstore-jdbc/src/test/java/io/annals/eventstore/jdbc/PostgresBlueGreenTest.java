package io.annals.eventstore.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/** Blue-green rebuilds on PostgreSQL, each store in a schema of its own. */
@Tag("postgres")
class PostgresBlueGreenTest extends BlueGreenContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected String newUrl() {
        return DB.newSchemaUrl("blue_green");
    }
}
