package io.annals.eventstore.jdbc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The schema's versions: applies the migrations of a dialect, or checks that they were applied.
 *
 * <p>The migrations are files in the dialect's folder, listed in order by an index file named
 * {@code migrations} (a jar cannot be listed reliably): {@code V1__events_and_snapshots.sql},
 * {@code V2__...}. They are append-only: once released a file never changes, and each applied
 * one is recorded in the schema-version table with the SHA-256 of its text, checked every time a
 * store opens, so an edited migration (or a database written by another build) is caught before
 * anything runs on it. Each file runs in one write transaction with its row in the version table,
 * so a crash leaves the schema either before or after it, and two processes starting at once
 * apply it once. A file's statements end with a {@code ;} at the end of a line.
 */
final class Migrator {

    private static final Pattern NAME = Pattern.compile("V(\\d+)__(\\w+)\\.sql");

    /**
     * One migration file.
     *
     * @param version its number, from 1
     * @param description its name, words separated by spaces
     * @param resource its class-path location
     * @param text its text as released (placeholders not filled in)
     * @param checksum the SHA-256 of {@code text}, in hex
     */
    record Migration(int version, String description, String resource, String text, String checksum) {}

    /** An applied migration, as the version table records it. */
    private record Applied(int version, String description, String checksum) {}

    private final Dialect dialect;
    private final List<Migration> migrations;

    Migrator(Dialect dialect) {
        this.dialect = dialect;
        this.migrations = list(dialect.folder());
    }

    /** The migrations of the dialect whose SQL lives in {@code folder}, in order. */
    static List<Migration> list(String folder) {
        List<Migration> out = new ArrayList<>();
        for (String line : SqlText.resource(folder + "/migrations").split("\n")) {
            String name = line.strip();
            if (name.isEmpty() || name.startsWith("#")) {
                continue;
            }
            Matcher m = NAME.matcher(name);
            if (!m.matches() || Integer.parseInt(m.group(1)) != out.size() + 1) {
                throw new IllegalStateException("migration " + name + " is misnamed or out of sequence");
            }
            String text = SqlText.resource(folder + "/" + name);
            out.add(new Migration(
                    out.size() + 1, m.group(2).replace('_', ' '), folder + "/" + name, text, sha256(text)));
        }
        return List.copyOf(out);
    }

    /** The version this code brings a schema to. */
    int latest() {
        return migrations.size();
    }

    /**
     * Brings the schema up to date, checking the migrations applied before.
     *
     * @throws SchemaVersionException if the schema is newer than this code or was migrated by
     *     other migrations
     */
    void migrate(DataSource dataSource, Clock clock) throws SQLException {
        for (Migration m : migrations) {
            dialect.inWriteTransaction(dataSource, c -> {
                dialect.prepareMigration(c);
                try (Statement st = c.createStatement()) {
                    st.execute(dialect.sql("create-schema-version-table"));
                }
                List<Applied> applied = check(c);
                if (applied.size() >= m.version()) {
                    return null;
                }
                try (Statement st = c.createStatement()) {
                    for (String sql : statements(expand(m))) {
                        st.execute(sql);
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(dialect.sql("record-migration"))) {
                    ps.setInt(1, m.version());
                    ps.setString(2, m.description());
                    ps.setString(3, m.checksum());
                    ps.setString(4, clock.instant().toString());
                    ps.executeUpdate();
                }
                return null;
            });
        }
    }

    /**
     * Checks, writing nothing, that the schema is exactly at this code's version.
     *
     * @throws SchemaVersionException if it is not: no schema at all, missing versions (named),
     *     newer versions, or migrations other than this code's
     */
    void validate(DataSource dataSource) throws SQLException {
        try (Connection c = dialect.open(dataSource)) {
            if (!dialect.tableExists(c, "schema_version")) {
                throw new SchemaVersionException("the database has no Annals schema (no table "
                        + dialect.tables().unqualified("schema_version")
                        + (dialect.tables().schema() == null
                                ? ""
                                : " in schema " + dialect.tables().schema()) + "): open the store in MIGRATE "
                        + "mode once, or apply the DDL that JdbcEventStore.Builder.ddl() prints "
                        + "(SchemaScript on the command line)");
            }
            List<Applied> applied = check(c);
            if (applied.size() < migrations.size()) {
                List<Migration> missing = migrations.subList(applied.size(), migrations.size());
                throw new SchemaVersionException("the database schema is at version "
                        + applied.size() + ", this version of Annals needs " + latest()
                        + "; missing: "
                        + missing.stream().map(Migration::resource).collect(Collectors.joining(", "))
                        + ". Open the store in MIGRATE mode, or apply the migrations after version "
                        + applied.size() + ": JdbcEventStore.Builder.ddlAfter(" + applied.size()
                        + ") prints them (SchemaScript ... --after " + applied.size() + ")");
            }
        }
    }

    /** The applied migrations, checked against this code's. */
    private List<Applied> check(Connection c) throws SQLException {
        List<Applied> applied = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(dialect.sql("read-schema-versions"))) {
            while (rs.next()) {
                applied.add(new Applied(rs.getInt(1), rs.getString(2), rs.getString(3)));
            }
        } catch (SQLException e) {
            throw new SchemaVersionException(
                    "cannot read the schema versions in "
                            + dialect.tables().unqualified("schema_version") + " (a database written by "
                            + "a development build of Annals before 0.1.0 has no checksums and cannot be "
                            + "migrated: export its events and append them to a new store): "
                            + e.getMessage(),
                    e);
        }
        for (int i = 0; i < applied.size(); i++) {
            Applied a = applied.get(i);
            if (a.version() > migrations.size()) {
                throw new SchemaVersionException("the database schema is at version " + a.version()
                        + ", newer than this version of Annals knows (" + latest()
                        + "); upgrade Annals");
            }
            Migration m = migrations.get(i);
            if (a.version() != m.version() || !a.checksum().equals(m.checksum())) {
                throw new SchemaVersionException("the database's migration " + a.version() + " ("
                        + a.description() + ") is not " + m.resource() + " of this version of "
                        + "Annals: its checksum is " + a.checksum() + ", expected " + m.checksum()
                        + " (a released migration was edited, or the database was written by "
                        + "another build)");
            }
        }
        return applied;
    }

    /** A migration's statements with the dialect's table names filled in. */
    private String expand(Migration m) {
        return SqlText.expand(m.text(), dialect.placeholders(), m.resource());
    }

    /**
     * The migrations after version {@code after} as one script, for applications that run their
     * DDL with a tool of their own (Flyway, Liquibase), with the rows that record them and their
     * checksums, so that a store opened in {@link OpenMode#VALIDATE} mode accepts the result.
     * After version 0 it is the whole schema, for an empty database; after the version a
     * database is at, it brings that database up to date.
     *
     * @throws IllegalArgumentException if {@code after} is negative or above {@link #latest()}
     */
    String ddl(Clock clock, int after) {
        if (after < 0 || after > latest()) {
            throw new IllegalArgumentException(
                    "a schema version is between 0 and " + latest() + " in this version of Annals, was " + after);
        }
        StringBuilder out = new StringBuilder();
        out.append("-- The schema of an Annals ")
                .append(dialect.name())
                .append(" event store, ")
                .append(after == 0 ? "version " + latest() : "from version " + after + " to " + latest())
                .append(", with table prefix '")
                .append(dialect.tables().prefix())
                .append("'.\n")
                .append("-- Written by JdbcEventStore.Builder.ddl(); apply it once, in one transaction.\n\n");
        if (after == 0) {
            if (dialect.tables().schema() != null) {
                out.append(dialect.sql("create-schema")).append(";\n\n");
            }
            out.append(dialect.sql("create-schema-version-table")).append(";\n");
        }
        for (Migration m : migrations.subList(after, migrations.size())) {
            out.append("\n-- ")
                    .append(m.resource())
                    .append("\n")
                    .append(expand(m).strip())
                    .append('\n');
            String recorded = "(" + m.version() + ", '" + m.description() + "', '" + m.checksum() + "', '"
                    + clock.instant() + "')";
            out.append(dialect.sql("record-migration").replace("(?, ?, ?, ?)", recorded))
                    .append(";\n");
        }
        return out.toString();
    }

    /** Splits a file at each {@code ;} that ends a line, outside {@code $$} blocks. */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inDollarBlock = false;
        for (String line : script.split("\n", -1)) {
            String trimmed = line.strip();
            if ((trimmed.isEmpty() || trimmed.startsWith("--")) && current.length() == 0) {
                continue;
            }
            current.append(line).append('\n');
            int dollars = line.split("\\$\\$", -1).length - 1;
            if (dollars % 2 == 1) {
                inDollarBlock = !inDollarBlock;
            }
            if (!inDollarBlock && trimmed.endsWith(";")) {
                String sql = current.toString().strip();
                out.add(sql.substring(0, sql.length() - 1));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            throw new IllegalStateException("a migration ends without ';': " + current);
        }
        return out;
    }

    static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
