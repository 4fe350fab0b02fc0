package io.annals.eventstore.privacy;

import io.annals.eventstore.internal.Text;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Seals personal data per data subject and forgets a subject by deleting its keys
 * (crypto-shredding).
 *
 * <pre>{@code
 * Vault vault = Vault.builder(store.subjectKeys(), KeyWrapper.aesGcm("2026-11", System.getenv("ANNALS_KEY")))
 *         .subjectSecret(Base64.getDecoder().decode(System.getenv("ANNALS_SUBJECT_SECRET")))
 *         .build();
 * String subject = vault.subjectFor("ann@example.com");    // a keyed hash: not the address itself
 * Sealed email = vault.seal(subject, "ann@example.com");    // what the event holds
 * vault.reveal(email);                                     // Optional[ann@example.com]
 * vault.forget(subject);                                   // the key is gone
 * vault.reveal(email);                                     // Optional.empty(): forgotten
 * }</pre>
 *
 * <p>Each value is encrypted with AES-GCM under its subject's data key (256 bits, made on the
 * subject's first seal) and a fresh nonce; the ciphertext is bound to its subject, so a value
 * copied under another subject fails instead of decrypting. A value comes back exactly as it was
 * sealed, or as forgotten (an empty {@code Optional}, or the placeholder given to
 * {@link #revealOr}), or {@link PersonalDataException} is thrown: a key that was never stored,
 * a wrapping key that is missing or wrong, and an altered value or key record are errors, never
 * "forgotten" and never wrong data.
 *
 * <p>Unwrapped data keys are cached in memory for {@link Builder#cacheFor} (5 seconds by default),
 * each with an AES-GCM cipher already keyed with it, so that decoding many events costs one
 * AES-GCM decryption per value, not a database query and not a key schedule. {@link #forget}
 * clears the caches of every vault of this process before it returns, so no thread of this
 * process reveals the subject afterwards; a vault in another process may still reveal the
 * subject's values until its cache entry expires (at most {@code cacheFor} after it was read;
 * {@code cacheFor(Duration.ZERO)} asks the key store at every reveal). Sealing asks the key store for the
 * subject's live key every time (one query by primary key; the unwrapped key comes from the
 * cache), so that a value sealed after a forget returned, in any process, is never sealed with a
 * key the forget deleted. Thread-safe.
 */
public final class Vault {

    /** What {@link #revealOr(Sealed)} returns for a value of a forgotten subject. */
    public static final String FORGOTTEN = "(forgotten)";

    private static final int MAX_SUBJECT_LENGTH = 200;
    private static final int CACHED_SUBJECTS = 10_000;
    private static final Cached[] NONE = {};

    /**
     * Every vault of this process, so that a forget through one clears the caches of all (two
     * stores opened on one database, each with its vault). Weak: a vault that is no longer used
     * is not kept for this.
     */
    private static final Set<Vault> VAULTS = Collections.newSetFromMap(new WeakHashMap<>());

    private final SubjectKeys keys;
    private final KeyWrapper current;
    private final Map<String, KeyWrapper> wrappers;
    private final byte @Nullable [] subjectSecret;
    private final Duration cacheFor;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    /**
     * The data keys read from the key store, by subject (a subject has one key, rarely a few),
     * the least recently used subject dropped first.
     */
    private final Map<String, Cached[]> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached[]> eldest) {
            return size() > CACHED_SUBJECTS;
        }
    };

    /** How many forgets ran in this process since this vault was made (guarded by {@code cache}). */
    private long forgets;

    /**
     * A data key (null once forgotten: a forgotten key never comes back, so that is kept however
     * old) and until when it may be used without asking the key store again.
     */
    private record Cached(String dataKeyId, Ciphertext.@Nullable DataKey key, Instant until) {

        boolean usableAt(Instant now) {
            return key == null || now.isBefore(until);
        }
    }

    private Vault(Builder b) {
        this.keys = b.keys;
        this.current = b.current;
        this.wrappers = b.wrappers;
        this.subjectSecret = b.subjectSecret;
        this.cacheFor = b.cacheFor;
        this.clock = b.clock;
    }

    /**
     * @param keys where the data keys are kept, usually {@code JdbcEventStore.subjectKeys()}
     * @param current the wrapping key new data keys are wrapped with
     */
    public static Builder builder(SubjectKeys keys, KeyWrapper current) {
        return new Builder(keys, current);
    }

    /**
     * Encrypts one value of a subject with the subject's data key, making the key on the
     * subject's first value (or after it was forgotten: a subject forgotten once and seen again
     * starts afresh, its old values stay forgotten).
     *
     * @param subject 1 to 200 characters, no control characters; stored in clear, so not personal
     *     data itself (see {@link #subjectFor})
     * @param value the personal data; any string that UTF-8 can hold
     * @throws IllegalArgumentException on a bad subject, or a value holding an unpaired surrogate
     *     (the message names its index, never the value)
     */
    public Sealed seal(String subject, String value) {
        checkSubject(subject);
        Objects.requireNonNull(value, "value");
        int bad = unpairedSurrogate(value);
        if (bad >= 0) {
            // UTF-8 cannot hold it: the value would come back with '?' in its place
            throw new IllegalArgumentException(
                    "a value of subject " + subject + " holds an unpaired surrogate at index " + bad);
        }
        return new Sealed(subject, liveKey(subject).seal(value, random));
    }

    /**
     * The value as it was sealed, or empty if its subject was forgotten.
     *
     * @throws PersonalDataException if its data key was never stored here, its wrapping key is
     *     not configured or is wrong, or the value or the key record was altered
     */
    public Optional<String> reveal(Sealed sealed) {
        Objects.requireNonNull(sealed, "sealed");
        String subject = sealed.subject();
        String ciphertext = sealed.ciphertext();
        Ciphertext.DataKey key = dataKey(subject, ciphertext);
        if (key == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(key.open(ciphertext));
        } catch (AEADBadTagException e) {
            String dataKeyId = key.dataKeyId();
            throw new PersonalDataException("the sealed value of subject " + subject + " (data key " + dataKeyId
                    + ") fails authentication: it was altered, or it belongs to another subject");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new PersonalDataException(
                    "cannot open the sealed value of subject " + subject + " (data key " + key.dataKeyId() + ")", e);
        }
    }

    /** {@link #reveal}, with {@code whenForgotten} in place of a forgotten value. */
    public String revealOr(Sealed sealed, String whenForgotten) {
        Objects.requireNonNull(whenForgotten, "whenForgotten");
        return reveal(sealed).orElse(whenForgotten);
    }

    /** {@link #reveal}, with {@link #FORGOTTEN} in place of a forgotten value. */
    public String revealOr(Sealed sealed) {
        return revealOr(sealed, FORGOTTEN);
    }

    /**
     * Forgets a subject: deletes its data keys, so that every value sealed for it, in events,
     * snapshots, read-model rows and backups alike, reveals as forgotten from now on: through
     * every vault of this process once this returns, in other processes once their cache entry
     * expires (see {@link Builder#cacheFor}). Values sealed after this call use a new key.
     *
     * @return whether the subject had any key (false: nothing was ever sealed for it)
     */
    public boolean forget(String subject) {
        checkSubject(subject);
        int n = keys.forget(subject);
        List<Vault> all;
        synchronized (VAULTS) {
            all = new ArrayList<>(VAULTS);
        }
        for (Vault v : all) {
            v.dropCached(subject);
        }
        return n > 0;
    }

    /** Drops what this vault cached of a subject that was just forgotten (in any vault). */
    private void dropCached(String subject) {
        synchronized (cache) {
            forgets++;
            cache.remove(subject);
        }
    }

    /**
     * Wraps again with the current wrapping key every data key that a previous one wrapped (the
     * second step of a rotation; the events are not touched). Safe to run while the application
     * works, and to run again.
     *
     * @return how many keys were wrapped again
     * @throws PersonalDataException if a key is wrapped by a wrapping key this vault is not
     *     configured with, or fails to unwrap
     */
    public int rewrap() {
        int done = 0;
        while (true) {
            List<SubjectKey> batch = keys.wrappedByOtherThan(current.keyId(), 100);
            if (batch.isEmpty()) {
                return done;
            }
            int before = done;
            for (SubjectKey k : batch) {
                byte[] key = unwrap(k);
                byte[] rewrapped;
                try {
                    rewrapped = current.wrap(key, Ciphertext.keyContext(k.subject(), k.dataKeyId(), current.keyId()));
                } finally {
                    Arrays.fill(key, (byte) 0);
                }
                if (keys.rewrap(k, current.keyId(), rewrapped)) {
                    done++;
                }
            }
            if (done == before) {
                return done; // everything left changed under us (forgotten): nothing to do
            }
        }
    }

    /**
     * A subject id for a natural key that is itself personal data (an email address, a phone
     * number): an HMAC-SHA-256 of it under the {@linkplain Builder#subjectSecret subject secret},
     * so the same key always gives the same subject, while the subject reveals nothing without
     * the secret. Normalise the natural key first (an email address in lower case, say).
     *
     * @throws IllegalStateException if the vault has no subject secret
     */
    public String subjectFor(String naturalKey) {
        Objects.requireNonNull(naturalKey, "naturalKey");
        if (subjectSecret == null) {
            throw new IllegalStateException("subjectFor needs a subject secret: Vault.builder(...).subjectSecret(...)");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(subjectSecret, "HmacSHA256"));
            byte[] h = mac.doFinal(("annals subject v1\0" + naturalKey).getBytes(StandardCharsets.UTF_8));
            return "s1." + Base64.getUrlEncoder().withoutPadding().encodeToString(h);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA-256 is not available: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "Vault[current wrapping key " + current.keyId() + ", " + wrappers.size() + " wrapping key(s)]";
    }

    // ---- keys ----------------------------------------------------------------------------

    /**
     * The key to seal with. Asked of the key store on every seal (the unwrapped key is cached):
     * a live key cached here could have been forgotten by another process, and a value sealed
     * with it after that would be lost.
     */
    private Ciphertext.DataKey liveKey(String subject) {
        Instant now = clock.instant();
        long seen = forgetsSoFar();
        Optional<SubjectKey> stored = keys.live(subject);
        if (stored.isPresent()) {
            String dataKeyId = stored.get().dataKeyId();
            synchronized (cache) {
                for (Cached c : cache.getOrDefault(subject, NONE)) {
                    if (c.dataKeyId().equals(dataKeyId) && c.key() != null && now.isBefore(c.until())) {
                        return c.key();
                    }
                }
            }
            Ciphertext.DataKey key = dataKey(stored.get());
            remember(subject, new Cached(dataKeyId, key, now.plus(cacheFor)), seen);
            return key;
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        byte[] id = new byte[8];
        random.nextBytes(id);
        String dataKeyId = HexFormat.of().formatHex(id);
        byte[] wrapped = current.wrap(bytes, Ciphertext.keyContext(subject, dataKeyId, current.keyId()));
        keys.insert(new SubjectKey(subject, dataKeyId, current.keyId(), wrapped, now));
        Ciphertext.DataKey key = new Ciphertext.DataKey(subject, dataKeyId, bytes);
        Arrays.fill(bytes, (byte) 0);
        remember(subject, new Cached(dataKeyId, key, now.plus(cacheFor)), seen);
        return key;
    }

    private long forgetsSoFar() {
        synchronized (cache) {
            return forgets;
        }
    }

    /**
     * Caches what was read from the key store, unless a forget ran in this process since: what
     * was read before it may be a key it deleted, and {@link #forget} clears the caches only of
     * what is already there.
     */
    private void remember(String subject, Cached c, long forgetsBeforeReading) {
        if (c.key() != null && cacheFor.isZero()) {
            return;
        }
        synchronized (cache) {
            if (forgets != forgetsBeforeReading) {
                return;
            }
            Cached[] of = cache.get(subject);
            if (of == null) {
                cache.put(subject, new Cached[] {c});
                return;
            }
            for (int i = 0; i < of.length; i++) {
                if (of[i].dataKeyId().equals(c.dataKeyId())) {
                    of[i] = c;
                    return;
                }
            }
            Cached[] more = Arrays.copyOf(of, of.length + 1);
            more[of.length] = c;
            cache.put(subject, more);
        }
    }

    /**
     * The key that sealed {@code ciphertext} (in the format {@link Sealed} checked), or null if
     * the subject was forgotten. From the cache when it holds it: the fast path of every decoded
     * value, which allocates nothing.
     */
    private Ciphertext.@Nullable DataKey dataKey(String subject, String ciphertext) {
        Instant now = clock.instant();
        synchronized (cache) {
            Cached[] of = cache.get(subject);
            if (of != null) {
                for (Cached c : of) {
                    if (ciphertext.regionMatches(3, c.dataKeyId(), 0, 16) && c.usableAt(now)) {
                        return c.key();
                    }
                }
            }
        }
        String dataKeyId = Ciphertext.dataKeyId(ciphertext);
        long seen = forgetsSoFar();
        SubjectKey stored = keys.find(subject, dataKeyId)
                .orElseThrow(() -> new PersonalDataException("no data key " + dataKeyId + " of subject " + subject
                        + " is stored: the value was sealed with a key these subject keys do not have"
                        + " (another database, or keys lost)"));
        Ciphertext.DataKey key = stored.forgotten() ? null : dataKey(stored);
        remember(subject, new Cached(dataKeyId, key, now.plus(cacheFor)), seen);
        return key;
    }

    /** A stored key unwrapped, its bytes kept in the cipher's key alone. */
    private Ciphertext.DataKey dataKey(SubjectKey k) {
        byte[] bytes = unwrap(k);
        try {
            return new Ciphertext.DataKey(k.subject(), k.dataKeyId(), bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    private byte[] unwrap(SubjectKey k) {
        KeyWrapper w = wrappers.get(k.wrappingKeyId());
        if (w == null) {
            throw new PersonalDataException("data key " + k.dataKeyId() + " of subject " + k.subject()
                    + " is wrapped by wrapping key '" + k.wrappingKeyId() + "', which this vault is not configured"
                    + " with (it has " + wrappers.keySet() + ")");
        }
        byte[] wrapped = Objects.requireNonNull(k.wrapped());
        try {
            byte[] key = w.unwrap(wrapped, Ciphertext.keyContext(k.subject(), k.dataKeyId(), k.wrappingKeyId()));
            if (key.length != 32) {
                throw new GeneralSecurityException("an unwrapped data key has " + key.length + " bytes, not 32");
            }
            return key;
        } catch (GeneralSecurityException e) {
            throw new PersonalDataException(
                    "cannot unwrap data key " + k.dataKeyId() + " of subject " + k.subject() + " with wrapping key '"
                            + k.wrappingKeyId() + "': it is not the key that wrapped it, or the key record was altered",
                    e);
        }
    }

    /** The index of the first unpaired surrogate of {@code s} (NUL characters are fine), or -1. */
    private static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    static void checkSubject(String subject) {
        Objects.requireNonNull(subject, "subject");
        if (subject.isEmpty() || subject.length() > MAX_SUBJECT_LENGTH) {
            throw new IllegalArgumentException(
                    "a subject id has 1 to " + MAX_SUBJECT_LENGTH + " characters; this one has " + subject.length());
        }
        for (int i = 0; i < subject.length(); i++) {
            if (Character.isISOControl(subject.charAt(i))) {
                throw new IllegalArgumentException("a subject id holds a control character at index " + i);
            }
        }
        Text.badCharacter(subject).ifPresent(bad -> {
            throw new IllegalArgumentException("a subject id holds " + bad);
        });
    }

    /** How a {@link Vault} is configured. */
    public static final class Builder {

        private final SubjectKeys keys;
        private final KeyWrapper current;
        private final Map<String, KeyWrapper> wrappers = new LinkedHashMap<>();
        private byte @Nullable [] subjectSecret;
        private Duration cacheFor = Duration.ofSeconds(5);
        private Clock clock = Clock.systemUTC();

        private Builder(SubjectKeys keys, KeyWrapper current) {
            this.keys = Objects.requireNonNull(keys, "keys");
            this.current = Objects.requireNonNull(current, "current");
            wrappers.put(current.keyId(), current);
        }

        /**
         * Wrapping keys used before the current one, to unwrap the data keys they wrapped until
         * {@link Vault#rewrap()} has wrapped them again.
         *
         * @throws IllegalArgumentException if two wrappers have the same key id
         */
        public Builder previous(KeyWrapper... previous) {
            List<KeyWrapper> list = new ArrayList<>(List.of(previous));
            for (KeyWrapper w : list) {
                if (wrappers.putIfAbsent(w.keyId(), w) != null) {
                    throw new IllegalArgumentException("two wrapping keys have the id '" + w.keyId() + "'");
                }
            }
            return this;
        }

        /**
         * The secret of {@link Vault#subjectFor}: at least 16 bytes, kept like the wrapping key
         * (whoever has it can tell which subject a natural key is). Changing it changes every
         * subject id: it is not rotated.
         */
        public Builder subjectSecret(byte[] secret) {
            Objects.requireNonNull(secret, "secret");
            if (secret.length < 16) {
                throw new IllegalArgumentException(
                        "a subject secret has at least 16 bytes; this one has " + secret.length);
            }
            this.subjectSecret = secret.clone();
            return this;
        }

        /**
         * How long an unwrapped data key is used without asking the key store again (5 seconds by
         * default; {@link Duration#ZERO} asks every time). Bounds how long a vault in another
         * process may still reveal a subject that was just forgotten.
         */
        public Builder cacheFor(Duration d) {
            Objects.requireNonNull(d, "cacheFor");
            if (d.isNegative()) {
                throw new IllegalArgumentException("cacheFor must not be negative, was " + d);
            }
            this.cacheFor = d;
            return this;
        }

        /** The clock of the cache and of the keys' creation times. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The vault. */
        public Vault build() {
            Vault v = new Vault(this);
            synchronized (VAULTS) {
                VAULTS.add(v);
            }
            return v;
        }
    }
}
