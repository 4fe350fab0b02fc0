package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

class SqliteTagBackfillTest extends TagBackfillContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    String newUrl() {
        return "jdbc:sqlite:" + dir.resolve("tags-" + FILES.incrementAndGet() + ".db");
    }
}
