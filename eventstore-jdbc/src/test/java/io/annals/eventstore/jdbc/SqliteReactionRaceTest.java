package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

class SqliteReactionRaceTest extends ReactionRaceContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    JdbcEventStore.Builder builder() {
        return JdbcEventStore.builder("jdbc:sqlite:" + dir.resolve("races-" + FILES.incrementAndGet() + ".db"));
    }

    /** On SQLite the lease is held in the JVM: a batch needs one connection. */
    @Override
    int smallPool() {
        return 1;
    }
}
