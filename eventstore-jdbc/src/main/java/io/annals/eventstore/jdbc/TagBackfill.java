package io.annals.eventstore.jdbc;

import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ReadOnlyStoreException;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Tags the events a store holds already with the tags a codec computes for them
 * ({@link EventCodec#tags}), for events stored before their type had tags (or before tags
 * existed): a rule that spans streams, such as a unique name, then finds them too.
 *
 * <pre>{@code
 * TagBackfill.Result result = TagBackfill.run(store, codec);
 * }</pre>
 *
 * <p>It only adds: an event keeps the tags it has, and running it twice tags nothing the second
 * time. Events of types the codec does not know, and of retired types, are left as they are; an
 * event the codec cannot decode stops it with the error naming the event (what was tagged before
 * stays tagged). Each page of events is tagged in one write transaction.
 *
 * <p>Run it before the rules that need the tags go live (at deployment, before the application
 * serves): a conditional append compares positions, and an old event that gains a tag while a
 * decision runs can be missed by that decision. Tagging a million events takes tens of seconds.
 */
public final class TagBackfill {

    private static final int PAGE = 1000;

    private TagBackfill() {}

    /** What an append would refuse, refused here too: a stored event must stay readable. */
    private static void checkTags(RecordedEvent event, Set<String> added) {
        Set<String> all = new TreeSet<>(event.tags());
        all.addAll(added);
        try {
            Tags.copyOf(all);
        } catch (IllegalArgumentException e) {
            throw new EventStoreException(
                    "cannot tag event " + event.eventId() + " of type " + event.type()
                            + " in stream " + event.streamId() + " at version " + event.version() + " (position "
                            + event.position() + "): " + e.getMessage() + "; nothing of this page was tagged",
                    e);
        }
    }

    /**
     * What a run did.
     *
     * @param scanned the events read
     * @param tagged the events that gained at least one tag
     */
    public record Result(long scanned, long tagged) {}

    /**
     * Tags every stored event with what {@code codec} computes for it and it lacks.
     *
     * @throws ReadOnlyStoreException if the store was opened read-only
     * @throws EventStoreException if an event cannot be decoded, naming it, or the store fails
     */
    public static <E extends Event> Result run(JdbcEventStore store, EventCodec<E> codec) {
        Objects.requireNonNull(codec, "codec");
        return run(
                store,
                event -> !codec.knows(event.type()) || codec.isRetired(event.type())
                        ? Set.of()
                        : codec.tags(codec.decode(event).event()));
    }

    /**
     * Tags every stored event with what {@code tagsOf} computes for it and it lacks: for tags a
     * codec cannot compute from the event alone (an old event that lacks a field its tag needs,
     * found in an earlier event of its stream).
     *
     * @param tagsOf the tags an event should carry; empty to leave it alone
     * @throws ReadOnlyStoreException if the store was opened read-only
     * @throws EventStoreException if the store fails, or as {@code tagsOf} throws it
     */
    public static Result run(JdbcEventStore store, Function<RecordedEvent, Set<String>> tagsOf) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(tagsOf, "tagsOf");
        long scanned = 0;
        long tagged = 0;
        long after = 0;
        while (true) {
            List<RecordedEvent> page = store.readAll(after, PAGE);
            if (page.isEmpty()) {
                return new Result(scanned, tagged);
            }
            List<RecordedEvent> changed = new ArrayList<>();
            List<Set<String>> added = new ArrayList<>();
            for (RecordedEvent event : page) {
                scanned++;
                Set<String> missing = new TreeSet<>(tagsOf.apply(event));
                missing.removeAll(event.tags());
                if (!missing.isEmpty()) {
                    checkTags(event, missing);
                    changed.add(event);
                    added.add(missing);
                }
            }
            if (!changed.isEmpty()) {
                store.addTags(changed, added);
                tagged += changed.size();
            }
            after = page.get(page.size() - 1).position();
        }
    }
}
