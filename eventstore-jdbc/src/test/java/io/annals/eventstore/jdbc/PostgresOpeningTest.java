package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.ReadOnlyStoreException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** How a store opens on PostgreSQL, each database a schema of its own. */
@Tag("postgres")
class PostgresOpeningTest extends OpeningContract {

    private static final ReliabilityDb DB = ReliabilityDb.postgres();
    private boolean remembered;

    @Override
    ReliabilityDb db() {
        if (!remembered) {
            remembered = true;
            remember(DB);
        }
        return DB;
    }

    @Override
    String folder() {
        return "db/postgresql";
    }

    @Override
    Set<String> tables(String url) throws SQLException {
        return tablesOf(url, schemaOf(url));
    }

    private static String schemaOf(String url) {
        return url.substring(url.indexOf("currentSchema=") + "currentSchema=".length())
                .split("&")[0];
    }

    /** The same database in sessions that refuse to write, as on a hot standby. */
    private static String readOnlySession(String url) {
        return url + "&options=-c%20default_transaction_read_only%3Don";
    }

    @Test
    void a_read_only_session_serves_a_store_opened_read_only() throws SQLException {
        String url = db().newUrl("ro_session");
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            store.append("s", ExpectedVersion.noStream(), List.of(EventData.of("E", "{\"n\":1}")));
        }

        try (JdbcEventStore store = JdbcEventStore.builder(readOnlySession(url))
                .openMode(OpenMode.READ_ONLY)
                .open()) {
            assertThat(store.readAll(0, 10)).hasSize(1);
            assertThat(store.readStream("s", 1, 10)).hasSize(1);
            assertThatThrownBy(() -> store.append("s", ExpectedVersion.any(), List.of(EventData.of("E", "{}"))))
                    .isInstanceOf(ReadOnlyStoreException.class);
        }
    }

    @Test
    void a_read_only_session_refuses_a_store_that_would_migrate_saying_how_to_read() throws SQLException {
        String url = db().newUrl("ro_migrate");
        JdbcEventStore.open(url).close();

        assertThatThrownBy(() -> JdbcEventStore.open(readOnlySession(url)))
                .isInstanceOf(ReadOnlyStoreException.class)
                .hasMessageContaining("refuses writes")
                .hasMessageContaining("READ_ONLY");
    }

    @Test
    void stores_opened_at_once_on_a_new_schema_all_open_and_migrate_it_once() throws Exception {
        String schema =
                "annals_race_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        int openers = 6;
        ExecutorService pool = Executors.newFixedThreadPool(openers);
        CyclicBarrier start = new CyclicBarrier(openers);
        try {
            List<Future<Long>> opened = new ArrayList<>();
            for (int i = 0; i < openers; i++) {
                opened.add(pool.submit(() -> {
                    start.await();
                    try (JdbcEventStore store = JdbcEventStore.builder(PostgresTestDatabase.URL)
                            .schema(schema)
                            .maxPoolSize(2)
                            .open()) {
                        return store.countEvents();
                    }
                }));
            }
            for (Future<Long> f : opened) {
                assertThat(f.get()).isZero();
            }
            assertThat(count(PostgresTestDatabase.URL, schema + ".annals_schema_version"))
                    .isEqualTo(latest());
        } finally {
            pool.shutdownNow();
            PostgresTestDatabase.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    @Test
    void stores_with_different_prefixes_opened_at_once_on_a_new_schema_all_open() throws Exception {
        List<String> prefixes = List.of("shop_", "audit_", "billing_", "stock_");
        ExecutorService pool = Executors.newFixedThreadPool(prefixes.size());
        try {
            for (int round = 0; round < 5; round++) {
                String schema = "annals_share_"
                        + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
                CyclicBarrier start = new CyclicBarrier(prefixes.size());
                List<Future<Long>> opened = new ArrayList<>();
                for (String prefix : prefixes) {
                    opened.add(pool.submit(() -> {
                        start.await();
                        try (JdbcEventStore store = JdbcEventStore.builder(PostgresTestDatabase.URL)
                                .schema(schema)
                                .tablePrefix(prefix)
                                .maxPoolSize(2)
                                .open()) {
                            return store.countEvents();
                        }
                    }));
                }
                try {
                    for (Future<Long> f : opened) {
                        assertThat(f.get()).as("round %d", round).isZero();
                    }
                } finally {
                    PostgresTestDatabase.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void a_role_that_may_not_create_schemas_opens_a_store_in_the_schema_it_was_given() throws Exception {
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String role = "annals_app_" + suffix;
        String schema = "annals_given_" + suffix;
        // What a DBA does for an application: a login role, and a schema it owns; no right to
        // create schemas in the database (the default for a new role).
        PostgresTestDatabase.execute("CREATE ROLE " + role + " LOGIN");
        try {
            PostgresTestDatabase.execute("CREATE SCHEMA " + schema + " AUTHORIZATION " + role);
            String url = PostgresTestDatabase.urlAs(role);
            try (JdbcEventStore store =
                    JdbcEventStore.builder(url).schema(schema).open()) {
                store.append("s", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}")));
                assertThat(store.readAll(0, 10)).hasSize(1);
            }
        } finally {
            PostgresTestDatabase.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            PostgresTestDatabase.execute("DROP ROLE IF EXISTS " + role);
        }
    }

    @Test
    void the_schema_script_qualifies_every_table_with_the_schema() {
        String script = SchemaScript.script(List.of("postgresql", "--schema", "shop"));

        assertThat(script)
                .contains(
                        "CREATE SCHEMA IF NOT EXISTS \"shop\"",
                        "CREATE TABLE \"shop\".annals_events",
                        "INSERT INTO \"shop\".annals_log",
                        "INSERT INTO \"shop\".annals_schema_version")
                .doesNotContain("{");
    }
}
