package io.annals.eventstore.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/** A PostgreSQL store copied into another schema of the server. */
@Tag("postgres")
class PostgresStoreCopyTest extends StoreCopyContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    String newSourceUrl() {
        return DB.newSchemaUrl("copy_source");
    }

    @Override
    String newTargetUrl() {
        return DB.newSchemaUrl("copy_target");
    }
}
