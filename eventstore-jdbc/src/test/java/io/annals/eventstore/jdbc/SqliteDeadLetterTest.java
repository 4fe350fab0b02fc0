package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** Poison events and dead letters on SQLite. */
class SqliteDeadLetterTest extends DeadLetterContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected String newUrl() {
        return "jdbc:sqlite:" + dir.resolve("dead-letters-" + FILES.incrementAndGet() + ".db");
    }
}
