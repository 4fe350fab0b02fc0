package io.annals.eventstore.jdbc;

import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The statement of a {@link Query}: its text depends on the query's shape (how many items, and
 * how many types and tags each has), never on its values, which are bound as parameters. Each item
 * is read from the index that holds its matching events in position order, so that a read costs
 * about the number of events it returns, whatever the size of the log:
 * <ul>
 *   <li>an item with tags scans the tag table's {@code (tag, position)} key from its first tag
 *       (in sorted order), checks its other tags by key, and its types against the event;</li>
 *   <li>an item with types only scans the {@code (type, position)} index once per type;</li>
 *   <li>an item with neither scans the log.</li>
 * </ul>
 * Each scan stops at the read's {@code maxCount}; the union of their positions is read in order.
 */
final class QuerySql {

    /** The texts of the shapes met so far, a few hundred at most. */
    private final Map<String, String> texts = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > 256;
        }
    });

    private final String events;
    private final String tags;
    private final String eventColumns;

    QuerySql(TableNames tables) {
        this.events = tables.table("events");
        this.tags = tables.table("tags");
        this.eventColumns = EventColumn.selectList(EventColumn::column);
    }

    /**
     * The events that match {@code query}, in position order: parameters as {@link #bind} binds
     * them.
     */
    String read(Query query) {
        return texts.computeIfAbsent("read " + shape(query), k -> text(query, eventColumns));
    }

    /** The position of one event that matches {@code query}, if any (an append's condition). */
    String firstMatch(Query query) {
        return texts.computeIfAbsent("first " + shape(query), k -> text(query, "position"));
    }

    private static String shape(Query query) {
        StringBuilder out = new StringBuilder();
        for (QueryItem item : query.items()) {
            out.append(item.types().size())
                    .append('/')
                    .append(item.tags().size())
                    .append(' ');
        }
        return out.toString();
    }

    private String text(Query query, String columns) {
        List<String> scans = new ArrayList<>();
        for (QueryItem item : query.items()) {
            scans.addAll(scans(item));
        }
        StringBuilder sql = new StringBuilder("SELECT ")
                .append(columns)
                .append(" FROM ")
                .append(events)
                .append(" WHERE position IN (");
        for (int i = 0; i < scans.size(); i++) {
            if (i > 0) {
                sql.append(" UNION ALL ");
            }
            sql.append("SELECT position FROM (")
                    .append(scans.get(i))
                    .append(") AS q")
                    .append(i);
        }
        return sql.append(") ORDER BY position LIMIT ?").toString();
    }

    /** The scans of one item, each in position order, each bounded by the read's limit. */
    private List<String> scans(QueryItem item) {
        String window = "position > ? AND position < ?";
        if (!item.tags().isEmpty()) {
            StringBuilder scan =
                    new StringBuilder("SELECT t.position FROM ").append(tags).append(" t");
            if (!item.types().isEmpty()) {
                scan.append(" JOIN ").append(events).append(" e ON e.position = t.position");
            }
            scan.append(" WHERE t.tag = ? AND t.position > ? AND t.position < ?");
            for (int i = 1; i < item.tags().size(); i++) {
                scan.append(" AND EXISTS (SELECT 1 FROM ")
                        .append(tags)
                        .append(" x WHERE x.tag = ? AND x.position = t.position)");
            }
            if (!item.types().isEmpty()) {
                scan.append(" AND e.type IN (")
                        .append(String.join(
                                ", ", Collections.nCopies(item.types().size(), "?")))
                        .append(')');
            }
            return List.of(scan.append(" ORDER BY t.position LIMIT ?").toString());
        }
        String byType =
                "SELECT position FROM " + events + " WHERE type = ? AND " + window + " ORDER BY position LIMIT ?";
        if (!item.types().isEmpty()) {
            return Collections.nCopies(item.types().size(), byType);
        }
        return List.of("SELECT position FROM " + events + " WHERE " + window + " ORDER BY position LIMIT ?");
    }

    /**
     * Binds a statement of {@link #read} or {@link #firstMatch}: the events after
     * {@code afterPosition} and below {@code beforePosition}, at most {@code maxCount}.
     */
    static void bind(PreparedStatement ps, Query query, long afterPosition, long beforePosition, int maxCount)
            throws SQLException {
        int i = 0;
        for (QueryItem item : query.items()) {
            if (!item.tags().isEmpty()) {
                List<String> tags = List.copyOf(item.tags());
                ps.setString(++i, tags.get(0));
                ps.setLong(++i, afterPosition);
                ps.setLong(++i, beforePosition);
                for (int t = 1; t < tags.size(); t++) {
                    ps.setString(++i, tags.get(t));
                }
                for (String type : item.types()) {
                    ps.setString(++i, type);
                }
                ps.setInt(++i, maxCount);
            } else if (!item.types().isEmpty()) {
                for (String type : item.types()) {
                    ps.setString(++i, type);
                    ps.setLong(++i, afterPosition);
                    ps.setLong(++i, beforePosition);
                    ps.setInt(++i, maxCount);
                }
            } else {
                ps.setLong(++i, afterPosition);
                ps.setLong(++i, beforePosition);
                ps.setInt(++i, maxCount);
            }
        }
        ps.setInt(++i, maxCount);
    }
}
