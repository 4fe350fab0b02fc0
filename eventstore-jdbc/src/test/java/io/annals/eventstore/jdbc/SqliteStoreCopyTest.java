package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** A SQLite store copied into another SQLite file. */
class SqliteStoreCopyTest extends StoreCopyContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    String newSourceUrl() {
        return "jdbc:sqlite:" + dir.resolve("source-" + FILES.incrementAndGet() + ".db");
    }

    @Override
    String newTargetUrl() {
        return "jdbc:sqlite:" + dir.resolve("target-" + FILES.incrementAndGet() + ".db");
    }
}
