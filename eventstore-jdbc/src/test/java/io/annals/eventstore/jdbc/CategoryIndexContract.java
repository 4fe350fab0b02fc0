package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.CategoryQuery;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.StreamAppend;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * A read by category goes through the index on the category and the position: its statement
 * repeats the indexed expression word for word, or the database would scan the log.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class CategoryIndexContract {

    /** A URL of a new, empty database. */
    protected abstract String newUrl();

    /** How the database explains a statement: the prefix to put before it. */
    protected abstract String explain();

    /** Statements that make the planner prefer an index it can use, run first; none by default. */
    protected List<String> preferIndexes() {
        return List.of();
    }

    @Test
    void a_read_by_category_scans_the_category_index() throws Exception {
        try (JdbcEventStore store = JdbcEventStore.open(newUrl())) {
            List<StreamAppend> appends = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                appends.add(new StreamAppend(
                        (i % 10 == 0 ? "product-" : "noise-") + i,
                        ExpectedVersion.any(),
                        List.of(EventData.of("Noted", "{}"))));
            }
            store.append(appends);
            for (CategoryQuery query : List.of(
                    CategoryQuery.of("product"),
                    CategoryQuery.of("product", "watch").withTypes(Set.of("Noted", "Other")))) {
                String plan = plan(store, query);
                assertThat(plan).as("plan of %s:%n%s", query, plan).contains("events_category_position");
                assertThat(store.readCategories(query, 0, 100)).hasSize(20);
            }
        }
    }

    private String plan(JdbcEventStore store, CategoryQuery query) throws Exception {
        CategorySql sql = store.categoryStatements();
        try (Connection c = store.dataSource().getConnection()) {
            try (Statement st = c.createStatement()) {
                for (String s : preferIndexes()) {
                    st.execute(s);
                }
            }
            try (PreparedStatement ps = c.prepareStatement(explain() + sql.read(query))) {
                sql.bind(ps, query, 0, Long.MAX_VALUE, 100);
                StringBuilder plan = new StringBuilder();
                try (ResultSet rs = ps.executeQuery()) {
                    int columns = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        plan.append(rs.getString(columns)).append('\n');
                    }
                }
                return plan.toString();
            }
        }
    }
}
