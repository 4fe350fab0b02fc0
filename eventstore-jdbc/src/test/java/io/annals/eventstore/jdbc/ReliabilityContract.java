package io.annals.eventstore.jdbc;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/** What the reliability contracts share: their database, dropped after the test class. */
abstract class ReliabilityContract {

    private static final List<ReliabilityDb> DBS = Collections.synchronizedList(new ArrayList<>());

    /** The database, created once per test class. */
    abstract ReliabilityDb db();

    ReliabilityDb remember(ReliabilityDb db) {
        DBS.add(db);
        return db;
    }

    @AfterAll
    static void dropAll() {
        synchronized (DBS) {
            DBS.forEach(ReliabilityDb::dropAll);
            DBS.clear();
        }
    }
}
