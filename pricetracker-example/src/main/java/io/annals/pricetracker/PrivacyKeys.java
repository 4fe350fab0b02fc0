package io.annals.pricetracker;

import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.privacy.KeyWrapper;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
 * @param wrapper the wrapping key
 * @param subjectSecret the secret of the subjects' keyed hash
 */
public record PrivacyKeys(KeyWrapper wrapper, byte[] subjectSecret) {

    private static final Logger LOG = LoggerFactory.getLogger(PrivacyKeys.class);

    /** The environment variable of the wrapping key. */
    public static final String KEY = "ANNALS_KEY";

    /** The environment variable of the wrapping key's id. */
    public static final String KEY_ID = "ANNALS_KEY_ID";

    /** The environment variable of the subject secret. */
    public static final String SUBJECT_SECRET = "ANNALS_SUBJECT_SECRET";

    /**
     * @throws IllegalArgumentException if the subject secret has fewer than 16 bytes
     */
    public PrivacyKeys {
        Objects.requireNonNull(wrapper, "wrapper");
        Objects.requireNonNull(subjectSecret, "subjectSecret");
        if (subjectSecret.length < 16) {
            throw new IllegalArgumentException(
                    "the subject secret needs at least 16 bytes, has " + subjectSecret.length);
        }
        subjectSecret = subjectSecret.clone();
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
        return Optional.of(new PrivacyKeys(wrapper, secretBytes));
    }

    /**
     * The keys from the environment of this process, or else the development keys of the
     * database behind {@code dataSource} (logged as a warning).
     */
    public static PrivacyKeys resolve(DataSource dataSource) {
        Optional<PrivacyKeys> configured = fromEnvironment(System.getenv());
        if (configured.isPresent()) {
            refuseDevelopmentDatabase(dataSource);
            return configured.get();
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
        long keys;
        try (Connection c = dataSource.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM pricetracker_dev_keys")) {
            rs.next();
            keys = rs.getLong(1);
        } catch (SQLException e) {
            return; // no such table: never run with development keys
        }
        if (keys > 0) {
            throw new IllegalStateException("this database was run with development keys (table"
                    + " pricetracker_dev_keys), which the keys of " + KEY + " and " + SUBJECT_SECRET
                    + " cannot replace: the sealed email addresses in it could never be read again. Start"
                    + " without those variables to keep using it, or start from a new database");
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
