package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** Blue-green rebuilds on SQLite. */
class SqliteBlueGreenTest extends BlueGreenContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected String newUrl() {
        return "jdbc:sqlite:" + dir.resolve("blue-green-" + FILES.incrementAndGet() + ".db");
    }
}
