package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** A split projection's edges, on SQLite. */
class SqliteSegmentEdgeTest extends SegmentEdgeContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected String newUrl() {
        return "jdbc:sqlite:" + dir.resolve("segment-edges-" + FILES.incrementAndGet() + ".db");
    }
}
