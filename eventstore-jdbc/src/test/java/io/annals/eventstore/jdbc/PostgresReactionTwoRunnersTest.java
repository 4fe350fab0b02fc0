package io.annals.eventstore.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

@Tag("postgres")
class PostgresReactionTwoRunnersTest extends ReactionTwoRunnersContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    String newStoreUrl() {
        String url = DB.newSchemaUrl("two_runners");
        JdbcEventStore.open(url).close();
        return url;
    }
}
