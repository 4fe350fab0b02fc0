package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.tck.EventStoreContract;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;

/** The whole contract on PostgreSQL, each store in a schema of its own. */
@Tag("postgres")
class PostgresEventStoreTest extends EventStoreContract {

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final PostgresTestDatabase DB = new PostgresTestDatabase();

    @AfterAll
    static void dropSchemas() {
        DB.dropAll();
    }

    @Override
    protected EventStore newStore(Clock clock, AppendLimits limits) {
        return JdbcEventStore.builder(DB.newSchemaUrl("contract"))
                .clock(clock)
                .limits(limits)
                .open();
    }

    /** jsonb keeps the tree, not the text: compare trees, numbers by value. */
    @Override
    protected void assertSameJson(String actual, String expected) {
        try {
            JsonNode a = JSON.readTree(actual);
            JsonNode e = JSON.readTree(expected);
            assertThat(a.equals(
                            (x, y) -> x.isNumber() && y.isNumber()
                                    ? x.decimalValue().compareTo(y.decimalValue())
                                    : x.equals(y) ? 0 : 1,
                            e))
                    .as("%s has the same JSON tree as %s", actual, expected)
                    .isTrue();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
