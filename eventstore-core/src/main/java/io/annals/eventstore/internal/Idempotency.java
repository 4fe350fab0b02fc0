package io.annals.eventstore.internal;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.DuplicateEventIdException;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.StreamAppend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Decides whether an append whose event ids are (partly) stored already is a harmless repeat of
 * an earlier append, so that every store applies the contract's idempotency rule the same way.
 *
 * <p>A repeat is recognised only when every id is stored in the same stream, consecutively, in
 * the same order, where an append with the same expectation could have placed them. Anything
 * else is an error: a duplicate event id must never vanish silently (a blanket
 * {@code ON CONFLICT DO NOTHING} dropped real events in Eventuous #553).
 */
public final class Idempotency {

    private Idempotency() {}

    /**
     * Where an event id is already stored.
     *
     * @param eventId the id
     * @param streamId its stream
     * @param version its version
     * @param position its global position
     */
    public record StoredId(UUID eventId, String streamId, long version, long position) {}

    /**
     * @param found the stored ids among those of {@code events}, by id
     * @return empty when none of the ids is stored (a new append); the original result when the
     *     append is a repeat
     * @throws DuplicateEventIdException when some ids are stored but the append is not a repeat
     */
    public static Optional<AppendResult> classify(
            String streamId, ExpectedVersion expected, List<EventData> events, Map<UUID, StoredId> found) {
        if (found.isEmpty()) {
            return Optional.empty();
        }
        String prefix = "append to stream " + streamId + " (expected " + expected + ") ";
        if (found.size() < events.size()) {
            StoredId first = firstFound(events, found);
            throw duplicate(
                    prefix + "repeats " + found.size() + " of its "
                            + events.size() + " event ids (for example " + first.eventId()
                            + ", stored in stream " + first.streamId() + " at version " + first.version()
                            + "); a repeated append must repeat all of its events and only them",
                    first);
        }
        StoredId head = found.get(events.get(0).eventId());
        for (int i = 0; i < events.size(); i++) {
            StoredId s = found.get(events.get(i).eventId());
            if (!s.streamId().equals(streamId) || s.version() != head.version() + i) {
                throw duplicate(
                        prefix + "repeats event id " + s.eventId()
                                + ", already stored in stream " + s.streamId() + " at version "
                                + s.version() + ", but not as the same append (ids must be stored in "
                                + "this stream, consecutively and in the same order)",
                        s);
            }
        }
        if (!couldHavePlaced(expected, head.version())) {
            throw duplicate(
                    prefix + "repeats event ids already stored at versions "
                            + head.version() + ".." + (head.version() + events.size() - 1)
                            + ", where an append expecting " + expected + " could not have placed them",
                    head);
        }
        StoredId last = found.get(events.get(events.size() - 1).eventId());
        return Optional.of(new AppendResult(last.version(), last.position()));
    }

    /**
     * {@link #classify} for an append across streams: the original results when every part is a
     * repeat, empty when no id of any part is stored.
     *
     * @param found the stored ids among those of every part, by id
     * @throws DuplicateEventIdException when some ids are stored but the call is not a repeat of
     *     all of its parts
     */
    public static Optional<List<AppendResult>> classifyAll(List<StreamAppend> appends, Map<UUID, StoredId> found) {
        if (found.isEmpty()) {
            return Optional.empty();
        }
        List<AppendResult> results = new ArrayList<>(appends.size());
        for (StreamAppend part : appends) {
            Map<UUID, StoredId> own = new HashMap<>();
            for (EventData e : part.events()) {
                StoredId s = found.get(e.eventId());
                if (s != null) {
                    own.put(e.eventId(), s);
                }
            }
            if (own.isEmpty()) {
                StoredId some = found.values().iterator().next();
                throw duplicate(
                        "append across " + appends.size() + " streams repeats some of its parts (event id "
                                + some.eventId() + " is stored in stream " + some.streamId() + " at version "
                                + some.version() + ") but not the part of stream " + part.streamId()
                                + "; a repeated append must repeat all of its parts and only them",
                        some);
            }
            results.add(classify(part.streamId(), part.expected(), part.events(), own)
                    .orElseThrow());
        }
        return Optional.of(List.copyOf(results));
    }

    private static DuplicateEventIdException duplicate(String message, StoredId stored) {
        return new DuplicateEventIdException(message, stored.eventId(), stored.streamId(), stored.version());
    }

    private static boolean couldHavePlaced(ExpectedVersion expected, long firstVersion) {
        if (expected instanceof ExpectedVersion.Exactly exactly) {
            return firstVersion == exactly.version() + 1;
        }
        if (expected instanceof ExpectedVersion.NoStream) {
            return firstVersion == 1;
        }
        if (expected instanceof ExpectedVersion.StreamExists) {
            return firstVersion >= 2;
        }
        return true;
    }

    private static StoredId firstFound(List<EventData> events, Map<UUID, StoredId> found) {
        for (EventData e : events) {
            StoredId s = found.get(e.eventId());
            if (s != null) {
                return s;
            }
        }
        throw new IllegalStateException("found is not empty");
    }
}
