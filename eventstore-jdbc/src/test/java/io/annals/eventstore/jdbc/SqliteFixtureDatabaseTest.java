package io.annals.eventstore.jdbc;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite fixture files of earlier versions, each opened from a fresh copy. */
class SqliteFixtureDatabaseTest extends FixtureDatabaseContract {

    private static final AtomicInteger COPIES = new AtomicInteger();

    @TempDir
    static Path dir;

    @Override
    JdbcEventStore.Builder restore(String version) throws Exception {
        Path copy = dir.resolve(version + "-" + COPIES.incrementAndGet() + ".db");
        try (InputStream in = getClass().getResourceAsStream("/fixtures/" + version + "/annals.db")) {
            if (in == null) {
                throw new IllegalStateException("no fixture fixtures/" + version + "/annals.db");
            }
            Files.copy(in, copy);
        }
        return FixtureDatabases.configure(JdbcEventStore.builder("jdbc:sqlite:" + copy));
    }
}
