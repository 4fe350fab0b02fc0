package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** Reads by category of odd stream ids and under writers, on SQLite. */
class SqliteCategoryEdgeTest extends CategoryEdgeContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected String newUrl() {
        return "jdbc:sqlite:" + dir.resolve("categories-" + FILES.incrementAndGet() + ".db");
    }
}
