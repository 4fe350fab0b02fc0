package io.annals.eventstore.privacy;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The application's key that wraps (encrypts) the data keys before they are stored, so that the
 * database alone never holds what decrypts personal data. Implement it over a KMS (wrap and
 * unwrap are then calls to it) or use {@link #aesGcm(String, byte[])} with a key from the
 * environment or a secret manager.
 *
 * <p>Rotation: configure a vault with the new wrapper as current and the old one among its
 * previous wrappers, then call {@link Vault#rewrap()}: the data keys are wrapped again, the events
 * are not touched.
 */
public interface KeyWrapper {

    /**
     * The id stored beside every data key this wrapper wraps, so that the right wrapper is found
     * after a rotation: 1 to 64 characters among letters, digits, {@code . _ -}.
     */
    String keyId();

    /**
     * Encrypts a data key.
     *
     * @param dataKey the 32 bytes of a data key
     * @param context bytes that identify the key (its subject and ids): an authenticated
     *     encryption must bind the result to them, so that a wrapped key moved to another subject
     *     fails to unwrap
     * @return the wrapped key
     */
    byte[] wrap(byte[] dataKey, byte[] context);

    /**
     * Decrypts what {@link #wrap} returned for the same context.
     *
     * @return a new array holding the data key, which the vault overwrites with zeros once it
     *     has keyed its cipher with it
     *
     * @throws GeneralSecurityException if this is not the key that wrapped it, or the wrapped key
     *     or its context was altered
     */
    byte[] unwrap(byte[] wrapped, byte[] context) throws GeneralSecurityException;

    /**
     * A wrapper with a 256-bit (or 128/192-bit) AES key in AES-GCM, from the JDK alone.
     *
     * @param keyId the id stored with the keys it wraps (rules in {@link #keyId()})
     * @param key 16, 24 or 32 bytes; copied
     * @throws IllegalArgumentException on a bad id or key length
     */
    static KeyWrapper aesGcm(String keyId, byte[] key) {
        checkKeyId(keyId);
        Objects.requireNonNull(key, "key");
        if (key.length != 16 && key.length != 24 && key.length != 32) {
            throw new IllegalArgumentException(
                    "an AES wrapping key has 16, 24 or 32 bytes; this one has " + key.length);
        }
        byte[] copy = key.clone();
        SecureRandom random = new SecureRandom();
        return new KeyWrapper() {
            @Override
            public String keyId() {
                return keyId;
            }

            @Override
            public byte[] wrap(byte[] dataKey, byte[] context) {
                return Ciphertext.encrypt(copy, context, dataKey, random);
            }

            @Override
            public byte[] unwrap(byte[] wrapped, byte[] context) throws GeneralSecurityException {
                return Ciphertext.decrypt(copy, context, wrapped);
            }

            @Override
            public String toString() {
                return "KeyWrapper[aesGcm " + keyId + "]"; // never the key
            }
        };
    }

    /**
     * {@link #aesGcm(String, byte[])} with the key in Base64, as an environment variable or a
     * secret manager gives it: {@code KeyWrapper.aesGcm("2026-11", System.getenv("ANNALS_KEY"))}.
     *
     * @throws IllegalArgumentException if {@code base64Key} is missing, not Base64, or not 16, 24
     *     or 32 bytes long (the message never repeats it)
     */
    static KeyWrapper aesGcm(String keyId, String base64Key) {
        if (base64Key == null || base64Key.isBlank()) {
            throw new IllegalArgumentException("no wrapping key given for key id " + keyId);
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64Key.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the wrapping key for key id " + keyId + " is not Base64");
        }
        return aesGcm(keyId, key);
    }

    private static void checkKeyId(String keyId) {
        Objects.requireNonNull(keyId, "keyId");
        if (!Pattern.matches("[A-Za-z0-9._-]{1,64}", keyId)) {
            throw new IllegalArgumentException(
                    "a wrapping key id has 1 to 64 letters, digits, '.', '_' or '-'; was '" + keyId + "'");
        }
    }
}
