package io.annals.eventstore.internal;

import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import java.util.ArrayList;
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
