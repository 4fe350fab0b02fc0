package io.annals.eventstore.jdbc;

import org.junit.jupiter.api.Tag;

/**
 * Scenarios 3, 4 and 7 on PostgreSQL; the history check runs with a trigger that delays every
 * commit by a random 0 to 8 ms, so that transactions commit out of order.
 */
@Tag("postgres")
class PostgresHistoryTest extends HistoryContract {

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
