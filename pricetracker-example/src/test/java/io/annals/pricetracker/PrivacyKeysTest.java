package io.annals.pricetracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.jdbc.JdbcEventStore;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the alerts' keys come from, and the errors that name what is wrong, never a secret. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PrivacyKeysTest {

    private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);
    private static final String SECRET = Base64.getEncoder().encodeToString(filled(32, 7));

    @TempDir
    Path dir;

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void no_key_in_the_environment_means_none() {
        assertThat(PrivacyKeys.fromEnvironment(Map.of())).isEmpty();
        assertThat(PrivacyKeys.fromEnvironment(Map.of(PrivacyKeys.SUBJECT_SECRET, SECRET)))
                .isEmpty();
    }

    @Test
    void the_keys_come_from_the_environment_with_their_id() {
        PrivacyKeys keys = PrivacyKeys.fromEnvironment(
                        Map.of(PrivacyKeys.KEY, KEY, PrivacyKeys.KEY_ID, "2026-12", PrivacyKeys.SUBJECT_SECRET, SECRET))
                .orElseThrow();
        assertThat(keys.wrapper().keyId()).isEqualTo("2026-12");
        assertThat(keys.subjectSecret()).isEqualTo(filled(32, 7));
        assertThat(keys.toString()).doesNotContain(SECRET).doesNotContain(KEY);
        assertThat(PrivacyKeys.fromEnvironment(Map.of(PrivacyKeys.KEY, KEY, PrivacyKeys.SUBJECT_SECRET, SECRET))
                        .orElseThrow()
                        .wrapper()
                        .keyId())
                .isEqualTo("k1");
    }

    @Test
    void a_key_without_its_secret_or_a_bad_value_is_refused_without_showing_it() {
        String badKey = Base64.getEncoder().encodeToString(new byte[10]);
        assertThatThrownBy(() -> PrivacyKeys.fromEnvironment(Map.of(PrivacyKeys.KEY, KEY)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(PrivacyKeys.SUBJECT_SECRET);
        assertThatThrownBy(() -> PrivacyKeys.fromEnvironment(
                        Map.of(PrivacyKeys.KEY, badKey, PrivacyKeys.SUBJECT_SECRET, SECRET)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(PrivacyKeys.KEY)
                .message()
                .doesNotContain(badKey);
        assertThatThrownBy(() -> PrivacyKeys.fromEnvironment(
                        Map.of(PrivacyKeys.KEY, KEY, PrivacyKeys.SUBJECT_SECRET, "not base64 !")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(PrivacyKeys.SUBJECT_SECRET)
                .message()
                .doesNotContain("not base64");
        assertThatThrownBy(() -> PrivacyKeys.fromEnvironment(Map.of(
                        PrivacyKeys.KEY,
                        KEY,
                        PrivacyKeys.SUBJECT_SECRET,
                        Base64.getEncoder().encodeToString(new byte[8]))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("16 bytes");
    }

    @Test
    void development_keys_are_made_once_per_database_and_kept() {
        try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:" + dir.resolve("dev.db"))) {
            PrivacyKeys first = PrivacyKeys.development(store.dataSource());
            PrivacyKeys again = PrivacyKeys.development(store.dataSource());
            assertThat(again.subjectSecret()).isEqualTo(first.subjectSecret());
            byte[] context = {1, 2, 3};
            byte[] wrapped = first.wrapper().wrap(new byte[32], context);
            assertThat(unwrap(again, wrapped, context)).isEqualTo(new byte[32]);
        }
        try (JdbcEventStore other = JdbcEventStore.open("jdbc:sqlite:" + dir.resolve("other.db"))) {
            try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:" + dir.resolve("dev.db"))) {
                assertThat(PrivacyKeys.development(other.dataSource()).subjectSecret())
                        .isNotEqualTo(
                                PrivacyKeys.development(store.dataSource()).subjectSecret());
            }
        }
    }

    @Test
    void a_database_run_with_development_keys_refuses_the_keys_of_the_environment() {
        try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:" + dir.resolve("dev.db"))) {
            PrivacyKeys.refuseDevelopmentDatabase(store.dataSource()); // a new database: fine
            PrivacyKeys.development(store.dataSource());
            assertThatThrownBy(() -> PrivacyKeys.refuseDevelopmentDatabase(store.dataSource()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("development keys")
                    .hasMessageContaining(PrivacyKeys.KEY);
        }
    }

    private static byte[] unwrap(PrivacyKeys keys, byte[] wrapped, byte[] context) {
        try {
            return keys.wrapper().unwrap(wrapped, context);
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }
}
