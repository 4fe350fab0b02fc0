package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.snapshot.SnapshotStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class JdbcSnapshotStoreTest {

    @TempDir
    Path dir;

    private JdbcEventStore store;
    private SnapshotStore snapshots;

    @BeforeEach
    void open() {
        store = JdbcEventStore.open("jdbc:sqlite:" + dir.resolve("snap.db"));
        snapshots = store.snapshots();
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static Snapshot at(long version, String state) {
        return new Snapshot(
                "product-1", version, UUID.randomUUID(), 1, state, Instant.parse("2026-01-01T00:00:00.000001Z"));
    }

    @Test
    void a_saved_snapshot_loads_back_whole() {
        Snapshot s = at(7, "{\"price\":\"3.50\"}");
        snapshots.save(s);

        assertThat(snapshots.load("product-1")).contains(s);
        assertThat(snapshots.load("product-2")).isEmpty();
    }

    @Test
    void a_newer_snapshot_replaces_an_older_one_but_never_the_reverse() {
        snapshots.save(at(10, "{\"v\":10}"));
        snapshots.save(at(20, "{\"v\":20}"));
        snapshots.save(at(15, "{\"v\":15}"));

        assertThat(snapshots.load("product-1").orElseThrow().version()).isEqualTo(20);
    }

    @Test
    void concurrent_savers_leave_the_highest_version() throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int offset = t;
            Thread thread = new Thread(() -> {
                for (int v = 1 + offset; v <= 200; v += 8) {
                    snapshots.save(at(v, "{\"v\":" + v + "}"));
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread t : threads) {
            t.join();
        }

        Snapshot last = snapshots.load("product-1").orElseThrow();
        assertThat(last.version()).isEqualTo(200);
        assertThat(last.state()).isEqualTo("{\"v\":200}");
    }
}
