package io.annals.pricetracker;

import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.privacy.KeyWrapper;
import io.annals.eventstore.privacy.SubjectKey;
import io.annals.eventstore.privacy.SubjectKeys;
import io.annals.eventstore.privacy.Vault;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two secrets of the price alerts' crypto-shredding: the key that wraps every person's data
 * key, and the secret of the keyed hash that turns an email address into a subject.
 *
 * <p>In production both come from the environment ({@link #fromEnvironment}):
 * <ul>
 *   <li>{@code ANNALS_KEY}: 32 random bytes in Base64 ({@code openssl rand -base64 32}), the
 *       wrapping key; {@code ANNALS_KEY_ID} names it (default {@code k1}), and must change when
 *       the key does;</li>
 *   <li>{@code ANNALS_SUBJECT_SECRET}: 32 random bytes in Base64, never changed (subjects are
 *       derived from it).</li>
 * </ul>
 * Without them the tracker makes {@link #development development keys} and keeps them in its own
 * database, so that the example runs with nothing to set up. Forgetting a person still works
 * (their data key is deleted), but a copy of the database made before (a backup) holds both the
 * wrapped keys and the key that unwraps them: never run with development keys in production. A
 * database run with development keys stays with them: opening it with keys from the environment
 * is refused, since they would open none of its sealed values.
 *
 * <p>The database records a fingerprint of the subject secret (an HMAC of a fixed text under it,
 * which reveals nothing about it) the first time, and the tracker refuses to start with another
 * one: subjects derive from the secret, so with another one nobody could be found, and so
 * forgotten, again. Every data key must be wrapped by a key the tracker has: to rotate the
 * wrapping key, set the new one as {@code ANNALS_KEY} (with a new {@code ANNALS_KEY_ID}) and the
 * old one as {@code ANNALS_PREVIOUS_KEY} (with {@code ANNALS_PREVIOUS_KEY_ID}) for one start,
 * which wraps every data key again under the new one.
 *
 * @param wrapper the wrapping key
 * @param subjectSecret the secret of the subjects' keyed hash
 * @param previous earlier wrapping keys, whose data keys are wrapped again at start
 */
public record PrivacyKeys(KeyWrapper wrapper, byte[] subjectSecret, List<KeyWrapper> previous) {

    private static final Logger LOG = LoggerFactory.getLogger(PrivacyKeys.class);

    /** The environment variable of the wrapping key. */
    public static final String KEY = "ANNALS_KEY";

    /** The environment variable of the wrapping key's id. */
    public static final String KEY_ID = "ANNALS_KEY_ID";

    /** The environment variable of the previous wrapping key, during a rotation. */
    public static final String PREVIOUS_KEY = "ANNALS_PREVIOUS_KEY";

    /** The environment variable of the previous wrapping key's id. */
    public static final String PREVIOUS_KEY_ID = "ANNALS_PREVIOUS_KEY_ID";

    /** The environment variable of the subject secret. */
    public static final String SUBJECT_SECRET = "ANNALS_SUBJECT_SECRET";

    /**
     * @throws IllegalArgumentException if the subject secret has fewer than 16 bytes
     */
    public PrivacyKeys {
        Objects.requireNonNull(wrapper, "wrapper");
        Objects.requireNonNull(subjectSecret, "subjectSecret");
        previous = List.copyOf(previous);
        if (subjectSecret.length < 16) {
            throw new IllegalArgumentException(
                    "the subject secret needs at least 16 bytes, has " + subjectSecret.length);
        }
        subjectSecret = subjectSecret.clone();
    }

    /** Keys without a previous wrapping key. */
    public PrivacyKeys(KeyWrapper wrapper, byte[] subjectSecret) {
        this(wrapper, subjectSecret, List.of());
    }

    /** A copy of the subject secret. */
    @Override
    public byte[] subjectSecret() {
        return subjectSecret.clone();
    }

    /**
     * The keys from {@code env} ({@link #KEY}, {@link #KEY_ID}, {@link #SUBJECT_SECRET}), if
     * {@link #KEY} is set.
     *
     * @throws IllegalArgumentException if {@link #KEY} is set and the others are missing or a
     *     value is not what it should be (the message names the variable, never its value)
     */
    public static Optional<PrivacyKeys> fromEnvironment(Map<String, String> env) {
        String key = env.get(KEY);
        if (key == null || key.isBlank()) {
            for (String other : List.of(SUBJECT_SECRET, KEY_ID, PREVIOUS_KEY, PREVIOUS_KEY_ID)) {
                String value = env.get(other);
                if (value != null && !value.isBlank()) {
                    throw new IllegalArgumentException(other + " is set, " + KEY + " is not: set it too");
                }
            }
            return Optional.empty();
        }
        String secret = env.get(SUBJECT_SECRET);
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException(KEY + " is set, " + SUBJECT_SECRET + " is not: set both");
        }
        byte[] secretBytes;
        try {
            secretBytes = Base64.getDecoder().decode(secret.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(SUBJECT_SECRET + " is not Base64");
        }
        KeyWrapper wrapper;
        try {
            wrapper = KeyWrapper.aesGcm(env.getOrDefault(KEY_ID, "k1"), key.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(KEY + " or " + KEY_ID + " is not usable: " + e.getMessage());
        }
        List<KeyWrapper> previous = List.of();
        String previousKey = env.get(PREVIOUS_KEY);
        if (previousKey != null && !previousKey.isBlank()) {
            String previousId = env.get(PREVIOUS_KEY_ID);
            if (previousId == null || previousId.isBlank()) {
                throw new IllegalArgumentException(PREVIOUS_KEY + " is set, " + PREVIOUS_KEY_ID + " is not: set both");
            }
            try {
                previous = List.of(KeyWrapper.aesGcm(previousId.strip(), previousKey.strip()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        PREVIOUS_KEY + " or " + PREVIOUS_KEY_ID + " is not usable: " + e.getMessage());
            }
            if (previous.get(0).keyId().equals(wrapper.keyId())) {
                throw new IllegalArgumentException(PREVIOUS_KEY_ID + " and " + KEY_ID + " are both " + wrapper.keyId()
                        + ": a new key needs a new id");
            }
        }
        return Optional.of(new PrivacyKeys(wrapper, secretBytes, previous));
    }

    /**
     * The keys from the environment of this process, or else the development keys of the
     * database behind {@code dataSource} (logged as a warning).
     */
    public static PrivacyKeys resolve(DataSource dataSource) {
        return resolve(System.getenv(), dataSource);
    }

    static PrivacyKeys resolve(Map<String, String> env, DataSource dataSource) {
        Optional<PrivacyKeys> configured = fromEnvironment(env);
        if (configured.isPresent()) {
            refuseDevelopmentDatabase(dataSource);
            return configured.get();
        }
        if (recordedFingerprint(dataSource).isPresent() && !hasDevelopmentKeys(dataSource)) {
            throw new IllegalStateException("this database was run with keys from the environment: set " + KEY
                    + " and " + SUBJECT_SECRET + " to them (development keys would open none of its sealed"
                    + " addresses)");
        }
        LOG.warn(
                "{} is not set: the price alerts use development keys kept in the database itself;"
                        + " set {} and {} in production",
                KEY,
                KEY,
                SUBJECT_SECRET);
        return development(dataSource);
    }

    /**
     * Development keys, made once and kept in table {@code pricetracker_dev_keys} of the database
     * behind {@code dataSource}, so that every process on that database uses the same ones.
     */
    public static PrivacyKeys development(DataSource dataSource) {
        for (int attempt = 1; ; attempt++) {
            try {
                return makeOrRead(dataSource);
            } catch (EventStoreException e) {
                // two processes creating the table at once on PostgreSQL: one fails, then reads
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private static PrivacyKeys makeOrRead(DataSource dataSource) {
        try (Connection c = dataSource.getConnection()) {
            try (Statement st = c.createStatement()) {
                st.execute(
                        "CREATE TABLE IF NOT EXISTS pricetracker_dev_keys (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
            }
            byte[] key = devKey(c, "wrapping-key");
            byte[] secret = devKey(c, "subject-secret");
            return new PrivacyKeys(KeyWrapper.aesGcm("dev", key), secret);
        } catch (SQLException e) {
            throw new EventStoreException("cannot read or make the development keys: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a database that was run with development keys: its data keys are wrapped by the
     * development key, and its subjects derive from the development secret, so the keys of the
     * environment would open none of its sealed values (every read of one would fail).
     */
    static void refuseDevelopmentDatabase(DataSource dataSource) {
        if (hasDevelopmentKeys(dataSource)) {
            throw new IllegalStateException("this database was run with development keys (table"
                    + " pricetracker_dev_keys), which the keys of " + KEY + " and " + SUBJECT_SECRET
                    + " cannot replace: the sealed email addresses in it could never be read again. Start"
                    + " without those variables to keep using it, or start from a new database");
        }
    }

    private static boolean hasDevelopmentKeys(DataSource dataSource) {
        try (Connection c = dataSource.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM pricetracker_dev_keys")) {
            rs.next();
            return rs.getLong(1) > 0;
        } catch (SQLException e) {
            return false; // no such table: never run with development keys
        }
    }

    private static Optional<String> recordedFingerprint(DataSource dataSource) {
        try (Connection c = dataSource.getConnection();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT value FROM pricetracker_key_check WHERE name = 'subject-secret'")) {
            return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        } catch (SQLException e) {
            return Optional.empty(); // no such table: no keys used yet
        }
    }

    /**
     * Checks these keys against the database: records the subject secret's fingerprint the first
     * time, and refuses another secret after that; wraps again under {@link #wrapper()} every data
     * key wrapped by a {@link #previous()} key; then refuses if a data key is still wrapped by a key
     * these keys do not hold.
     *
     * @throws IllegalStateException naming what does not match (never a secret)
     */
    void check(DataSource dataSource, SubjectKeys keys, Vault vault) {
        String fingerprint = fingerprint();
        try (Connection c = dataSource.getConnection()) {
            try (Statement st = c.createStatement()) {
                st.execute(
                        "CREATE TABLE IF NOT EXISTS pricetracker_key_check (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
            }
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO pricetracker_key_check (name, value)"
                    + " VALUES ('subject-secret', ?) ON CONFLICT (name) DO NOTHING")) {
                insert.setString(1, fingerprint);
                insert.executeUpdate();
            }
        } catch (SQLException e) {
            throw new EventStoreException("cannot record the keys' fingerprint: " + e.getMessage(), e);
        }
        if (!recordedFingerprint(dataSource).orElse(fingerprint).equals(fingerprint)) {
            throw new IllegalStateException("this database was run with another subject secret (" + SUBJECT_SECRET
                    + ", or the development keys): every person's subject derives from it, so with this one"
                    + " nobody could be found or forgotten. Start with the secret it was run with");
        }
        if (!previous.isEmpty()) {
            int rewrapped = vault.rewrap();
            LOG.info("wrapped {} data keys again under wrapping key {}", rewrapped, wrapper.keyId());
        }
        List<SubjectKey> stranded = keys.wrappedByOtherThan(wrapper.keyId(), 1);
        if (!stranded.isEmpty()) {
            throw new IllegalStateException("data keys of this database are wrapped by wrapping key '"
                    + stranded.get(0).wrappingKeyId() + "', which is not configured (" + KEY_ID + " is "
                    + wrapper.keyId() + "): set " + PREVIOUS_KEY + " and " + PREVIOUS_KEY_ID
                    + " to it for one start, to wrap them again under the new key");
        }
    }

    /** An HMAC of a fixed text under the subject secret: the same secret, the same fingerprint. */
    private String fingerprint() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(subjectSecret, "HmacSHA256"));
            return Base64.getEncoder()
                    .encodeToString(
                            mac.doFinal("pricetracker subject secret check v1".getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 is not available: " + e.getMessage(), e);
        }
    }

    /** The key of that name, made if there is none: the first process to make it wins. */
    private static byte[] devKey(Connection c, String name) throws SQLException {
        byte[] fresh = new byte[32];
        new SecureRandom().nextBytes(fresh);
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO pricetracker_dev_keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")) {
            insert.setString(1, name);
            insert.setString(2, Base64.getEncoder().encodeToString(fresh));
            insert.executeUpdate();
        }
        try (PreparedStatement select = c.prepareStatement("SELECT value FROM pricetracker_dev_keys WHERE name = ?")) {
            select.setString(1, name);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("development key " + name + " vanished");
                }
                return Base64.getDecoder().decode(rs.getString(1));
            }
        }
    }

    /** Names the wrapping key, never a secret. */
    @Override
    public String toString() {
        return "PrivacyKeys[wrapper=" + wrapper.keyId() + "]";
    }
}
