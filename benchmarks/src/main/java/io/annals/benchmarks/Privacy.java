package io.annals.benchmarks;

import io.annals.benchmarks.Measure.Pair;
import io.annals.benchmarks.Measure.Side;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.jdbc.JacksonEventCodec;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.privacy.KeyWrapper;
import io.annals.eventstore.privacy.Sealed;
import io.annals.eventstore.privacy.Vault;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The cost of forgetting: reading events whose personal data is sealed (decode, then reveal each
 * value) beside the same events with the data in clear, and {@code deleteStream} of a long stream
 * beside a plain JDBC delete of a stream as long, in the same run.
 */
final class Privacy {

    /**
     * The events: the same watch, with the email address sealed or in clear; the smallest event
     * that holds a sealed value, and one shaped like the price tracker's {@code WatchStarted}.
     */
    sealed interface Watching extends Event permits SealedWatch, PlainWatch, SealedStart, PlainStart {}

    record SealedWatch(String productId, Sealed email) implements Watching {}

    record PlainWatch(String productId, String email) implements Watching {}

    record SealedStart(String productId, String watcher, Sealed email, BigDecimal targetPrice, String currency)
            implements Watching {}

    record PlainStart(String productId, String watcher, String email, BigDecimal targetPrice, String currency)
            implements Watching {}

    private static final EventCodec<Watching> CODEC = JacksonEventCodec.builder(Watching.class)
            .register("SealedWatch", SealedWatch.class)
            .register("PlainWatch", PlainWatch.class)
            .register("SealedStart", SealedStart.class)
            .register("PlainStart", PlainStart.class)
            .build();

    private static final int PASSES_PER_ROUND = 5;
    private static final int WARM_ROUNDS = 6;
    private static final int ROUNDS = 7;

    private final JdbcEventStore store;
    private final Results results;
    private final String db;
    private final String workload;

    Privacy(JdbcEventStore store, Results results, String db, String workload) {
        this.store = store;
        this.results = results;
        this.db = db;
        this.workload = workload;
    }

    void run(int events, int subjects, int warm, int rounds, int deletionSize, int deletions) throws Exception {
        FloorKeys floorKeys = new FloorKeys(KeyWrapper.aesGcm("bench", new byte[32]));
        Vault vault = Vault.builder(store.subjectKeys(), floorKeys).build();
        List<EventData> sealed = new ArrayList<>();
        List<EventData> plain = new ArrayList<>();
        List<EventData> sealedStarts = new ArrayList<>();
        List<EventData> plainStarts = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            String subject = "subject-" + (i % subjects);
            String email = "person" + (i % subjects) + "@example.com";
            String product = "5f0c6d3e-9b1a-4c7e-8d2f-" + String.format("%012d", i);
            BigDecimal target = new BigDecimal(BigInteger.valueOf(1_000 + i % 9_000), 2);
            sealed.add(CODEC.encode(new SealedWatch("p" + i, vault.seal(subject, email)), Map.of()));
            plain.add(CODEC.encode(new PlainWatch("p" + i, email), Map.of()));
            sealedStarts.add(CODEC.encode(
                    new SealedStart(product, subject, vault.seal(subject, email), target, "EUR"), Map.of()));
            plainStarts.add(CODEC.encode(new PlainStart(product, subject, email, target, "EUR"), Map.of()));
        }
        store.append("sealed-watches", ExpectedVersion.noStream(), sealed);
        store.append("plain-watches", ExpectedVersion.noStream(), plain);
        store.append("sealed-starts", ExpectedVersion.noStream(), sealedStarts);
        store.append("plain-starts", ExpectedVersion.noStream(), plainStarts);

        // A fresh vault: the data keys come from the store once, then from its cache.
        Vault reader = Vault.builder(store.subjectKeys(), KeyWrapper.aesGcm("bench", new byte[32]))
                .build();
        shape(
                String.format("read and decode %,d events, revealing a sealed email in each", events),
                subjects,
                warm,
                rounds,
                pass(
                        "sealed-watches",
                        events,
                        e -> reader.reveal(((SealedWatch) e).email()).orElseThrow()),
                pass("sealed-watches", events, e -> floorKeys.open(((SealedWatch) e).email())),
                pass("plain-watches", events, e -> ((PlainWatch) e).email()));
        shape(
                String.format(
                        "read and decode %,d watch starts (5 fields, as in the price tracker), revealing the email",
                        events),
                subjects,
                warm,
                rounds,
                pass(
                        "sealed-starts",
                        events,
                        e -> reader.reveal(((SealedStart) e).email()).orElseThrow()),
                pass("sealed-starts", events, e -> floorKeys.open(((SealedStart) e).email())),
                pass("plain-starts", events, e -> ((PlainStart) e).email()));

        double[] annals = new double[deletions];
        double[] raw = new double[deletions];
        for (int d = 0; d < deletions; d++) {
            fill("doomed-" + d, deletionSize);
            fill("raw-" + d, deletionSize);
            long t0 = System.nanoTime();
            store.deleteStream("doomed-" + d, ExpectedVersion.exactly(deletionSize));
            annals[d] = (System.nanoTime() - t0) / 1e6;
            t0 = System.nanoTime();
            try (Connection c = store.dataSource().getConnection();
                    PreparedStatement ps = c.prepareStatement("DELETE FROM annals_events WHERE stream_id = ?")) {
                ps.setString(1, "raw-" + d);
                ps.executeUpdate();
            }
            raw[d] = (System.nanoTime() - t0) / 1e6;
        }
        results.compare(
                workload,
                db,
                String.format("deleteStream of a %,d-event stream", deletionSize),
                "ms",
                new Pair(new Side(annals), new Side(raw)),
                "a plain JDBC DELETE of the stream's rows (no tombstone, no reserved ids)",
                false,
                null,
                "");
    }

    /** How a pass gets the email of a decoded event: revealed, opened by the floor, or in clear. */
    private interface EmailOf {
        String of(Watching event) throws Exception;
    }

    /** Reads {@code stream}, decodes each event and takes its email: one event counted per email. */
    private Measure.Pass pass(String stream, int events, EmailOf email) {
        return () -> {
            long n = 0;
            for (RecordedEvent r : store.readStream(stream, 1, events)) {
                n += email.of(CODEC.decode(r).event()).length() > 0 ? 1 : 0;
            }
            return n;
        };
    }

    /** The vault, the floor and the events in clear, in rotating rounds, reported as {@link #report} says. */
    private void shape(
            String what, int subjects, int warm, int rounds, Measure.Pass vault, Measure.Pass floor, Measure.Pass clear)
            throws Exception {
        report(
                what,
                subjects,
                Measure.rotatePasses(
                        Math.max(warm, WARM_ROUNDS),
                        Math.max(rounds, ROUNDS),
                        repeated(vault),
                        repeated(floor),
                        repeated(clear)));
    }

    /**
     * The rows of one event shape: the vault against the events in clear (the target), the floor
     * against the events in clear (the most any AES-GCM reader of these values reaches), and the
     * vault against the floor (what the vault adds to the cryptography).
     */
    private void report(String what, int subjects, Side[] sides) {
        Side vault = sides[0];
        Side floor = sides[1];
        Side clear = sides[2];
        results.compare(
                workload,
                db,
                what,
                "events/s",
                new Pair(vault, clear),
                "the same events with the email in clear",
                true,
                0.7,
                subjects + " subjects");
        results.compare(
                workload,
                db,
                what + ": the floor, a bare JDK AES-GCM cipher per subject",
                "events/s",
                new Pair(floor, clear),
                "the same events with the email in clear",
                true,
                null,
                "what any AES-GCM reader reaches");
        results.compare(
                workload,
                db,
                what + ": the vault against the floor",
                "events/s",
                new Pair(vault, floor),
                "the floor: the same events, each email opened by a bare JDK AES-GCM cipher keyed for its subject",
                true,
                null,
                "");
    }

    /**
     * The floor of a reader of sealed values: the data keys, taken as the vault wraps them, and a
     * JDK AES-GCM cipher per subject, already keyed, that opens a value with nothing around it (no
     * cache, no expiry, no key store, no check of the data key id). It mirrors the format a vault
     * writes ({@code v1.<data key id>.<base64url nonce, ciphertext and tag>}) and the associated
     * data that binds a value to its subject and key: were either to change, every floor pass would
     * fail authentication, never measure something else.
     */
    private static final class FloorKeys implements KeyWrapper {

        private record Opener(SecretKeySpec key, byte[] context, Cipher cipher) {}

        private final KeyWrapper wrapper;
        private final Map<String, Opener> bySubject = new HashMap<>();

        FloorKeys(KeyWrapper wrapper) {
            this.wrapper = wrapper;
        }

        @Override
        public String keyId() {
            return wrapper.keyId();
        }

        @Override
        public byte[] wrap(byte[] dataKey, byte[] context) {
            // "annals data key v1", the subject, the data key id, the wrapping key id
            String[] parts = new String(context, StandardCharsets.UTF_8).split("\0");
            String subject = parts[1];
            String dataKeyId = parts[2];
            try {
                bySubject.put(
                        subject,
                        new Opener(
                                new SecretKeySpec(dataKey.clone(), "AES"),
                                ("annals sealed value v1\0" + subject + "\0" + dataKeyId)
                                        .getBytes(StandardCharsets.UTF_8),
                                Cipher.getInstance("AES/GCM/NoPadding")));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            return wrapper.wrap(dataKey, context);
        }

        @Override
        public byte[] unwrap(byte[] wrapped, byte[] context) throws GeneralSecurityException {
            return wrapper.unwrap(wrapped, context);
        }

        /** The value, opened by the subject's cipher (one thread at a time). */
        String open(Sealed sealed) throws GeneralSecurityException {
            Opener o = bySubject.get(sealed.subject());
            byte[] in = Base64.getUrlDecoder().decode(sealed.ciphertext().substring(20));
            o.cipher().init(Cipher.DECRYPT_MODE, o.key(), new GCMParameterSpec(128, in, 0, 12));
            o.cipher().updateAAD(o.context());
            return new String(o.cipher().doFinal(in, 12, in.length - 12), StandardCharsets.UTF_8);
        }
    }

    /** {@code pass} run {@link #PASSES_PER_ROUND} times, as one round. */
    private static Measure.Pass repeated(Measure.Pass pass) {
        return () -> {
            long n = 0;
            for (int i = 0; i < PASSES_PER_ROUND; i++) {
                n += pass.run();
            }
            return n;
        };
    }

    private void fill(String stream, int n) {
        List<EventData> batch = new ArrayList<>();
        long version = 0;
        for (int i = 0; i < n; i++) {
            batch.add(EventData.of("Noted", "{\"n\":" + i + "}"));
            if (batch.size() == 1000) {
                store.append(stream, ExpectedVersion.exactly(version), batch);
                version += batch.size();
                batch = new ArrayList<>();
            }
        }
        if (!batch.isEmpty()) {
            store.append(stream, ExpectedVersion.exactly(version), batch);
        }
    }
}
