package io.annals.eventstore.jdbc;

import org.junit.jupiter.api.Tag;

/** Scenario 12 (the store against a model of the contract) on PostgreSQL. */
@Tag("postgres")
class PostgresStoreModelTest extends StoreModelContract {

    private static final ReliabilityDb DB = ReliabilityDb.postgres();
    private boolean remembered;

    @Override
    ReliabilityDb db() {
        if (!remembered) {
            remembered = true;
            remember(DB);
        }
        return DB;
    }
}
