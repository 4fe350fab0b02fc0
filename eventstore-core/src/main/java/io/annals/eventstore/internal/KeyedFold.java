package io.annals.eventstore.internal;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.Projection;
import io.annals.eventstore.ProjectionException;
import io.annals.eventstore.RecordedEvent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Folds a batch of events into the rows of a keyed projection, reading each touched row once, so
 * that every projector applies {@link Projection#key}/{@link Projection#apply} the same way.
 */
public final class KeyedFold {

    private KeyedFold() {
    }

    /**
     * @param load reads a row as it is before the batch (null when there is none)
     * @return the rows the batch changed, in first-touched order; an empty value deletes the row
     * @throws ProjectionException naming the event the projection failed on
     */
    public static <E extends Event, K, V> Map<K, Optional<V>> fold(
            Projection<E, K, V> projection, EventCodec<E> codec, List<RecordedEvent> events,
            Function<K, V> load) {
        Map<K, Optional<V>> changed = new LinkedHashMap<>();
        for (RecordedEvent r : events) {
            if (!codec.knows(r.type())) {
                continue;
            }
            try {
                Envelope<E> envelope = codec.decode(r);
                K key = projection.key(envelope);
                if (key == null) {
                    continue;
                }
                Optional<V> before = changed.get(key);
                V current = before != null ? before.orElse(null) : load.apply(key);
                changed.put(key, Optional.ofNullable(projection.apply(current, envelope)));
            } catch (RuntimeException e) {
                throw new ProjectionException(projection.name(), r, e);
            }
        }
        return changed;
    }
}
