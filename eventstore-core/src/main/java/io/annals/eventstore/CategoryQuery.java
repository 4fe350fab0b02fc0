package io.annals.eventstore;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which events a reader of whole stream categories needs: the events of the streams of some
 * categories, of any type or of some types only. The category of a stream is its id up to the
 * first {@code '-'}, or the whole id when it has none ({@link #categoryOf}): an aggregate's stream
 * is {@code category + "-" + id}, so {@code product-42} is in category {@code product}. Read with
 * {@link EventStore#readCategories(CategoryQuery, long, int)}; a JDBC store reads a category's events
 * through an index, so that a reader of 1% of the log reads about 1% of it.
 *
 * @param categories the categories, at least one, at most {@value #MAX_CATEGORIES}, none blank
 *     and none holding {@code '-'}
 * @param types the event types, at most {@value QueryItem#MAX_TYPES}, none blank; empty for
 *     every type. A reader that forgets deleted streams names {@link EventStore#STREAM_DELETED}
 *     among them: a stream's tombstone is an event of that stream.
 */
public record CategoryQuery(Set<String> categories, Set<String> types) {

    /** The most categories one query may name. */
    public static final int MAX_CATEGORIES = 100;

    /**
     * @throws NullPointerException if a set is or holds null
     * @throws IllegalArgumentException if a rule above is broken, naming it
     */
    public CategoryQuery {
        categories = Set.copyOf(new TreeSet<>(Objects.requireNonNull(categories, "categories")));
        types = Set.copyOf(new TreeSet<>(Objects.requireNonNull(types, "types")));
        if (categories.isEmpty()) {
            throw new IllegalArgumentException("a category query names at least one category");
        }
        if (categories.size() > MAX_CATEGORIES) {
            throw new IllegalArgumentException("a category query names at most " + MAX_CATEGORIES
                    + " categories, this one names " + categories.size());
        }
        for (String c : categories) {
            if (c.isBlank() || c.indexOf('-') >= 0) {
                throw new IllegalArgumentException("a category is not blank and holds no '-' (it is the part of a"
                        + " stream id before the first '-'): '" + c + "'");
            }
        }
        if (types.size() > QueryItem.MAX_TYPES) {
            throw new IllegalArgumentException(
                    "a category query names at most " + QueryItem.MAX_TYPES + " types, this one names " + types.size());
        }
        for (String t : types) {
            if (t.isBlank()) {
                throw new IllegalArgumentException("a category query's event type is not blank");
            }
        }
    }

    /** The events of every type in the streams of these categories. */
    public static CategoryQuery of(String... categories) {
        return new CategoryQuery(Set.of(categories), Set.of());
    }

    /** The same categories, their events of these types alone. */
    public CategoryQuery withTypes(Set<String> types) {
        return new CategoryQuery(categories, types);
    }

    /** The category of a stream: its id up to the first {@code '-'}, or all of it. */
    public static String categoryOf(String streamId) {
        int dash = streamId.indexOf('-');
        return dash < 0 ? streamId : streamId.substring(0, dash);
    }

    /** Whether {@code event} is one this query reads. */
    public boolean matches(RecordedEvent event) {
        return categories.contains(categoryOf(event.streamId())) && (types.isEmpty() || types.contains(event.type()));
    }
}
