package io.annals.eventstore;

import io.annals.eventstore.internal.AppendChecks;
import io.annals.eventstore.internal.Tags;
import java.util.Arrays;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One alternative of a {@link Query}: it matches an event whose type is one of {@code types} (any
 * type when {@code types} is empty) and that carries every tag of {@code tags} (and maybe
 * others). An item with no types and no tags matches every event.
 *
 * <pre>{@code
 * QueryItem.tags("name:green tea")                                  // any event tagged so
 * QueryItem.of(Set.of("ProductCreated", "ProductRenamed"), Set.of("name:green tea"))
 * }</pre>
 *
 * @param types event type names; empty for any type; copied
 * @param tags tags an event must all carry; empty for no tag condition; copied, each checked as
 *     an event's tags are
 */
public record QueryItem(Set<String> types, Set<String> tags) {

    /** The most types one item may name. */
    public static final int MAX_TYPES = 100;

    /**
     * @throws NullPointerException if an argument, a type or a tag is null
     * @throws IllegalArgumentException if a type is blank or over 200 characters, a tag breaks the
     *     rules of tags, or there are more than 100 types or 100 tags
     */
    public QueryItem {
        Objects.requireNonNull(types, "types");
        if (types.size() > MAX_TYPES) {
            throw new IllegalArgumentException(
                    "a query item names at most " + MAX_TYPES + " types, this one names " + types.size());
        }
        TreeSet<String> sorted = new TreeSet<>();
        for (String type : types) {
            Objects.requireNonNull(type, "type");
            AppendChecks.checkType(type);
            sorted.add(type);
        }
        types = Collections.unmodifiableSortedSet(sorted);
        tags = Tags.copyOf(tags, "a query item names");
    }

    /** Events of any of these types, whatever their tags. */
    public static QueryItem types(String... types) {
        return new QueryItem(new TreeSet<>(Arrays.asList(types)), Set.of());
    }

    /** Events that carry every one of these tags, whatever their type. */
    public static QueryItem tags(String... tags) {
        return new QueryItem(Set.of(), new TreeSet<>(Arrays.asList(tags)));
    }

    /** Events of any of {@code types} that carry every tag of {@code tags}. */
    public static QueryItem of(Set<String> types, Set<String> tags) {
        return new QueryItem(types, tags);
    }

    /** Every event. */
    public static QueryItem any() {
        return new QueryItem(Set.of(), Set.of());
    }

    /** Whether an event of this type with these tags matches this item. */
    public boolean matches(String type, Set<String> eventTags) {
        return (types.isEmpty() || types.contains(type)) && eventTags.containsAll(tags);
    }

    /** Whether this item matches every event. */
    public boolean matchesAll() {
        return types.isEmpty() && tags.isEmpty();
    }
}
