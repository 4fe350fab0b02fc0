package io.annals.eventstore.privacy;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-GCM as the vault uses it: a fresh 96-bit nonce per encryption, a 128-bit tag, and
 * associated data that binds a ciphertext to where it belongs (a value to its subject and data
 * key, a wrapped key to its subject and wrapping key), so that moving one elsewhere makes it fail
 * to decrypt instead of decrypting as something else.
 */
final class Ciphertext {

    /** How a sealed value looks, for error messages. */
    static final String FORMAT = "v1.<data key id>.<base64url nonce, ciphertext and tag>";

    private static final Pattern DATA_KEY_ID = Pattern.compile("[0-9a-f]{16}");
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    /** A cipher per thread: {@code Cipher.getInstance} costs more than decrypting a short value. */
    private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            // AES-GCM is required of every Java platform.
            throw new IllegalStateException("AES/GCM/NoPadding is not available: " + e.getMessage(), e);
        }
    });

    private Ciphertext() {}

    /**
     * Whether a string is in {@link #FORMAT}: {@code v1.}, 16 lower-case hex digits, {@code .},
     * then at least 38 characters of Base64url (a nonce and a tag). By hand rather than by a
     * regular expression: this runs for every sealed value decoded.
     */
    static boolean looksValid(String sealed) {
        int n = sealed.length();
        if (n < 20 + 38 || !sealed.startsWith("v1.") || sealed.charAt(19) != '.') {
            return false;
        }
        for (int i = 3; i < 19; i++) {
            char c = sealed.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        for (int i = 20; i < n; i++) {
            char c = sealed.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    static boolean isDataKeyId(String id) {
        return DATA_KEY_ID.matcher(id).matches();
    }

    /** The id of the data key that sealed a value ({@link #looksValid} checked). */
    static String dataKeyId(String sealed) {
        return sealed.substring(3, 19);
    }

    static String seal(byte[] key, String dataKeyId, String subject, String plaintext, SecureRandom random) {
        byte[] out = encrypt(key, valueContext(subject, dataKeyId), plaintext.getBytes(StandardCharsets.UTF_8), random);
        return "v1." + dataKeyId + "." + B64.encodeToString(out);
    }

    /** @throws AEADBadTagException if the value was altered or another key sealed it */
    static String open(byte[] key, String subject, String sealed) throws GeneralSecurityException {
        byte[] in = B64D.decode(sealed.substring(20));
        return new String(decrypt(key, valueContext(subject, dataKeyId(sealed)), in), StandardCharsets.UTF_8);
    }

    static byte[] encrypt(byte[] key, byte[] context, byte[] plaintext, SecureRandom random) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = GCM.get();
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(context);
            byte[] ct = cipher.doFinal(plaintext);
            byte[] out = new byte[NONCE_BYTES + ct.length];
            System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
            System.arraycopy(ct, 0, out, NONCE_BYTES, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            // AES-GCM is required of every Java platform: this is a broken JDK or a bad key size.
            throw new IllegalStateException("AES-GCM encryption failed: " + e.getMessage(), e);
        }
    }

    static byte[] decrypt(byte[] key, byte[] context, byte[] in) throws GeneralSecurityException {
        if (in.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new AEADBadTagException("too short to hold a nonce and a tag");
        }
        Cipher cipher = GCM.get();
        cipher.init(
                Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
        cipher.updateAAD(context);
        return cipher.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES);
    }

    private static byte[] valueContext(String subject, String dataKeyId) {
        return ("annals sealed value v1\0" + subject + "\0" + dataKeyId).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] keyContext(String subject, String dataKeyId, String wrappingKeyId) {
        return ("annals data key v1\0" + subject + "\0" + dataKeyId + "\0" + wrappingKeyId)
                .getBytes(StandardCharsets.UTF_8);
    }
}
