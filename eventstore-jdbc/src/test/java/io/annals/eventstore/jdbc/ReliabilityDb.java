package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The database a reliability scenario runs on: a new SQLite file or a new PostgreSQL schema per
 * call of {@link #newUrl}, plus what differs between the two in these tests (the integrity check,
 * the test triggers).
 */
abstract class ReliabilityDb {

    private static final java.util.concurrent.atomic.AtomicInteger FILES =
            new java.util.concurrent.atomic.AtomicInteger();

    /** "SQLite" or "PostgreSQL", for messages. */
    abstract String name();

    /** A JDBC URL on a new, empty database. */
    abstract String newUrl(String prefix);

    /** Fails if the database is damaged (SQLite: {@code PRAGMA integrity_check}). */
    abstract void checkIntegrity(String url) throws SQLException;

    /**
     * Makes every insert of an event of type {@code Aborted} fail inside the append's
     * transaction, after the events before it in the same append were inserted: an append that
     * rolls back half-way.
     */
    abstract void installAbortTrigger(String url) throws SQLException;

    /**
     * Makes every insert sleep a random 0 to {@code maxMillis} ms before its transaction commits
     * (PostgreSQL, where transactions then commit out of order); nothing on SQLite, whose writers
     * are serialised anyway.
     */
    abstract void installSlowCommitTrigger(String url, int maxMillis) throws SQLException;

    /** Drops what {@link #newUrl} created. */
    abstract void dropAll();

    static void execute(String url, String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    /** SQLite files in a folder. */
    static ReliabilityDb sqlite(Path dir) {
        return new ReliabilityDb() {

            @Override
            String name() {
                return "SQLite";
            }

            @Override
            String newUrl(String prefix) {
                return "jdbc:sqlite:" + dir.resolve(prefix + "-" + FILES.incrementAndGet() + ".db");
            }

            @Override
            void checkIntegrity(String url) throws SQLException {
                try (Connection c = DriverManager.getConnection(url);
                        Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
                    List<String> problems = new ArrayList<>();
                    while (rs.next()) {
                        problems.add(rs.getString(1));
                    }
                    assertThat(problems).as("PRAGMA integrity_check of %s", url).containsExactly("ok");
                }
            }

            @Override
            void installAbortTrigger(String url) throws SQLException {
                execute(url, """
                        CREATE TRIGGER abort_marked BEFORE INSERT ON annals_events WHEN NEW.type = 'Aborted'
                        BEGIN SELECT RAISE(ABORT, 'aborted by the test trigger'); END""");
            }

            @Override
            void installSlowCommitTrigger(String url, int maxMillis) {
                // one writer at a time: nothing can commit out of order
            }

            @Override
            void dropAll() {
                // the folder is a @TempDir
            }
        };
    }

    /** Schemas of their own on the test server; see {@link PostgresTestDatabase}. */
    static ReliabilityDb postgres() {
        PostgresTestDatabase db = new PostgresTestDatabase();
        return new ReliabilityDb() {
            @Override
            String name() {
                return "PostgreSQL";
            }

            @Override
            String newUrl(String prefix) {
                return db.newSchemaUrl(prefix.replace('-', '_'));
            }

            @Override
            void checkIntegrity(String url) throws SQLException {
                // Index and heap agree: every event found through the primary key is found through
                // the unique indexes too (a cheap stand-in for amcheck, which is an extension).
                try (Connection c = DriverManager.getConnection(url);
                        Statement st = c.createStatement()) {
                    st.execute("SET enable_seqscan = off");
                    long byPosition = count(st, "SELECT COUNT(*) FROM annals_events WHERE position > 0");
                    long byVersion = count(st, "SELECT COUNT(*) FROM annals_events WHERE stream_id >= ''");
                    st.execute("SET enable_seqscan = on");
                    st.execute("SET enable_indexscan = off");
                    st.execute("SET enable_bitmapscan = off");
                    long heap = count(st, "SELECT COUNT(*) FROM annals_events");
                    assertThat(byPosition).as("events by position index").isEqualTo(heap);
                    assertThat(byVersion)
                            .as("events by (stream, version) index")
                            .isEqualTo(heap);
                }
            }

            private long count(Statement st, String sql) throws SQLException {
                try (ResultSet rs = st.executeQuery(sql)) {
                    rs.next();
                    return rs.getLong(1);
                }
            }

            @Override
            void installAbortTrigger(String url) throws SQLException {
                execute(
                        url,
                        """
                        CREATE FUNCTION abort_marked() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            RAISE EXCEPTION 'aborted by the test trigger';
                        END $$""",
                        "CREATE TRIGGER abort_marked BEFORE INSERT ON annals_events FOR EACH ROW "
                                + "WHEN (NEW.type = 'Aborted') EXECUTE FUNCTION abort_marked()");
            }

            @Override
            void installSlowCommitTrigger(String url, int maxMillis) throws SQLException {
                String name = "slow_" + UUID.randomUUID().toString().substring(0, 8);
                execute(
                        url,
                        "CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                                + "BEGIN PERFORM pg_sleep(random() * " + maxMillis / 1000.0 + "); RETURN NULL; END $$",
                        "CREATE TRIGGER " + name + " AFTER INSERT ON annals_events FOR EACH ROW " + "EXECUTE FUNCTION "
                                + name + "()");
            }

            @Override
            void dropAll() {
                db.dropAll();
            }
        };
    }
}
