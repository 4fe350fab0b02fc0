package io.annals.eventstore.internal;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.ProjectionException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Folds a batch of events into the rows of a keyed projection, reading each touched row once, so
 * that every projector applies {@link Projection#key}/{@link Projection#apply} the same way.
 */
public final class KeyedFold {

    private KeyedFold() {}

    /**
     * @param loadAll reads the rows of the given keys as they are before the batch, in one go
     *     (a key without a row is absent from the result)
     * @return the rows the batch changed, in first-touched order; an empty value deletes the row
     * @throws ProjectionException naming the event the projection failed on
     */
    public static <E extends Event, K, V> Map<K, Optional<V>> fold(
            Projection<E, K, V> projection,
            EventCodec<E> codec,
            List<RecordedEvent> events,
            Function<Set<K>, Map<K, V>> loadAll) {
        // Decode and key every event first, so that the rows are read in one query per batch
        // rather than one per key. A tombstone of a deleted stream is a step that deletes the
        // rows the projection names for that stream (an envelope of null).
        List<@Nullable Envelope<E>> envelopes = new ArrayList<>(events.size());
        List<K> keys = new ArrayList<>(events.size());
        Set<String> categories = projection.categories();
        for (RecordedEvent r : events) {
            if (!Interest.inCategories(categories, r.streamId())) {
                continue; // not read by a store that filters; skipped the same when it does not
            }
            if (r.type().equals(EventStore.STREAM_DELETED)) {
                try {
                    for (K key : projection.keysOfDeletedStream(r.streamId())) {
                        envelopes.add(null);
                        keys.add(checkKey(key));
                    }
                } catch (RuntimeException e) {
                    throw new ProjectionException(projection.name(), r, e);
                }
                continue;
            }
            if (!codec.knows(r.type()) || codec.isRetired(r.type())) {
                continue;
            }
            try {
                Envelope<E> envelope = codec.decode(r);
                K key = projection.key(envelope);
                if (key != null) {
                    envelopes.add(envelope);
                    keys.add(checkKey(key));
                }
            } catch (RuntimeException e) {
                throw new ProjectionException(projection.name(), r, e);
            }
        }
        Map<K, V> before = keys.isEmpty() ? Map.of() : loadAll.apply(new LinkedHashSet<>(keys));
        Map<K, Optional<V>> changed = new LinkedHashMap<>();
        for (int i = 0; i < envelopes.size(); i++) {
            K key = keys.get(i);
            @Nullable Envelope<E> envelope = envelopes.get(i);
            if (envelope == null) {
                changed.put(key, Optional.empty());
                continue;
            }
            try {
                Optional<V> latest = changed.get(key);
                V current = latest != null ? latest.orElse(null) : before.get(key);
                changed.put(key, Optional.ofNullable(projection.apply(current, envelope)));
            } catch (RuntimeException e) {
                throw new ProjectionException(projection.name(), envelope.recorded(), e);
            }
        }
        return changed;
    }

    /**
     * Whether a row of this key can exist: whether its text, the key as every store keeps it,
     * can be stored exactly ({@link Text#badCharacter}).
     */
    public static boolean couldBeKey(Object key) {
        return Text.badCharacter(String.valueOf(key)).isEmpty();
    }

    /**
     * {@code key}, if its text can be stored exactly. A key cut in the middle of a surrogate pair
     * (the first character of a name that begins with an emoji, say) would reach the database as
     * {@code ?} and share the row of another key.
     *
     * @throws IllegalArgumentException naming the key and its first bad character
     */
    private static <K> K checkKey(K key) {
        String text = String.valueOf(key);
        Text.badCharacter(text).ifPresent(bad -> {
            throw new IllegalArgumentException("the key '" + Text.printable(text) + "' holds " + bad
                    + ": no store keeps such a key exactly, so its row could be another key's");
        });
        return key;
    }
}
