package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Applies the versioned SQL migrations of a dialect and records each in
 * {@code annals_schema_version}.
 *
 * <p>The migrations of a dialect are classpath resources in its folder, listed in order by an
 * index file named {@code migrations} (a jar cannot be listed reliably): {@code V1__events.sql},
 * {@code V2__...}. Each file runs in one write transaction with its row in the version table, so a
 * crash leaves the schema either before or after it, and two processes starting at once apply it
 * once. A file's statements end with a {@code ;} at the end of a line.
 */
final class Migrator {

    private static final Pattern NAME = Pattern.compile("V(\\d+)__(\\w+)\\.sql");

    private Migrator() {
    }

    /** A migration file. */
    record Migration(int version, String description, String resource) {
    }

    /** Brings the schema up to date; returns the schema version. */
    static int migrate(DataSource dataSource, Dialect dialect) {
        List<Migration> migrations = list(dialect);
        int known = migrations.isEmpty() ? 0 : migrations.get(migrations.size() - 1).version();
        try {
            for (Migration m : migrations) {
                dialect.inWriteTransaction(dataSource, c -> {
                    dialect.lockMigrations(c);
                    try (Statement st = c.createStatement()) {
                        st.execute(dialect.createSchemaVersionTable());
                        int current;
                        try (ResultSet rs = st.executeQuery(
                                "SELECT COALESCE(MAX(version), 0) FROM annals_schema_version")) {
                            rs.next();
                            current = rs.getInt(1);
                        }
                        if (current > known) {
                            throw new EventStoreException("the database schema is at version "
                                    + current + ", newer than this version of Annals knows ("
                                    + known + "); upgrade Annals");
                        }
                        if (current >= m.version()) {
                            return null;
                        }
                        if (current != m.version() - 1) {
                            throw new EventStoreException("schema migration " + m.resource()
                                    + " cannot follow version " + current);
                        }
                        for (String sql : statements(read(m.resource()))) {
                            st.execute(sql);
                        }
                    }
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO annals_schema_version"
                            + " (version, description, applied_at) VALUES (?, ?, ?)")) {
                        ps.setInt(1, m.version());
                        ps.setString(2, m.description());
                        ps.setString(3, Instant.now().toString());
                        ps.executeUpdate();
                    }
                    return null;
                });
            }
        } catch (SQLException e) {
            throw new EventStoreException("cannot migrate the " + dialect.name() + " schema: "
                    + e.getMessage(), e);
        }
        return known;
    }

    static List<Migration> list(Dialect dialect) {
        String index = read(dialect.migrationsPath() + "/migrations");
        List<Migration> out = new ArrayList<>();
        for (String line : index.split("\n")) {
            String name = line.strip();
            if (name.isEmpty() || name.startsWith("#")) {
                continue;
            }
            Matcher m = NAME.matcher(name);
            if (!m.matches()) {
                throw new IllegalStateException("bad migration name " + name);
            }
            int version = Integer.parseInt(m.group(1));
            if (version != out.size() + 1) {
                throw new IllegalStateException("migration " + name + " is out of sequence");
            }
            out.add(new Migration(version, m.group(2).replace('_', ' '),
                    dialect.migrationsPath() + "/" + name));
        }
        return out;
    }

    /** Splits a file at each {@code ;} that ends a line, outside {@code $$} blocks. */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inDollarBlock = false;
        for (String line : script.split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--") && current.length() == 0) {
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

    private static String read(String resource) {
        try (InputStream in = Migrator.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource, e);
        }
    }
}
