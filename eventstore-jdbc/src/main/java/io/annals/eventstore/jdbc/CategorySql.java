package io.annals.eventstore.jdbc;

import io.annals.eventstore.CategoryQuery;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The statement of a {@link CategoryQuery}: one scan per category of the index on the category
 * and the position (bounded by the read's limit, so that it stops early), the union of their
 * positions read in order. Its text depends on the number of categories and whether types are
 * named, never on the values, which are bound.
 */
final class CategorySql {

    /** The texts by shape: at most {@link CategoryQuery#MAX_CATEGORIES} times two. */
    private final Map<String, String> texts = new ConcurrentHashMap<>();

    private final String events;
    private final String eventColumns;
    private final String categoryOf;
    private final String inList;
    private final Dialect dialect;

    CategorySql(Dialect dialect) {
        this.dialect = dialect;
        this.events = dialect.tables().table("events");
        this.eventColumns = EventColumn.selectList(EventColumn::column);
        this.categoryOf = dialect.sql("category-of").strip();
        this.inList = " " + dialect.sql("in-list").strip();
    }

    /** The events of {@code query}, in position order: parameters as {@link #bind} binds them. */
    String read(CategoryQuery query) {
        int n = query.categories().size();
        boolean typed = !query.types().isEmpty();
        return texts.computeIfAbsent(n + (typed ? "t" : ""), k -> {
            StringBuilder sql = new StringBuilder("SELECT ")
                    .append(eventColumns)
                    .append(" FROM ")
                    .append(events)
                    .append(" WHERE position IN (");
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    sql.append(" UNION ALL ");
                }
                sql.append("SELECT position FROM (SELECT position FROM ")
                        .append(events)
                        .append(" WHERE ")
                        .append(categoryOf)
                        .append(" = ? AND position > ? AND position < ?");
                if (typed) {
                    sql.append(" AND type").append(inList);
                }
                sql.append(" ORDER BY position LIMIT ?) AS c").append(i);
            }
            return sql.append(") ORDER BY position LIMIT ?").toString();
        });
    }

    /** Binds a statement of {@link #read}: after {@code after}, below {@code before}. */
    void bind(PreparedStatement ps, CategoryQuery query, long after, long before, int maxCount) throws SQLException {
        List<String> types = new ArrayList<>(query.types());
        int i = 0;
        for (String category : query.categories()) {
            ps.setString(++i, category);
            ps.setLong(++i, after);
            ps.setLong(++i, before);
            if (!types.isEmpty()) {
                dialect.bindList(ps, ++i, types);
            }
            ps.setInt(++i, maxCount);
        }
        ps.setInt(++i, maxCount);
    }
}
