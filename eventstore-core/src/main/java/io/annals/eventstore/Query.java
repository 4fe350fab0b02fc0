package io.annals.eventstore;

import java.util.List;
import java.util.Objects;

/**
 * Which events to {@link EventStore#read(Query, long, int) read}, or to
 * {@link AppendCondition fail an append on}: an event matches when it matches any of the items.
 *
 * <pre>{@code
 * Query nameTaken = Query.of(QueryItem.of(Set.of("ProductCreated", "ProductDeleted"), Set.of("name:green tea")));
 * }</pre>
 *
 * @param items the alternatives, at least one; copied
 */
public record Query(List<QueryItem> items) {

    /** The most items one query may hold. */
    public static final int MAX_ITEMS = 100;

    private static final Query ALL = new Query(List.of(QueryItem.any()));

    /**
     * @throws NullPointerException if {@code items} or an item is null
     * @throws IllegalArgumentException if there is no item (use {@link #all()} for every event),
     *     or more than 100
     */
    public Query {
        items = List.copyOf(Objects.requireNonNull(items, "items"));
        if (items.isEmpty()) {
            throw new IllegalArgumentException("a query needs at least one item (Query.all() matches every event)");
        }
        if (items.size() > MAX_ITEMS) {
            throw new IllegalArgumentException(
                    "a query holds at most " + MAX_ITEMS + " items, this one holds " + items.size());
        }
    }

    /** A query of these items. */
    public static Query of(QueryItem... items) {
        return new Query(List.of(items));
    }

    /** Matches every event: {@code read(Query.all(), p, n)} returns what {@code readAll(p, n)} does. */
    public static Query all() {
        return ALL;
    }

    /** Whether an event of this type with these tags matches. */
    public boolean matches(String type, java.util.Set<String> tags) {
        for (QueryItem item : items) {
            if (item.matches(type, tags)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code event} matches. */
    public boolean matches(RecordedEvent event) {
        return matches(event.type(), event.tags());
    }

    /** The items, at most 300 characters of them: a query may be large, a message should not. */
    @Override
    public String toString() {
        String all = "Query" + items;
        return all.length() <= 300 ? all : all.substring(0, 300) + "... (" + items.size() + " items)]";
    }

    /** Whether this query matches every event. */
    public boolean matchesAll() {
        return items.stream().anyMatch(QueryItem::matchesAll);
    }
}
