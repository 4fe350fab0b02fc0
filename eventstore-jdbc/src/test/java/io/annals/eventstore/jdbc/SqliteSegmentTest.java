package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** A keyed projection split into segments, on SQLite. */
class SqliteSegmentTest extends SegmentContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected String newUrl() {
        return "jdbc:sqlite:" + dir.resolve("segments-" + FILES.incrementAndGet() + ".db");
    }
}
