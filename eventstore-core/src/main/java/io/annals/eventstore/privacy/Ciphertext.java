package io.annals.eventstore.privacy;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

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

    /** What each ASCII character may be in a sealed value. */
    private static final byte[] CHARS = new byte[128];

    private static final byte OTHER = 0;
    private static final byte BASE64URL = 1;
    private static final byte HEX = 2; // lower-case hex digits are Base64url too

    static {
        for (char c = 'A'; c <= 'Z'; c++) {
            CHARS[c] = BASE64URL;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            CHARS[c] = c <= 'f' ? HEX : BASE64URL;
        }
        for (char c = '0'; c <= '9'; c++) {
            CHARS[c] = HEX;
        }
        CHARS['-'] = BASE64URL;
        CHARS['_'] = BASE64URL;
    }

    /** A cipher per thread: {@code Cipher.getInstance} costs more than decrypting a short value. */
    private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(Ciphertext::newCipher);

    private Ciphertext() {}

    /**
     * Whether a string is in {@link #FORMAT}: {@code v1.}, 16 lower-case hex digits, {@code .},
     * then at least 38 characters of Base64url (a nonce and a tag). By hand and by table rather
     * than by a regular expression or a chain of ranges: this runs for every sealed value decoded.
     */
    static boolean looksValid(String sealed) {
        int n = sealed.length();
        if (n < 20 + 38 || !sealed.startsWith("v1.") || sealed.charAt(19) != '.') {
            return false;
        }
        for (int i = 3; i < 19; i++) {
            char c = sealed.charAt(i);
            if (c >= 128 || CHARS[c] != HEX) {
                return false;
            }
        }
        for (int i = 20; i < n; i++) {
            char c = sealed.charAt(i);
            if (c >= 128 || CHARS[c] == OTHER) {
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

    static byte[] valueContext(String subject, String dataKeyId) {
        return ("annals sealed value v1\0" + subject + "\0" + dataKeyId).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] keyContext(String subject, String dataKeyId, String wrappingKeyId) {
        return ("annals data key v1\0" + subject + "\0" + dataKeyId + "\0" + wrappingKeyId)
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * One data key of one subject, ready to seal and open its values: the key, the associated
     * data that binds its values to it and to the subject, and a cipher already keyed with it.
     * Keying a cipher computes the AES key schedule, which costs more than decrypting a short
     * value, and the cipher of a thread is keyed again whenever two values in a row belong to
     * different subjects (as they do when a page of events is decoded). Lives as long as the
     * vault caches the key, no longer.
     */
    static final class DataKey {

        private final String dataKeyId;
        private final SecretKeySpec key;
        private final byte[] context;

        /**
         * The cipher keyed with this key, while no thread uses it. A thread takes it, so no two
         * threads ever use it at once; a thread that finds it taken uses its own cipher instead.
         */
        private final AtomicReference<@Nullable Cipher> idle;

        DataKey(String subject, String dataKeyId, byte[] key) {
            this.dataKeyId = dataKeyId;
            this.key = new SecretKeySpec(key, "AES");
            this.context = valueContext(subject, dataKeyId);
            this.idle = new AtomicReference<>(newCipher());
        }

        String dataKeyId() {
            return dataKeyId;
        }

        /** Whether this key sealed {@code sealed} (in the format {@link #looksValid} checked). */
        boolean sealed(String sealed) {
            return sealed.regionMatches(3, dataKeyId, 0, 16);
        }

        /** A value sealed with this key under a fresh random nonce. */
        String seal(String plaintext, SecureRandom random) {
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            Cipher own = idle.getAndSet(null);
            Cipher cipher = own != null ? own : GCM.get();
            try {
                // A fresh nonce every time: the JDK refuses a repeated one anyway.
                cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
                cipher.updateAAD(context);
                byte[] ct = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
                byte[] out = new byte[NONCE_BYTES + ct.length];
                System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
                System.arraycopy(ct, 0, out, NONCE_BYTES, ct.length);
                return "v1." + dataKeyId + "." + B64.encodeToString(out);
            } catch (GeneralSecurityException e) {
                // AES-GCM is required of every Java platform: this is a broken JDK.
                throw new IllegalStateException("AES-GCM encryption failed: " + e.getMessage(), e);
            } finally {
                giveBack(own);
            }
        }

        /**
         * The value {@code sealed} holds ({@link #sealed} said this key sealed it).
         *
         * @throws AEADBadTagException if the value was altered or belongs to another subject
         * @throws IllegalArgumentException if it is not Base64url
         */
        String open(String sealed) throws GeneralSecurityException {
            byte[] in = B64D.decode(sealed.substring(20));
            if (in.length < NONCE_BYTES + TAG_BITS / 8) {
                throw new AEADBadTagException("too short to hold a nonce and a tag");
            }
            Cipher own = idle.getAndSet(null);
            Cipher cipher = own != null ? own : GCM.get();
            try {
                // Every use starts with init, which resets whatever a failed use left behind.
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
                cipher.updateAAD(context);
                return new String(cipher.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES), StandardCharsets.UTF_8);
            } finally {
                giveBack(own);
            }
        }

        private void giveBack(@Nullable Cipher own) {
            if (own != null) {
                idle.set(own);
            }
        }

        /** Never the key. */
        @Override
        public String toString() {
            return "DataKey[" + dataKeyId + "]";
        }
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            // AES-GCM is required of every Java platform.
            throw new IllegalStateException("AES/GCM/NoPadding is not available: " + e.getMessage(), e);
        }
    }
}
