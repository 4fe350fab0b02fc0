package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.snapshot.Snapshot;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The databases written by a released version of Annals, kept in
 * {@code src/test/resources/fixtures/<version>/}: every later build must open and migrate them
 * ({@code SqliteFixtureDatabaseTest}, {@code PostgresFixtureDatabaseTest}). Each release adds its
 * own fixtures and never rewrites those of an earlier one. To write this version's, from the
 * repository root (PostgreSQL on 127.0.0.1:5432, {@code pg_dump} on the path):
 *
 * <pre>
 * mvn -q -pl eventstore-jdbc -am test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.annals.eventstore.jdbc.FixtureDatabases
 * </pre>
 */
final class FixtureDatabases {

    /** The version whose fixtures this class writes. */
    static final String VERSION = "0.1.0";
    /** The schema the PostgreSQL fixture was written in; a restore renames it. */
    static final String PG_SCHEMA = "annals_fixture";

    static final Instant RECORDED_AT = Instant.parse("2026-11-29T12:00:00Z");

    /** One appended event of the fixture. */
    record Appended(String streamId, long version, UUID eventId, long amount, Map<String, String> metadata) {
        EventData data() {
            return new EventData(eventId, "Deposited", "{\"amount\":" + amount + "}", metadata);
        }
    }

    /** Every event of the fixture, in append order. */
    static final List<Appended> EVENTS = List.of(
            new Appended("acct-1", 1, id(1), 5, Map.of("user", "ann")),
            new Appended("acct-1", 2, id(2), 7, Map.of()),
            new Appended("acct-2", 1, id(3), 11, Map.of("user", "bob", "note", "é \u2603")),
            new Appended("acct-1", 3, id(4), -2, Map.of()),
            new Appended("acct-3", 1, id(5), 1, Map.of()),
            new Appended("acct-3", 2, id(6), 0, Map.of())); // a zero deposit deletes the row

    /** The keyed read model the fixture's projection "totals" holds. */
    static final Map<String, ProjectionRunnerContract.Total> TOTALS_ROWS = Map.of(
            "acct-1", new ProjectionRunnerContract.Total(10, 3),
            "acct-2", new ProjectionRunnerContract.Total(11, 1));

    /** The snapshot of acct-1 the fixture holds. */
    static final Snapshot SNAPSHOT = new Snapshot("acct-1", 2, id(2), 1, "{\"sum\":12}", RECORDED_AT);

    static UUID id(int n) {
        return UUID.fromString(String.format("00000000-0000-7000-8000-%012d", n));
    }

    static JdbcEventStore.Builder configure(JdbcEventStore.Builder builder) {
        return builder.clock(Clock.fixed(RECORDED_AT, ZoneOffset.UTC));
    }

    /** Writes the fixture's content into an empty store. */
    static void write(JdbcEventStore store) {
        for (int i = 0; i < EVENTS.size(); i++) {
            Appended e = EVENTS.get(i);
            // acct-1's first two events are one append, the others one each
            if (i == 0) {
                store.append(
                        e.streamId(),
                        ExpectedVersion.noStream(),
                        List.of(e.data(), EVENTS.get(1).data()));
                i++;
                continue;
            }
            store.append(e.streamId(), ExpectedVersion.exactly(e.version() - 1), List.of(e.data()));
        }
        store.snapshots().save(SNAPSHOT);
        KeyedProjector<String, ProjectionRunnerContract.Total> totals =
                store.projectors().keyed(new ProjectionRunnerContract.Totals("totals"), CODEC, TOTALS);
        try (ProjectionRunner runner =
                ProjectionRunner.builder(store).add(totals).build()) {
            runner.catchUp();
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of("eventstore-jdbc/src/test/resources/fixtures", VERSION);
        Files.createDirectories(dir);
        Path sqlite = dir.resolve("annals.db");
        Files.deleteIfExists(sqlite);
        try (JdbcEventStore store =
                configure(JdbcEventStore.builder("jdbc:sqlite:" + sqlite)).open()) {
            write(store);
        }
        PostgresTestDatabase.execute("DROP SCHEMA IF EXISTS " + PG_SCHEMA + " CASCADE");
        try (JdbcEventStore store = configure(JdbcEventStore.builder(PostgresTestDatabase.URL))
                .schema(PG_SCHEMA)
                .open()) {
            write(store);
        }
        Path dump = dir.resolve("postgresql.sql");
        Process p = new ProcessBuilder(
                        "pg_dump",
                        "--host=127.0.0.1",
                        "--username=postgres",
                        "--schema=" + PG_SCHEMA,
                        "--inserts",
                        "--no-owner",
                        "--no-privileges",
                        "--no-comments",
                        "test")
                .redirectOutput(dump.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        if (p.waitFor() != 0) {
            throw new IOException("pg_dump failed");
        }
        PostgresTestDatabase.execute("DROP SCHEMA " + PG_SCHEMA + " CASCADE");
        System.out.println("wrote " + sqlite + " and " + dump + " ("
                + Files.readString(dump, StandardCharsets.UTF_8).length() + " characters)");
    }

    private FixtureDatabases() {}
}
