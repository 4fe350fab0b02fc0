package io.annals.eventstore.internal;

import io.annals.eventstore.Correlation;
import io.annals.eventstore.EventData;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * What a command handler stamps on the events of one command: the user's metadata, and the
 * command, correlation and causation ids of {@link Correlation}, taken from the metadata given
 * to {@code handle} or made up. Shared by the command and the decision loops.
 *
 * @param user the metadata without the library's keys
 * @param commandId the command's id, when the client gave one
 * @param correlationId the conversation's id
 * @param causationId what caused the command
 */
public record CommandContext(
        Map<String, String> user, Optional<String> commandId, String correlationId, String causationId) {

    /**
     * The namespace of the name-based (version 5) UUIDs derived from command ids: fixed for ever,
     * since a retry after an upgrade must derive the same ids.
     */
    private static final UUID NAMESPACE = UUID.fromString("6f1c4e9a-3b7d-5a2e-9c81-0d4f6a2b8e13");

    /**
     * Splits the metadata given to {@code handle}: the user's keys, and the library's keys it may
     * hold ({@link Correlation#COMMAND_ID}, {@link Correlation#CORRELATION_ID},
     * {@link Correlation#CAUSATION_ID}), checked.
     *
     * @throws NullPointerException if a key or value is null
     * @throws IllegalArgumentException if another key begins with {@code $}, or an id breaks the
     *     rules of ids
     */
    public static CommandContext of(Map<String, String> metadata) {
        Map<String, String> user = new HashMap<>();
        String commandId = null;
        String correlationId = null;
        String causationId = null;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            String key = Objects.requireNonNull(e.getKey(), "metadata key");
            String value = Objects.requireNonNull(e.getValue(), () -> "metadata value of " + key);
            switch (key) {
                case Correlation.COMMAND_ID -> commandId = checked(key, value);
                case Correlation.CORRELATION_ID -> correlationId = checked(key, value);
                case Correlation.CAUSATION_ID -> causationId = checked(key, value);
                default -> {
                    if (key.startsWith(AppendChecks.RESERVED_PREFIX)) {
                        throw new IllegalArgumentException("metadata key '" + key + "' begins with $, which is"
                                + " reserved for the library; of those keys a command takes "
                                + Correlation.COMMAND_ID + ", " + Correlation.CORRELATION_ID + " and "
                                + Correlation.CAUSATION_ID + " only");
                    }
                    user.put(key, value);
                }
            }
        }
        if (correlationId == null) {
            correlationId = commandId != null ? commandId : UUID.randomUUID().toString();
        }
        if (causationId == null) {
            causationId = commandId != null ? commandId : correlationId;
        }
        return new CommandContext(Map.copyOf(user), Optional.ofNullable(commandId), correlationId, causationId);
    }

    private static String checked(String key, String value) {
        AppendChecks.checkName("metadata " + key, value, Correlation.MAX_ID_LENGTH);
        return value;
    }

    /**
     * {@code encoded} (encoded with {@link #user} only) with the library's keys added and, when
     * {@code derivedId} and there is a command id, the id {@link #eventId} derives for it.
     *
     * @param index the event's place among the events of the command, from 0
     */
    public EventData stamp(EventData encoded, int index, boolean derivedId) {
        Map<String, String> metadata = new HashMap<>(encoded.metadata());
        commandId.ifPresent(id -> metadata.put(Correlation.COMMAND_ID, id));
        metadata.put(Correlation.CORRELATION_ID, correlationId);
        metadata.put(Correlation.CAUSATION_ID, causationId);
        UUID id = derivedId && commandId.isPresent() ? eventId(commandId.get(), index) : encoded.eventId();
        return new EventData(id, encoded.type(), encoded.json(), metadata, encoded.tags());
    }

    /**
     * The id of the event at {@code index} among the events of command {@code commandId}: a
     * name-based UUID (version 5, SHA-1, RFC 9562) of the command id and the index, so that the
     * same command decided again derives the same ids, which the store recognises.
     */
    public static UUID eventId(String commandId, int index) {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-1", e);
        }
        ByteBuffer ns = ByteBuffer.allocate(16)
                .putLong(NAMESPACE.getMostSignificantBits())
                .putLong(NAMESPACE.getLeastSignificantBits());
        sha1.update(ns.array());
        sha1.update((commandId + "/" + index).getBytes(StandardCharsets.UTF_8));
        byte[] h = sha1.digest();
        h[6] = (byte) ((h[6] & 0x0f) | 0x50); // version 5
        h[8] = (byte) ((h[8] & 0x3f) | 0x80); // the RFC's variant
        ByteBuffer b = ByteBuffer.wrap(h, 0, 16);
        return new UUID(b.getLong(), b.getLong());
    }
}
