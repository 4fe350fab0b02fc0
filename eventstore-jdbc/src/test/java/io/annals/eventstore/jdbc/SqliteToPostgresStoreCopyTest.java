package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/** A SQLite store copied into PostgreSQL, as an application that outgrew one process does. */
@Tag("postgres")
class SqliteToPostgresStoreCopyTest extends StoreCopyContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();
    private static final AtomicInteger FILES = new AtomicInteger();

    @TempDir
    Path dir;

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    String newSourceUrl() {
        return "jdbc:sqlite:" + dir.resolve("source-" + FILES.incrementAndGet() + ".db");
    }

    @Override
    String newTargetUrl() {
        return DB.newSchemaUrl("copy_target");
    }
}
