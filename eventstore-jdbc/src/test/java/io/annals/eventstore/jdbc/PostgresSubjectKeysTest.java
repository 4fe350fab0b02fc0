package io.annals.eventstore.jdbc;

import io.annals.eventstore.privacy.SubjectKeys;
import io.annals.eventstore.tck.SubjectKeysContract;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;

/**
 * The subject keys contract on PostgreSQL, each test in a schema of its own; {@link #reopen}
 * opens another store (another pool) on the same schema.
 */
@Tag("postgres")
class PostgresSubjectKeysTest extends SubjectKeysContract {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();
    private final List<JdbcEventStore> stores = new ArrayList<>();
    private final Map<SubjectKeys, String> urls = new IdentityHashMap<>();

    @AfterEach
    void close() {
        stores.forEach(JdbcEventStore::close);
    }

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected synchronized SubjectKeys newKeys() {
        return open(DB.newSchemaUrl("subject_keys"));
    }

    @Override
    protected synchronized SubjectKeys reopen(SubjectKeys keys) {
        return open(urls.get(keys));
    }

    private SubjectKeys open(String url) {
        JdbcEventStore store = JdbcEventStore.builder(url).maxPoolSize(4).open();
        stores.add(store);
        urls.put(store.subjectKeys(), url);
        return store.subjectKeys();
    }
}
