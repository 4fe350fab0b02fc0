package io.annals.eventstore.internal;

import io.annals.eventstore.CategoryQuery;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a projector that decodes its events with a codec needs of the log: the events the codec
 * decodes, and the deletions' tombstones, so that a projection can forget a deleted stream.
 */
public final class Interest {

    private Interest() {}

    /**
     * The query of the events {@code codec} decodes, with the tombstones of deleted streams;
     * empty (every event) when the codec does not list its names, or lists too many for one query.
     */
    public static Optional<Query> of(EventCodec<?> codec) {
        Set<String> decoded = codec.decodedNames();
        if (decoded.isEmpty()) {
            return Optional.empty();
        }
        Set<String> names = new TreeSet<>(decoded);
        names.add(EventStore.STREAM_DELETED);
        return ofTypes(names);
    }

    /**
     * What to read of the log for a projector of these stream categories: their streams' events,
     * of the types {@code interest} names when it names types alone (at most as many as one
     * category query holds), of every type otherwise. Empty when the projector names no category.
     */
    public static Optional<CategoryQuery> ofCategories(Set<String> categories, Optional<Query> interest) {
        if (categories.isEmpty()) {
            return Optional.empty();
        }
        // with tags, every type: a superset of the events, which the projector filters
        Set<String> types = new TreeSet<>(typesOnly(interest).orElse(Set.of()));
        if (types.size() > QueryItem.MAX_TYPES) {
            types.clear();
        }
        return Optional.of(new CategoryQuery(categories, types));
    }

    /**
     * The types {@code interest} names, when it names types alone: an event matches it exactly
     * when its type is one of them. Empty for every event, or for a query with tags.
     */
    public static Optional<Set<String>> typesOnly(Optional<Query> interest) {
        if (interest.isEmpty() || interest.get().matchesAll()) {
            return Optional.empty();
        }
        Set<String> types = new HashSet<>();
        for (QueryItem item : interest.get().items()) {
            if (!item.tags().isEmpty() || item.types().isEmpty()) {
                return Optional.empty();
            }
            types.addAll(item.types());
        }
        return Optional.of(Set.copyOf(types));
    }

    /** Whether a reader of {@code categories} (none: every stream) reads the events of {@code streamId}. */
    public static boolean inCategories(Set<String> categories, String streamId) {
        return categories.isEmpty() || categories.contains(CategoryQuery.categoryOf(streamId));
    }

    /** The query of the events of these types; empty (every event) for none, or too many. */
    public static Optional<Query> ofTypes(Set<String> types) {
        Set<String> names = new TreeSet<>(types);
        if (names.isEmpty() || names.size() > Query.MAX_ITEMS * QueryItem.MAX_TYPES) {
            return Optional.empty();
        }
        List<QueryItem> items = new ArrayList<>();
        List<String> chunk = new ArrayList<>();
        for (String name : names) {
            chunk.add(name);
            if (chunk.size() == QueryItem.MAX_TYPES) {
                items.add(QueryItem.types(chunk.toArray(String[]::new)));
                chunk.clear();
            }
        }
        if (!chunk.isEmpty()) {
            items.add(QueryItem.types(chunk.toArray(String[]::new)));
        }
        return Optional.of(Query.of(items.toArray(QueryItem[]::new)));
    }
}
