package io.annals.eventstore.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class SqliteReactionTwoRunnersTest extends ReactionTwoRunnersContract {

    @TempDir
    Path dir;

    @Override
    String newStoreUrl() {
        String url = "jdbc:sqlite:" + dir.resolve("two-runners.db");
        JdbcEventStore.open(url).close();
        return url;
    }
}
