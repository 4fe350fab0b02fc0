package io.annals.pricetracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.privacy.Sealed;
import io.annals.eventstore.privacy.Vault;
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
        assertThat(PrivacyKeys.fromEnvironment(Map.of("HOME", "/root"))).isEmpty();
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

    private static Map<String, String> env(String keyId, byte[] key, String... previous) {
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                PrivacyKeys.KEY, Base64.getEncoder().encodeToString(key),
                PrivacyKeys.KEY_ID, keyId,
                PrivacyKeys.SUBJECT_SECRET, SECRET));
        if (previous.length == 2) {
            env.put(PrivacyKeys.PREVIOUS_KEY_ID, previous[0]);
            env.put(PrivacyKeys.PREVIOUS_KEY, previous[1]);
        }
        return env;
    }

    @Test
    void a_secret_or_an_old_key_without_the_key_is_refused() {
        assertThatThrownBy(() -> PrivacyKeys.fromEnvironment(Map.of(PrivacyKeys.SUBJECT_SECRET, SECRET)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(PrivacyKeys.KEY + " is not");
        assertThatThrownBy(() ->
                        PrivacyKeys.fromEnvironment(Map.of(PrivacyKeys.KEY, "", PrivacyKeys.SUBJECT_SECRET, SECRET)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PrivacyKeys.fromEnvironment(Map.of(
                        PrivacyKeys.KEY, KEY, PrivacyKeys.SUBJECT_SECRET, SECRET, PrivacyKeys.PREVIOUS_KEY, KEY)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(PrivacyKeys.PREVIOUS_KEY_ID);
    }

    @Test
    void a_database_refuses_another_subject_secret_and_a_missing_wrapping_key() {
        try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:" + dir.resolve("prod.db"))) {
            PrivacyKeys k1 = PrivacyKeys.resolve(env("k1", filled(32, 1)), store.dataSource());
            new PriceTracker(store, k1).priceAlerts(); // records the fingerprint
            Vault vault = Vault.builder(store.subjectKeys(), k1.wrapper())
                    .subjectSecret(k1.subjectSecret())
                    .build();
            Sealed sealed = vault.seal(vault.subjectFor("ann@example.com"), "ann@example.com");

            PrivacyKeys otherSecret = new PrivacyKeys(k1.wrapper(), filled(32, 9));
            assertThatThrownBy(() -> otherSecret.check(store.dataSource(), store.subjectKeys(), vault))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("another subject secret");
            // run with keys from the environment: development keys are refused, not made
            assertThatThrownBy(() -> PrivacyKeys.resolve(Map.of(), store.dataSource()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(PrivacyKeys.KEY);

            PrivacyKeys k2 = PrivacyKeys.resolve(env("k2", filled(32, 2)), store.dataSource());
            Vault k2Vault = Vault.builder(store.subjectKeys(), k2.wrapper())
                    .subjectSecret(k2.subjectSecret())
                    .build();
            assertThatThrownBy(() -> k2.check(store.dataSource(), store.subjectKeys(), k2Vault))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("'k1'")
                    .hasMessageContaining(PrivacyKeys.PREVIOUS_KEY);

            // a rotation: one start with the old key as the previous one wraps every key again
            PrivacyKeys rotating = PrivacyKeys.resolve(
                    env("k2", filled(32, 2), "k1", Base64.getEncoder().encodeToString(filled(32, 1))),
                    store.dataSource());
            new PriceTracker(store, rotating).priceAlerts();
            k2.check(store.dataSource(), store.subjectKeys(), k2Vault);
            assertThat(k2Vault.reveal(sealed)).contains("ann@example.com");
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
