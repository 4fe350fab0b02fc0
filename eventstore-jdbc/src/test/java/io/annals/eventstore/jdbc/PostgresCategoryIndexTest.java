package io.annals.eventstore.jdbc;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/** Reads by category through the index, on PostgreSQL. */
@Tag("postgres")
class PostgresCategoryIndexTest extends CategoryIndexContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected String newUrl() {
        return DB.newSchemaUrl("categories");
    }

    @Override
    protected String explain() {
        return "EXPLAIN ";
    }

    /** A table this small is cheaper to scan: the test asks whether the index can be used. */
    @Override
    protected List<String> preferIndexes() {
        return List.of("SET enable_seqscan = off");
    }
}
