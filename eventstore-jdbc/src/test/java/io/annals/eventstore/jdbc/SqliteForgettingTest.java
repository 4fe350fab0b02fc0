package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.privacy.KeyWrapper;
import io.annals.eventstore.privacy.Sealed;
import io.annals.eventstore.privacy.SubjectKey;
import io.annals.eventstore.privacy.Vault;
import io.annals.eventstore.snapshot.Snapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is left in the bytes of a SQLite database after a stream is deleted or a data subject is
 * forgotten: the database file and its write-ahead log are scanned for the data, after a
 * checkpoint, and each scan is first shown to find the data while it is still there.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SqliteForgettingTest {

    private static final String MARKER = "zq-marker-4f1c9";

    @TempDir
    Path dir;

    @Test
    void a_deleted_stream_leaves_no_byte_of_its_events_or_snapshot_in_the_file() throws Exception {
        Path file = dir.resolve("deleting.db");
        try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:" + file)) {
            store.append("doomed", ExpectedVersion.noStream(), marked(200));
            store.append("kept", ExpectedVersion.noStream(), List.of(EventData.of("Noted", "{\"text\":\"kept\"}")));
            RecordedEvent last = store.readStream("doomed", 200, 1).get(0);
            store.snapshots()
                    .save(new Snapshot("doomed", 200, last.eventId(), 1, "{\"s\":\"" + MARKER + "\"}", Instant.now()));
            checkpoint(store);
            assertThat(hits(file))
                    .as("the scan finds the data while it is there")
                    .isPositive();

            store.deleteStream("doomed", ExpectedVersion.exactly(200));
            checkpoint(store);
        }
        assertThat(hits(file)).isZero();
    }

    @Test
    void a_truncated_stream_leaves_no_byte_of_its_removed_events_in_the_file() throws Exception {
        Path file = dir.resolve("truncating.db");
        try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:" + file)) {
            store.append("archived", ExpectedVersion.noStream(), marked(200));
            store.append(
                    "archived", ExpectedVersion.exactly(200), List.of(EventData.of("Noted", "{\"text\":\"kept\"}")));
            RecordedEvent last = store.readStream("archived", 200, 1).get(0);
            checkpoint(store);
            assertThat(hits(file))
                    .as("the scan finds the data while it is there")
                    .isPositive();

            store.truncateStream(
                    "archived",
                    201,
                    new Snapshot("archived", 200, last.eventId(), 1, "{\"notes\":200}", Instant.now()));
            checkpoint(store);
            assertThat(store.readStream("archived", 1, 10)).hasSize(1);
        }
        assertThat(hits(file)).isZero();
    }

    @Test
    void sealed_data_never_reaches_the_file_in_clear_and_a_forgotten_key_leaves_no_byte() throws Exception {
        Path file = dir.resolve("forgetting.db");
        String email = MARKER + "@example.com";
        try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:" + file)) {
            Vault vault = Vault.builder(store.subjectKeys(), KeyWrapper.aesGcm("k1", new byte[32]))
                    .subjectSecret(new byte[16])
                    .build();
            String subject = vault.subjectFor(email);
            Sealed sealed = vault.seal(subject, email);
            store.append(
                    "watch-1",
                    ExpectedVersion.noStream(),
                    List.of(EventData.of(
                            "WatchStarted",
                            "{\"email\":{\"subject\":\"" + sealed.subject() + "\",\"ciphertext\":\""
                                    + sealed.ciphertext() + "\"}}")));
            byte[] wrapped =
                    store.subjectKeys().live(subject).map(SubjectKey::wrapped).orElseThrow();
            checkpoint(store);
            assertThat(hits(file, email.getBytes(StandardCharsets.UTF_8))).isZero();
            assertThat(hits(file, MARKER.getBytes(StandardCharsets.UTF_8))).isZero();
            assertThat(hits(file, wrapped))
                    .as("the scan finds the wrapped key while it is there")
                    .isPositive();

            assertThat(vault.forget(subject)).isTrue();
            checkpoint(store);

            assertThat(hits(file, wrapped)).isZero();
            assertThat(vault.reveal(sealed)).isEmpty();
        }
    }

    /** {@code n} events holding the marker in their data, metadata and tags. */
    private static List<EventData> marked(int n) {
        List<EventData> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(new EventData(
                    UUID.randomUUID(),
                    "Noted",
                    "{\"text\":\"" + MARKER + " " + i + "\"}",
                    Map.of("note", MARKER),
                    Set.of("about:" + MARKER)));
        }
        return events;
    }

    private static void checkpoint(JdbcEventStore store) throws SQLException {
        try (Connection c = store.dataSource().getConnection();
                Statement st = c.createStatement()) {
            st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }
    }

    private static Path wal(Path file) {
        return file.resolveSibling(file.getFileName() + "-wal");
    }

    /** Occurrences of the marker in the file and its write-ahead log. */
    private static int hits(Path file) throws IOException {
        return hits(file, MARKER.getBytes(StandardCharsets.UTF_8));
    }

    /** Occurrences of {@code needle} in the file and its write-ahead log. */
    private static int hits(Path file, byte[] needle) throws IOException {
        byte[] hay = Files.readAllBytes(file);
        int n = 0;
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            n++;
        }
        if (Files.exists(wal(file)) && !file.toString().endsWith("-wal")) {
            n += hits(wal(file), needle);
        }
        return n;
    }
}
