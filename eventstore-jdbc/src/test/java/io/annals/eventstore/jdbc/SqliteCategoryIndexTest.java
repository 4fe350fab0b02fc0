package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Reads by category through the index, on SQLite. */
class SqliteCategoryIndexTest extends CategoryIndexContract {

    @TempDir
    Path dir;

    @Override
    protected String newUrl() {
        return "jdbc:sqlite:" + dir.resolve("categories.db");
    }

    @Override
    protected String explain() {
        return "EXPLAIN QUERY PLAN ";
    }
}
