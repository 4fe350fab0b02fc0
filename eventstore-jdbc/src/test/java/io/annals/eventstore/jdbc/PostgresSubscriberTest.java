package io.annals.eventstore.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/**
 * Subscribers on PostgreSQL; the competing ones are two stores with pools of their own, which
 * the server cannot tell from two processes: the lease is a session advisory lock.
 */
@Tag("postgres")
class PostgresSubscriberTest extends SubscriberContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected String newUrl() {
        return DB.newSchemaUrl("subscribers");
    }
}
