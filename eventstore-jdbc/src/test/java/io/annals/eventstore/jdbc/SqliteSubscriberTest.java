package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** Subscribers on SQLite; the competing ones are two stores on one file in this JVM. */
class SqliteSubscriberTest extends SubscriberContract {

    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @Override
    protected String newUrl() {
        return "jdbc:sqlite:" + dir.resolve("subscribers-" + FILES.incrementAndGet() + ".db");
    }
}
