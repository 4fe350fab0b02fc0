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
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What every table of a PostgreSQL store holds of sealed personal data before and after its
 * subject is forgotten: every row of every table of the store's schema, cast to text (payloads,
 * metadata, tags and keys included, whatever their type), is searched.
 */
@Tag("postgres")
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresForgettingTest {

    private static final PostgresTestDatabase DB = new PostgresTestDatabase();
    private static final String EMAIL = "zq-marker-77a1@example.com";

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Test
    void sealed_data_is_nowhere_in_clear_and_a_forgotten_key_is_nowhere_at_all() throws Exception {
        try (JdbcEventStore store = JdbcEventStore.open(DB.newSchemaUrl("forgetting"))) {
            Vault vault = Vault.builder(store.subjectKeys(), KeyWrapper.aesGcm("k1", new byte[32]))
                    .subjectSecret(new byte[16])
                    .build();
            String subject = vault.subjectFor(EMAIL);
            Sealed sealed = vault.seal(subject, EMAIL);
            String json = "{\"email\":{\"subject\":\"" + sealed.subject() + "\",\"ciphertext\":\"" + sealed.ciphertext()
                    + "\"}}";
            store.append(
                    "watch-1",
                    ExpectedVersion.noStream(),
                    List.of(new EventData(
                            java.util.UUID.randomUUID(),
                            "WatchStarted",
                            json,
                            Map.of(),
                            Set.of("watcher:" + subject))));
            RecordedEvent e = store.readStream("watch-1", 1, 1).get(0);
            store.snapshots().save(new Snapshot("watch-1", 1, e.eventId(), 1, json, Instant.now()));
            String wrappedHex = HexFormat.of()
                    .formatHex(store.subjectKeys()
                            .live(subject)
                            .map(SubjectKey::wrapped)
                            .orElseThrow());

            assertThat(rowsContaining(store, "marker")).isEmpty();
            assertThat(rowsContaining(store, wrappedHex))
                    .as("the scan finds the wrapped key while it is there")
                    .hasSize(1);

            vault.forget(subject);

            assertThat(rowsContaining(store, wrappedHex)).isEmpty();
            assertThat(rowsContaining(store, "marker")).isEmpty();
            assertThat(vault.reveal(sealed)).isEmpty();
        }
    }

    /** The rows of every table in the store's schema whose text holds {@code needle}. */
    private static List<String> rowsContaining(JdbcEventStore store, String needle) throws SQLException {
        List<String> hits = new ArrayList<>();
        try (Connection c = store.dataSource().getConnection()) {
            List<String> tables = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT quote_ident(table_schema) || '.' ||"
                            + " quote_ident(table_name) FROM information_schema.tables"
                            + " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            assertThat(tables).hasSizeGreaterThan(5);
            for (String table : tables) {
                // A table name from the catalog, quoted by quote_ident: not user data.
                try (PreparedStatement ps = c.prepareStatement("SELECT t::text FROM " + table + " t");
                        ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getString(1).contains(needle)) {
                            hits.add(table + ": " + rs.getString(1));
                        }
                    }
                }
            }
        }
        return hits;
    }
}
