package io.annals.eventstore.jdbc;

import io.annals.eventstore.privacy.SubjectKeys;
import io.annals.eventstore.tck.SubjectKeysContract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The subject keys contract on SQLite; {@link #reopen} opens another store on the same file. */
class SqliteSubjectKeysTest extends SubjectKeysContract {

    private static final AtomicInteger FILES = new AtomicInteger();
    private final List<JdbcEventStore> stores = new ArrayList<>();
    private final Map<SubjectKeys, String> urls = new IdentityHashMap<>();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        stores.forEach(JdbcEventStore::close);
    }

    @Override
    protected synchronized SubjectKeys newKeys() {
        return open("jdbc:sqlite:" + dir.resolve("keys-" + FILES.incrementAndGet() + ".db"));
    }

    @Override
    protected synchronized SubjectKeys reopen(SubjectKeys keys) {
        return open(urls.get(keys));
    }

    private SubjectKeys open(String url) {
        JdbcEventStore store = JdbcEventStore.open(url);
        stores.add(store);
        urls.put(store.subjectKeys(), url);
        return store.subjectKeys();
    }
}
