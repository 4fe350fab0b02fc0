package io.annals.eventstore.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.privacy.KeyWrapper;
import io.annals.eventstore.privacy.Sealed;
import io.annals.eventstore.privacy.SubjectKey;
import io.annals.eventstore.privacy.SubjectKeys;
import io.annals.eventstore.privacy.Vault;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link SubjectKeys}, where a {@link Vault} keeps the data keys of sealed
 * personal data: what each operation stores and returns, forgetting, rotation, and vaults of
 * several processes sharing one set of keys (each test's vaults stand for processes: they share
 * nothing but the keys). A store's test extends this class and says how to open fresh, empty
 * keys; {@link #reopen} gives a second handle on the same ones where the store has them.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
public abstract class SubjectKeysContract {

    /** Fresh, empty keys. */
    protected abstract SubjectKeys newKeys();

    /** Another handle on the same keys, as another process would open them. */
    protected SubjectKeys reopen(SubjectKeys keys) {
        return keys;
    }

    private static final KeyWrapper WRAPPER = KeyWrapper.aesGcm("k1", new byte[32]);
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

    private static SubjectKey key(String subject, String id, String wrapping, byte[] wrapped, Instant at) {
        return new SubjectKey(subject, id, wrapping, wrapped, at);
    }

    @Test
    void a_stored_key_is_found_as_it_was_stored() {
        SubjectKeys keys = newKeys();
        SubjectKey k = key("alice", "00000000000000a1", "k1", new byte[] {1, 2, 3}, T0);
        keys.insert(k);

        assertThat(keys.find("alice", "00000000000000a1")).contains(k);
        assertThat(keys.live("alice")).contains(k);
        assertThat(keys.find("alice", "00000000000000a2")).isEmpty();
        assertThat(keys.live("bob")).isEmpty();
    }

    @Test
    void the_live_key_is_the_newest_that_is_not_forgotten() {
        SubjectKeys keys = newKeys();
        keys.insert(key("alice", "00000000000000a1", "k1", new byte[] {1}, T0));
        keys.insert(key("alice", "00000000000000a2", "k1", new byte[] {2}, T0.plusSeconds(1)));

        assertThat(keys.live("alice")).map(SubjectKey::dataKeyId).contains("00000000000000a2");
    }

    @Test
    void a_key_id_is_stored_once() {
        SubjectKeys keys = newKeys();
        keys.insert(key("alice", "00000000000000a1", "k1", new byte[] {1}, T0));

        assertThatThrownBy(() -> keys.insert(key("alice", "00000000000000a1", "k1", new byte[] {9}, T0)))
                .isInstanceOf(EventStoreException.class);
        assertThat(keys.find("alice", "00000000000000a1").orElseThrow().wrapped())
                .containsExactly(1);
    }

    @Test
    void a_forgotten_key_cannot_be_inserted() {
        SubjectKeys keys = newKeys();
        assertThatThrownBy(() -> keys.insert(key("alice", "00000000000000a1", "k1", null, T0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alice");
        assertThat(keys.live("alice")).isEmpty();
    }

    @Test
    void forgetting_deletes_the_bytes_of_every_key_of_the_subject_and_keeps_the_record() {
        SubjectKeys keys = newKeys();
        keys.insert(key("alice", "00000000000000a1", "k1", new byte[] {1}, T0));
        keys.insert(key("alice", "00000000000000a2", "k1", new byte[] {2}, T0));
        keys.insert(key("bob", "00000000000000b1", "k1", new byte[] {3}, T0));

        assertThat(keys.forget("alice")).isEqualTo(2);

        assertThat(keys.live("alice")).isEmpty();
        assertThat(keys.find("alice", "00000000000000a1"))
                .hasValueSatisfying(k -> assertThat(k.forgotten()).isTrue());
        assertThat(keys.find("alice", "00000000000000a2").orElseThrow().wrapped())
                .isNull();
        assertThat(keys.live("bob")).isPresent();
        assertThat(keys.forget("alice")).as("forgetting again").isEqualTo(2);
        assertThat(keys.forget("carol")).as("a subject without keys").isZero();
    }

    @Test
    void rewrapping_replaces_a_key_only_if_it_did_not_change_since_it_was_read() {
        SubjectKeys keys = newKeys();
        SubjectKey k = key("alice", "00000000000000a1", "old", new byte[] {1}, T0);
        keys.insert(k);
        keys.insert(key("bob", "00000000000000b1", "new", new byte[] {2}, T0));

        assertThat(keys.wrappedByOtherThan("new", 10)).containsExactly(k);
        assertThat(keys.rewrap(k, "new", new byte[] {7})).isTrue();
        assertThat(keys.rewrap(k, "new", new byte[] {8}))
                .as("the same old key again")
                .isFalse();
        assertThat(keys.find("alice", "00000000000000a1").orElseThrow().wrapped())
                .containsExactly(7);
        assertThat(keys.wrappedByOtherThan("new", 10)).isEmpty();

        keys.insert(key("carol", "00000000000000c1", "old", new byte[] {3}, T0));
        SubjectKey carol = keys.wrappedByOtherThan("new", 10).get(0);
        keys.forget("carol");
        assertThat(keys.rewrap(carol, "new", new byte[] {9}))
                .as("forgotten meanwhile")
                .isFalse();
        assertThat(keys.find("carol", "00000000000000c1").orElseThrow().forgotten())
                .isTrue();
    }

    @Test
    void times_keep_microseconds() {
        SubjectKeys keys = newKeys();
        Instant at = Instant.parse("2026-11-29T10:00:00.123456Z");
        keys.insert(key("alice", "00000000000000a1", "k1", new byte[] {1}, at));
        assertThat(keys.live("alice").orElseThrow().createdAt()).isEqualTo(at.truncatedTo(ChronoUnit.MICROS));
    }

    // ---- through a vault -----------------------------------------------------------------

    @Test
    void a_value_sealed_in_one_process_is_revealed_in_another() {
        SubjectKeys keys = newKeys();
        Sealed s = Vault.builder(keys, WRAPPER).build().seal("alice", "alice@example.com");

        Vault other = Vault.builder(reopen(keys), WRAPPER).build();
        assertThat(other.reveal(s)).contains("alice@example.com");
    }

    @Test
    void a_subject_forgotten_in_one_process_is_forgotten_in_another_once_its_cache_expires() {
        SubjectKeys keys = newKeys();
        TestClock clock = new TestClock(T0);
        Vault writer = Vault.builder(keys, WRAPPER).build();
        Vault reader = Vault.builder(reopen(keys), WRAPPER)
                .clock(clock)
                .cacheFor(Duration.ofSeconds(5))
                .build();
        Sealed s = writer.seal("alice", "alice@example.com");
        assertThat(reader.reveal(s)).contains("alice@example.com");

        // Another process forgets: from here, only the key store changes (a vault of this
        // process would clear the caches of all, see the next test).
        assertThat(keys.forget("alice")).isEqualTo(1);
        assertThat(reader.reveal(s)).as("cached in the other").contains("alice@example.com");
        clock.advance(Duration.ofSeconds(5));
        assertThat(reader.reveal(s)).as("once the cache expired").isEmpty();
        assertThat(reader.revealOr(s)).isEqualTo(Vault.FORGOTTEN);
    }

    @Test
    void a_subject_forgotten_through_one_vault_is_forgotten_at_once_by_every_vault_of_the_process() {
        SubjectKeys keys = newKeys();
        Vault writer = Vault.builder(keys, WRAPPER).build();
        Vault reader = Vault.builder(reopen(keys), WRAPPER)
                .cacheFor(Duration.ofHours(1))
                .build();
        Sealed s = writer.seal("alice", "alice@example.com");
        Sealed other = writer.seal("bob", "bob@example.com");
        assertThat(reader.reveal(s)).contains("alice@example.com");
        assertThat(reader.reveal(other)).contains("bob@example.com");

        assertThat(writer.forget("alice")).isTrue();

        assertThat(writer.reveal(s)).as("the vault that forgot").isEmpty();
        assertThat(reader.reveal(s))
                .as("another vault, its key cached for an hour")
                .isEmpty();
        assertThat(reader.reveal(other)).contains("bob@example.com");
    }

    @Test
    void a_value_sealed_in_another_process_after_the_subject_was_forgotten_is_not_lost() {
        SubjectKeys keys = newKeys();
        TestClock clock = new TestClock(T0);
        Vault forgetting = Vault.builder(keys, WRAPPER).build();
        Vault other = Vault.builder(reopen(keys), WRAPPER)
                .clock(clock)
                .cacheFor(Duration.ofSeconds(5))
                .build();
        Sealed before = other.seal("alice", "old@example.com"); // the other process knows her key

        assertThat(forgetting.forget("alice")).isTrue();
        Sealed after = other.seal("alice", "new@example.com");
        clock.advance(Duration.ofSeconds(5));

        assertThat(other.reveal(before)).isEmpty();
        assertThat(other.reveal(after)).as("sealed after forget returned").contains("new@example.com");
        assertThat(forgetting.reveal(after)).contains("new@example.com");
    }

    @Test
    void a_subject_seen_again_after_being_forgotten_gets_a_new_key_and_its_old_values_stay_forgotten() {
        SubjectKeys keys = newKeys();
        Vault vault = Vault.builder(keys, WRAPPER).cacheFor(Duration.ZERO).build();
        Sealed before = vault.seal("alice", "old@example.com");
        vault.forget("alice");

        Sealed after = vault.seal("alice", "new@example.com");

        assertThat(vault.reveal(before)).isEmpty();
        assertThat(vault.reveal(after)).contains("new@example.com");
    }

    @Test
    void rotation_wraps_every_key_again_and_the_old_wrapping_key_is_then_not_needed() {
        SubjectKeys keys = newKeys();
        KeyWrapper old = KeyWrapper.aesGcm("2025", new byte[32]);
        KeyWrapper next = KeyWrapper.aesGcm("2026", new byte[] {
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
            30, 31, 32
        });
        Vault before = Vault.builder(keys, old).build();
        List<Sealed> sealed = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            sealed.add(before.seal("subject-" + i, "value " + i));
        }
        before.forget("subject-0");

        Vault rotating = Vault.builder(keys, next).previous(old).build();
        assertThat(rotating.rewrap()).isEqualTo(249);
        assertThat(rotating.rewrap()).as("again").isZero();

        Vault after = Vault.builder(reopen(keys), next).build();
        assertThat(after.reveal(sealed.get(0))).isEmpty();
        for (int i = 1; i < 250; i++) {
            assertThat(after.reveal(sealed.get(i))).contains("value " + i);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void threads_sealing_the_first_values_of_one_subject_at_once_all_reveal() throws Exception {
        SubjectKeys keys = newKeys();
        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        Map<Integer, Sealed> sealed = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int n = t;
                done.add(pool.submit(() -> {
                    Vault own = Vault.builder(reopen(keys), WRAPPER).build(); // one process each
                    start.await();
                    sealed.put(n, own.seal("alice", "value " + n));
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        Vault reader =
                Vault.builder(reopen(keys), WRAPPER).cacheFor(Duration.ZERO).build();
        for (int t = 0; t < threads; t++) {
            assertThat(reader.reveal(sealed.get(t))).contains("value " + t);
        }
        reader.forget("alice");
        for (int t = 0; t < threads; t++) {
            assertThat(reader.reveal(sealed.get(t)))
                    .as("every key of the subject is forgotten")
                    .isEmpty();
        }
    }
}
