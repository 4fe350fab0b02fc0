package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.ReadOnlyStoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a store opens on SQLite files. */
class SqliteOpeningTest extends OpeningContract {

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

    @Override
    String folder() {
        return "db/sqlite";
    }

    @Override
    Set<String> tables(String url) throws SQLException {
        return tablesOf(url, null);
    }

    @Test
    void validate_and_read_only_never_create_a_missing_file() {
        Path missing = dir.resolve("typo.db");
        for (OpenMode mode : List.of(OpenMode.VALIDATE, OpenMode.READ_ONLY)) {
            assertThatThrownBy(() -> JdbcEventStore.builder("jdbc:sqlite:" + missing)
                            .openMode(mode)
                            .open())
                    .as(mode.name())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no SQLite database at " + missing);
            assertThat(missing).doesNotExist();
        }
    }

    @Test
    void a_path_whose_directory_does_not_exist_is_refused_naming_the_directory() {
        Path missingDirectory = dir.resolve("no-such-dir");
        for (OpenMode mode : OpenMode.values()) {
            assertThatThrownBy(() -> JdbcEventStore.builder("jdbc:sqlite:" + missingDirectory.resolve("x.db"))
                            .openMode(mode)
                            .open())
                    .as(mode.name())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("the directory " + missingDirectory + " ")
                    .hasMessageContaining("does not exist");
        }
        assertThat(missingDirectory).doesNotExist();
    }

    @Test
    void a_read_only_file_is_read_and_left_byte_for_byte_as_it_was() throws Exception {
        Path file = dir.resolve("frozen.db");
        try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:" + file)) {
            store.append("s", ExpectedVersion.noStream(), List.of(EventData.of("E", "{\"n\":1}")));
        }
        String before = sha256(file);
        assertThat(file.toFile().setWritable(false, false)).isTrue();
        try (JdbcEventStore store = JdbcEventStore.builder("jdbc:sqlite:" + file)
                .openMode(OpenMode.READ_ONLY)
                .open()) {
            assertThat(store.readStream("s", 1, 10)).extracting(e -> e.json()).containsExactly("{\"n\":1}");
            assertThatThrownBy(() -> store.append("s", ExpectedVersion.any(), List.of(EventData.of("E", "{}"))))
                    .isInstanceOf(ReadOnlyStoreException.class);
        } finally {
            file.toFile().setWritable(true, false);
        }
        assertThat(sha256(file)).isEqualTo(before);
    }

    @Test
    void a_store_opened_read_only_cannot_write_even_through_its_own_connections() throws Exception {
        Path file = dir.resolve("ro-connections.db");
        JdbcEventStore.open("jdbc:sqlite:" + file).close();
        try (JdbcEventStore store = JdbcEventStore.builder("jdbc:sqlite:" + file)
                        .openMode(OpenMode.READ_ONLY)
                        .open();
                var c = store.dataSource().getConnection();
                var st = c.createStatement()) {
            assertThatThrownBy(() -> st.execute("CREATE TABLE t (x INTEGER)"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("readonly");
        }
    }

    @Test
    void the_schema_script_prints_the_ddl_without_a_database() {
        String script = SchemaScript.script(List.of("sqlite", "--prefix", "shop_"));

        assertThat(script)
                .contains(
                        "CREATE TABLE shop_events",
                        "CREATE TABLE shop_projection_rows",
                        "INSERT INTO shop_schema_version")
                .doesNotContain("{");
        assertThatThrownBy(() -> SchemaScript.script(List.of("sqlite", "--schema", "s")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PostgreSQL");
        assertThat(SchemaScript.script(List.of("sqlite", "--after", "1")))
                .contains("CREATE TABLE annals_projection_rows")
                .doesNotContain("CREATE TABLE annals_events");
        assertThatThrownBy(() -> SchemaScript.script(List.of("sqlite", "--after", "two")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema version");
        assertThatThrownBy(() -> SchemaScript.script(List.of("oracle")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SQLite and PostgreSQL");
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
