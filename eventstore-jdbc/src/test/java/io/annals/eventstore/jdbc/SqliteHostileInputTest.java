package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scenarios 9, 10 and 11 on SQLite files. */
class SqliteHostileInputTest extends HostileInputContract {

    @TempDir
    static Path dir;

    private ReliabilityDb db;

    @Override
    ReliabilityDb db() {
        if (db == null) {
            db = remember(ReliabilityDb.sqlite(dir));
        }
        return db;
    }

    @Test
    void a_schema_is_refused_on_sqlite() {
        assertThatThrownBy(() -> JdbcEventStore.builder(db().newUrl("schema"))
                        .schema("events")
                        .open())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PostgreSQL option");
    }
}
