package io.annals.eventstore.jdbc;

import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The statement of a {@link Query}: its text depends on the query's shape (how many items, and
 * whether each has no, one or several types and tags), never on its values, which are bound as
 * parameters (several values as one list parameter). Each item is one scan, read from the index
 * that holds its matching events in position order, so that a read costs about the number of
 * events it returns, whatever the size of the log:
 * <ul>
 *   <li>an item with tags scans the tag table's {@code (tag, position)} key from its first tag
 *       (in sorted order), and checks its other tags and its types against the event;</li>
 *   <li>an item with one type scans the {@code (type, position)} index; with several types, the
 *       same index for each of them, then sorts what matched (a cost of the matching events);</li>
 *   <li>an item with neither scans the log.</li>
 * </ul>
 * Each scan stops at the read's {@code maxCount}; the union of their positions is read in order.
 * A query of 100 items is 100 scans, whatever the number of types and tags they name.
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

    private final Dialect dialect;
    private final String events;
    private final String tags;
    private final String eventColumns;
    private final String inList;

    QuerySql(Dialect dialect) {
        this.dialect = dialect;
        this.events = dialect.tables().table("events");
        this.tags = dialect.tables().table("tags");
        this.eventColumns = EventColumn.selectList(EventColumn::column);
        this.inList = " " + dialect.sql("in-list");
    }

    /**
     * The events that match {@code query}, in position order: parameters as {@link #bind} binds
     * them.
     */
    String read(Query query) {
        return texts.computeIfAbsent("read " + shape(query), k -> text(query, eventColumns, "?"));
    }

    /**
     * {@link #read}, bounded by {@code bound}, an SQL expression, instead of a parameter: the
     * rows' statement of {@link Dialect#horizonThen}. Parameters as {@link #bindAbove} binds them.
     */
    String readBelow(Query query, String bound) {
        return texts.computeIfAbsent("below " + shape(query), k -> text(query, eventColumns, bound));
    }

    /** The position of one event that matches {@code query}, if any (an append's condition). */
    String firstMatch(Query query) {
        return texts.computeIfAbsent("first " + shape(query), k -> text(query, "position", "?"));
    }

    /**
     * {@code statement}, a statement of its own that holds {@code placeholder} once, with the
     * {@link #firstMatch} query of {@code query} in its place: parameters as {@link #bind} binds
     * them, from where the placeholder stands.
     */
    String withFirstMatch(String statement, String placeholder, Query query) {
        String match = firstMatch(query);
        return texts.computeIfAbsent(
                "within " + statement.hashCode() + " " + shape(query), k -> statement.replace(placeholder, match));
    }

    private static String shape(Query query) {
        StringBuilder out = new StringBuilder();
        for (QueryItem item : query.items()) {
            out.append(count(item.types().size())).append(count(item.tags().size()));
        }
        return out.toString();
    }

    /** None, one or several. */
    private static char count(int n) {
        return n == 0 ? '0' : n == 1 ? '1' : 'n';
    }

    private String text(Query query, String columns, String before) {
        StringBuilder sql = new StringBuilder("SELECT ")
                .append(columns)
                .append(" FROM ")
                .append(events)
                .append(" WHERE position IN (");
        List<QueryItem> items = query.items();
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sql.append(" UNION ALL ");
            }
            sql.append("SELECT position FROM (")
                    .append(scan(items.get(i), before))
                    .append(") AS q")
                    .append(i);
        }
        return sql.append(") ORDER BY position LIMIT ?").toString();
    }

    /** The scan of one item, in position order, bounded by the read's limit. */
    private String scan(QueryItem item, String before) {
        if (!item.tags().isEmpty()) {
            StringBuilder scan =
                    new StringBuilder("SELECT t.position FROM ").append(tags).append(" t");
            if (!item.types().isEmpty()) {
                scan.append(" JOIN ").append(events).append(" e ON e.position = t.position");
            }
            scan.append(" WHERE t.tag = ? AND t.position > ? AND t.position < ").append(before);
            if (item.tags().size() > 1) {
                // the other tags, all of them (a tag is in an event once)
                scan.append(" AND (SELECT count(*) FROM ")
                        .append(tags)
                        .append(" x WHERE x.position = t.position AND x.tag")
                        .append(inList)
                        .append(") = ?");
            }
            if (item.types().size() == 1) {
                scan.append(" AND e.type = ?");
            } else if (!item.types().isEmpty()) {
                scan.append(" AND e.type").append(inList);
            }
            return scan.append(" ORDER BY t.position LIMIT ?").toString();
        }
        String type =
                item.types().isEmpty() ? "" : item.types().size() == 1 ? "type = ? AND " : "type" + inList + " AND ";
        return "SELECT position FROM " + events + " WHERE " + type + "position > ? AND position < " + before
                + " ORDER BY position LIMIT ?";
    }

    /**
     * Binds a statement of {@link #read} or {@link #firstMatch}: the events after
     * {@code afterPosition} and below {@code beforePosition}, at most {@code maxCount}.
     */
    void bind(PreparedStatement ps, Query query, long afterPosition, long beforePosition, int maxCount)
            throws SQLException {
        bind(ps, 0, query, afterPosition, beforePosition, maxCount);
    }

    /**
     * {@link #bind(PreparedStatement, Query, long, long, int)} after the first {@code bound}
     * parameters of a statement that holds the query.
     *
     * @return the index of the last parameter bound
     */
    int bind(PreparedStatement ps, int bound, Query query, long afterPosition, long beforePosition, int maxCount)
            throws SQLException {
        return bind(ps, bound, query, afterPosition, OptionalLong.of(beforePosition), maxCount);
    }

    /** Binds a statement of {@link #readBelow}: the events after {@code afterPosition}, at most {@code maxCount}. */
    void bindAbove(PreparedStatement ps, Query query, long afterPosition, int maxCount) throws SQLException {
        bind(ps, 0, query, afterPosition, OptionalLong.empty(), maxCount);
    }

    private int bind(
            PreparedStatement ps, int bound, Query query, long afterPosition, OptionalLong before, int maxCount)
            throws SQLException {
        int i = bound;
        for (QueryItem item : query.items()) {
            List<String> types = List.copyOf(item.types());
            if (!item.tags().isEmpty()) {
                List<String> tags = List.copyOf(item.tags());
                ps.setString(++i, tags.get(0));
                ps.setLong(++i, afterPosition);
                if (before.isPresent()) {
                    ps.setLong(++i, before.getAsLong());
                }
                if (tags.size() > 1) {
                    dialect.bindList(ps, ++i, tags.subList(1, tags.size()));
                    ps.setInt(++i, tags.size() - 1);
                }
                if (types.size() == 1) {
                    ps.setString(++i, types.get(0));
                } else if (!types.isEmpty()) {
                    dialect.bindList(ps, ++i, types);
                }
            } else {
                if (types.size() == 1) {
                    ps.setString(++i, types.get(0));
                } else if (!types.isEmpty()) {
                    dialect.bindList(ps, ++i, types);
                }
                ps.setLong(++i, afterPosition);
                if (before.isPresent()) {
                    ps.setLong(++i, before.getAsLong());
                }
            }
            ps.setInt(++i, maxCount);
        }
        ps.setInt(++i, maxCount);
        return i;
    }
}
