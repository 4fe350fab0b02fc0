package io.annals.eventstore.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.tck.TestClock;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Sealing, revealing and forgetting, and every way a value can fail to come back. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class VaultTest {

    private static final String EMAIL = "ann.marker@example.com";
    private static final KeyWrapper WRAPPER = KeyWrapper.aesGcm("k1", bytes(1));
    private final InMemorySubjectKeys keys = new InMemorySubjectKeys();
    private final Vault vault = Vault.builder(keys, WRAPPER).build();

    private static byte[] bytes(int seed) {
        byte[] b = new byte[32];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }

    @Test
    void a_sealed_value_comes_back_exactly() {
        String value = "Zoë 🍵 \u0000 ann@example.com";
        assertThat(vault.reveal(vault.seal("ann", value))).contains(value);
        assertThat(vault.reveal(vault.seal("ann", ""))).contains("");
    }

    @Test
    void the_ciphertext_holds_nothing_of_the_value_and_differs_each_time() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            Sealed s = vault.seal("ann", EMAIL);
            assertThat(s.ciphertext()).doesNotContain("marker").doesNotContain("example");
            assertThat(new String(Base64.getUrlDecoder().decode(s.ciphertext().substring(20)), StandardCharsets.UTF_8))
                    .doesNotContain("marker");
            seen.add(s.ciphertext());
        }
        assertThat(seen).hasSize(100);
        assertThat(vault.seal("ann", EMAIL).toString()).doesNotContain("marker").doesNotContain("v1.");
    }

    @Test
    void forgetting_a_subject_makes_its_values_forgotten_and_leaves_the_others() {
        Sealed ann = vault.seal("ann", EMAIL);
        Sealed bob = vault.seal("bob", "bob@example.com");

        assertThat(vault.forget("ann")).isTrue();

        assertThat(vault.reveal(ann)).isEmpty();
        assertThat(vault.revealOr(ann)).isEqualTo(Vault.FORGOTTEN);
        assertThat(vault.revealOr(ann, "?")).isEqualTo("?");
        assertThat(vault.reveal(bob)).contains("bob@example.com");
        assertThat(vault.forget("carol")).as("never sealed").isFalse();
    }

    @Test
    void a_value_moved_to_another_subject_fails_instead_of_decrypting() {
        Sealed ann = vault.seal("ann", EMAIL);
        vault.seal("bob", "x");

        Sealed moved = new Sealed("bob", ann.ciphertext());

        assertThatThrownBy(() -> vault.reveal(moved))
                .isInstanceOf(PersonalDataException.class)
                .hasMessageContaining("bob")
                .hasMessageNotContaining("marker");
    }

    @ParameterizedTest
    @ValueSource(ints = {20, 25, 40, 60})
    void an_altered_value_fails_authentication(int at) {
        Sealed s = vault.seal("ann", EMAIL);
        char[] c = s.ciphertext().toCharArray();
        c[at] = c[at] == 'A' ? 'B' : 'A';
        Sealed altered = new Sealed("ann", new String(c));

        assertThatThrownBy(() -> vault.reveal(altered))
                .isInstanceOf(PersonalDataException.class)
                .hasMessageContaining("fails authentication")
                .hasMessageNotContaining("marker");
    }

    @Test
    void a_value_whose_key_was_never_stored_here_is_an_error_not_forgotten() {
        Sealed elsewhere =
                Vault.builder(new InMemorySubjectKeys(), WRAPPER).build().seal("ann", EMAIL);

        assertThatThrownBy(() -> vault.reveal(elsewhere))
                .isInstanceOf(PersonalDataException.class)
                .hasMessageContaining("no data key")
                .hasMessageContaining("ann");
    }

    @Test
    void a_wrong_wrapping_key_is_an_error_naming_the_key_id() {
        Sealed s = vault.seal("ann", EMAIL);
        Vault wrong = Vault.builder(keys, KeyWrapper.aesGcm("k1", bytes(2))).build();

        assertThatThrownBy(() -> wrong.reveal(s))
                .isInstanceOf(PersonalDataException.class)
                .hasMessageContaining("cannot unwrap")
                .hasMessageContaining("'k1'");
    }

    @Test
    void a_lost_wrapping_key_is_an_error_naming_what_is_missing() {
        Sealed s = vault.seal("ann", EMAIL);
        Vault withoutIt = Vault.builder(keys, KeyWrapper.aesGcm("k2", bytes(2))).build();

        assertThatThrownBy(() -> withoutIt.reveal(s))
                .isInstanceOf(PersonalDataException.class)
                .hasMessageContaining("wrapping key 'k1'")
                .hasMessageContaining("not configured");
    }

    @Test
    void an_altered_key_record_is_an_error() {
        Sealed s = vault.seal("ann", EMAIL);
        SubjectKey k = keys.live("ann").orElseThrow();
        byte[] w = k.wrapped();
        w[w.length - 1] ^= 1;
        keys.rewrap(k, "k1", w);

        Vault fresh = Vault.builder(keys, WRAPPER).build();
        assertThatThrownBy(() -> fresh.reveal(s)).isInstanceOf(PersonalDataException.class);
    }

    @Test
    void a_key_record_moved_to_another_subject_fails_to_unwrap() {
        vault.seal("ann", EMAIL);
        SubjectKey k = keys.live("ann").orElseThrow();
        InMemorySubjectKeys stolen = new InMemorySubjectKeys();
        stolen.insert(new SubjectKey("bob", k.dataKeyId(), "k1", k.wrapped(), k.createdAt()));

        Vault v = Vault.builder(stolen, WRAPPER).build();
        assertThatThrownBy(() -> v.seal("bob", "x")).isInstanceOf(PersonalDataException.class);
    }

    @Test
    void a_custom_wrapper_that_fails_is_reported() {
        KeyWrapper broken = new KeyWrapper() {
            @Override
            public String keyId() {
                return "kms";
            }

            @Override
            public byte[] wrap(byte[] dataKey, byte[] context) {
                return dataKey.clone();
            }

            @Override
            public byte[] unwrap(byte[] wrapped, byte[] context) throws GeneralSecurityException {
                throw new GeneralSecurityException("access denied");
            }
        };
        Sealed s = Vault.builder(keys, broken).build().seal("ann", EMAIL);

        assertThatThrownBy(() -> Vault.builder(keys, broken).build().reveal(s))
                .isInstanceOf(PersonalDataException.class)
                .hasRootCauseMessage("access denied");
    }

    @Test
    void subject_ids_from_natural_keys_are_stable_keyed_and_hide_the_key() {
        Vault a = Vault.builder(keys, WRAPPER).subjectSecret(bytes(5)).build();
        Vault b = Vault.builder(keys, WRAPPER).subjectSecret(bytes(5)).build();
        Vault other = Vault.builder(keys, WRAPPER).subjectSecret(bytes(6)).build();

        assertThat(a.subjectFor(EMAIL)).isEqualTo(b.subjectFor(EMAIL)).doesNotContain("marker");
        assertThat(a.subjectFor(EMAIL)).isNotEqualTo(other.subjectFor(EMAIL));
        assertThat(a.subjectFor(EMAIL)).isNotEqualTo(a.subjectFor("bob@example.com"));
        assertThatThrownBy(() -> vault.subjectFor(EMAIL))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("subjectSecret");
    }

    @Test
    void bad_input_is_refused_with_a_message_that_never_repeats_the_value() {
        assertThatThrownBy(() -> vault.seal("", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> vault.seal("a".repeat(201), "x")).hasMessageContaining("201");
        assertThatThrownBy(() -> vault.seal("a\nb", "x")).hasMessageContaining("control character");
        assertThatThrownBy(() -> vault.seal("ann", "marker\uD800"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unpaired surrogate at index 6")
                .hasMessageNotContaining("marker");
        assertThatThrownBy(() -> new Sealed("ann", "ann.marker@example.com"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("marker");
        assertThatThrownBy(() -> KeyWrapper.aesGcm("k", new byte[10])).hasMessageContaining("10");
        assertThatThrownBy(() -> KeyWrapper.aesGcm("k", "not base64!")).hasMessageContaining("not Base64");
        assertThatThrownBy(() -> KeyWrapper.aesGcm("k", (String) null)).hasMessageContaining("no wrapping key");
        assertThatThrownBy(() -> KeyWrapper.aesGcm("bad id", new byte[32])).hasMessageContaining("key id");
        assertThatThrownBy(() -> Vault.builder(keys, WRAPPER).previous(KeyWrapper.aesGcm("k1", bytes(3))))
                .hasMessageContaining("'k1'");
        assertThatThrownBy(() -> Vault.builder(keys, WRAPPER).subjectSecret(new byte[8]))
                .hasMessageContaining("16 bytes");
        assertThatThrownBy(() -> Vault.builder(keys, WRAPPER).cacheFor(Duration.ofSeconds(-1)))
                .hasMessageContaining("negative");
        assertThat(keys.live("")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"\u0000marker\uD800", "a\u0000b\u0000\uDC00"})
    void an_unpaired_surrogate_after_a_nul_is_refused_rather_than_sealed_as_another_value(String value) {
        assertThatThrownBy(() -> vault.seal("ann", value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unpaired surrogate")
                .hasMessageNotContaining("marker");
    }

    @Test
    void the_wrapper_never_shows_its_key() {
        assertThat(WRAPPER.toString()).isEqualTo("KeyWrapper[aesGcm k1]");
        vault.seal("ann", EMAIL);
        assertThat(keys.live("ann").orElseThrow().toString())
                .doesNotContain("[B@")
                .contains("k1");
    }

    /** Keys whose look-ups run a hook once, after reading: a forget landing in that window. */
    private static final class ForgetDuringLookup implements SubjectKeys {
        private final SubjectKeys keys;
        Runnable afterLive = () -> {};
        Runnable afterFind = () -> {};

        ForgetDuringLookup(SubjectKeys keys) {
            this.keys = keys;
        }

        @Override
        public Optional<SubjectKey> live(String subject) {
            Optional<SubjectKey> k = keys.live(subject);
            Runnable r = afterLive;
            afterLive = () -> {};
            r.run();
            return k;
        }

        @Override
        public Optional<SubjectKey> find(String subject, String dataKeyId) {
            Optional<SubjectKey> k = keys.find(subject, dataKeyId);
            Runnable r = afterFind;
            afterFind = () -> {};
            r.run();
            return k;
        }

        @Override
        public void insert(SubjectKey key) {
            keys.insert(key);
        }

        @Override
        public int forget(String subject) {
            return keys.forget(subject);
        }

        @Override
        public List<SubjectKey> wrappedByOtherThan(String wrappingKeyId, int max) {
            return keys.wrappedByOtherThan(wrappingKeyId, max);
        }

        @Override
        public boolean rewrap(SubjectKey old, String wrappingKeyId, byte[] wrapped) {
            return keys.rewrap(old, wrappingKeyId, wrapped);
        }
    }

    @Test
    void a_forget_racing_a_seal_leaves_no_forgotten_key_in_use() {
        ForgetDuringLookup racing = new ForgetDuringLookup(keys);
        TestClock clock = new TestClock(Instant.parse("2026-11-01T00:00:00Z"));
        Vault v = Vault.builder(racing, WRAPPER)
                .clock(clock)
                .cacheFor(Duration.ofSeconds(5))
                .build();
        v.seal("ann", "first");
        v.forget("ann");
        v.seal("ann", "second"); // a new key
        clock.advance(Duration.ofSeconds(5)); // so that the next seal looks the key up
        racing.afterLive = () -> v.forget("ann"); // forgotten between the look-up and the sealing

        v.seal("ann", "racing");
        Sealed after = v.seal("ann", "after forget returned");

        clock.advance(Duration.ofSeconds(5));
        assertThat(v.reveal(after)).contains("after forget returned");
    }

    @Test
    void a_forget_racing_a_reveal_leaves_no_forgotten_key_in_the_cache() {
        Sealed s = vault.seal("ann", EMAIL);
        ForgetDuringLookup racing = new ForgetDuringLookup(keys);
        Vault reader = Vault.builder(racing, WRAPPER).build();
        racing.afterFind = () -> reader.forget("ann"); // forgotten between the look-up and the caching

        reader.reveal(s); // concurrent with the forget: either answer is right

        assertThat(reader.reveal(s)).as("after forget returned").isEmpty();
    }

    @Test
    void threads_revealing_values_of_the_same_subjects_at_once_each_get_their_own_value() throws Exception {
        List<Sealed> sealed = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sealed.add(vault.seal("subject-" + (i % 3), "value " + i));
        }
        Sealed altered = alter(sealed.get(0));
        int threads = 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<Integer>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    int right = 0;
                    for (int round = 0; round < 50; round++) {
                        for (int i = 0; i < sealed.size(); i++) {
                            if (vault.reveal(sealed.get(i)).equals(Optional.of("value " + i))) {
                                right++;
                            }
                        }
                        // A failed use of a cipher must not spoil the next one.
                        assertThatThrownBy(() -> vault.reveal(altered)).isInstanceOf(PersonalDataException.class);
                    }
                    return right;
                }));
            }
            for (java.util.concurrent.Future<Integer> f : done) {
                assertThat(f.get()).isEqualTo(50 * sealed.size());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Sealed alter(Sealed s) {
        String c = s.ciphertext();
        int at = c.length() - 5;
        return new Sealed(s.subject(), c.substring(0, at) + (c.charAt(at) == 'A' ? 'B' : 'A') + c.substring(at + 1));
    }
}
