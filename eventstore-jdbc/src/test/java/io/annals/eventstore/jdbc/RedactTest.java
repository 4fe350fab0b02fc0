package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.EventStoreException;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class RedactTest {

    @TempDir
    Path dir;

    @Test
    void passwords_in_a_jdbc_url_are_replaced_however_they_are_written() {
        assertThat(Redact.url("jdbc:postgresql://db:5432/shop?user=app&password=s3cret&ssl=true"))
                .isEqualTo("jdbc:postgresql://db:5432/shop?user=app&password=***&ssl=true");
        assertThat(Redact.url("jdbc:postgresql://app:s3cret@db/shop")).isEqualTo("jdbc:postgresql://app:***@db/shop");
        assertThat(Redact.url("jdbc:postgresql://db/shop?PASSWORD=s3cret;sslpassword=k3y"))
                .doesNotContain("s3cret")
                .doesNotContain("k3y");
        assertThat(Redact.url("jdbc:sqlite:/data/shop.db")).isEqualTo("jdbc:sqlite:/data/shop.db");
    }

    @Test
    void neither_a_store_nor_its_errors_print_a_password() {
        String url = "jdbc:postgresql://127.0.0.1:1/nowhere?user=app&password=s3cret&connectTimeout=1";
        assertThatThrownBy(() -> JdbcEventStore.builder(url).open())
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("password=***")
                .hasMessageNotContaining("s3cret");
        try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:" + dir.resolve("s.db") + "?password=s3cret")) {
            assertThat(store.toString())
                    .startsWith("SQLite event store on jdbc:sqlite:")
                    .contains("password=***", "tables annals_*")
                    .doesNotContain("s3cret");
        }
    }
}
