package io.annals.pricetracker;

import io.annals.pricetracker.domain.Product;
import io.annals.pricetracker.readmodel.ProductView;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Product streams folded up to every {@value #EVERY}th version, kept in memory so that a
 * time-travel request far into a long stream replays it from the nearest fold kept, not from its
 * first event every time. A fold names the event it folds up to and is used only while that
 * event is still the stream's event at that version. At most {@code maxFolds} are kept; the
 * streams looked at least recently go first. Thread-safe.
 */
final class TimelineCheckpoints {

    /** Every how many versions a fold is kept. */
    static final int EVERY = 500;

    /**
     * A stream folded up to one of its events.
     *
     * @param version the event's version
     * @param eventId the event's id
     * @param state the product after it
     * @param view the product view row after it, or null if there is none (deleted)
     */
    record Fold(long version, UUID eventId, Product state, ProductView view) {
        Fold {
            Objects.requireNonNull(eventId, "eventId");
            Objects.requireNonNull(state, "state");
        }
    }

    private final int maxFolds;
    private final Map<String, TreeMap<Long, Fold>> byStream = new LinkedHashMap<>(16, 0.75f, true);
    private int size;

    /** @throws IllegalArgumentException if {@code maxFolds} is below 1 */
    TimelineCheckpoints(int maxFolds) {
        if (maxFolds < 1) {
            throw new IllegalArgumentException("maxFolds must be at least 1, was " + maxFolds);
        }
        this.maxFolds = maxFolds;
    }

    /** The fold of {@code streamId} kept at the highest version up to {@code version}. */
    synchronized Optional<Fold> atOrBefore(String streamId, long version) {
        TreeMap<Long, Fold> folds = byStream.get(streamId);
        Map.Entry<Long, Fold> e = folds == null ? null : folds.floorEntry(version);
        return e == null ? Optional.empty() : Optional.of(e.getValue());
    }

    synchronized void keep(String streamId, Fold fold) {
        TreeMap<Long, Fold> folds = byStream.computeIfAbsent(streamId, s -> new TreeMap<>());
        if (folds.put(fold.version(), fold) == null) {
            size++;
        }
        Iterator<Map.Entry<String, TreeMap<Long, Fold>>> eldest =
                byStream.entrySet().iterator();
        while (size > maxFolds && eldest.hasNext()) {
            Map.Entry<String, TreeMap<Long, Fold>> e = eldest.next();
            if (!e.getKey().equals(streamId)) {
                size -= e.getValue().size();
                eldest.remove();
            }
        }
        while (size > maxFolds) {
            folds.pollFirstEntry();
            size--;
        }
    }

    /** Drops the folds of a stream (one of them no longer matches the stream). */
    synchronized void drop(String streamId) {
        TreeMap<Long, Fold> folds = byStream.remove(streamId);
        if (folds != null) {
            size -= folds.size();
        }
    }
}
