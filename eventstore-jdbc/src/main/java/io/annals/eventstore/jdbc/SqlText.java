package io.annals.eventstore.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The SQL of one database, read from its folder on the class path: {@code statements.sql} holds
 * every statement the store runs, each under a {@code -- name:} line; the migrations are files of
 * their own (see {@link Migrator}). Placeholders such as {@code {events}} are filled in once, when
 * the store opens, from configuration that was checked to be plain identifiers; nothing of a
 * caller's data is ever part of the text.
 */
final class SqlText {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)}");
    private static final String NAME = "-- name:";

    private final String folder;
    /** Each statement, or the error of filling it in (a placeholder without a value here). */
    private final Map<String, Object> statements;

    private SqlText(String folder, Map<String, Object> statements) {
        this.folder = folder;
        this.statements = statements;
    }

    /**
     * Reads {@code folder/statements.sql} and fills in {@code placeholders}. A statement with a
     * placeholder that has no value (the schema, when none is configured) fails when it is asked
     * for, not here: the store asks for every statement it uses when it opens.
     *
     * @throws IllegalStateException if the file is missing or names a statement twice
     */
    static SqlText load(String folder, Map<String, String> placeholders) {
        String file = folder + "/statements.sql";
        Map<String, Object> out = new LinkedHashMap<>();
        @Nullable String name = null;
        StringBuilder text = new StringBuilder();
        for (String line : resource(file).split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.startsWith(NAME)) {
                put(out, file, name, text, placeholders);
                name = trimmed.substring(NAME.length()).strip();
                text.setLength(0);
            } else if (!trimmed.startsWith("--") && name != null) {
                text.append(line).append('\n');
            }
        }
        put(out, file, name, text, placeholders);
        return new SqlText(folder, Map.copyOf(out));
    }

    private static void put(
            Map<String, Object> out,
            String file,
            @Nullable String name,
            StringBuilder text,
            Map<String, String> placeholders) {
        if (name == null) {
            return;
        }
        String sql = text.toString().strip();
        if (sql.endsWith(";")) {
            sql = sql.substring(0, sql.length() - 1).strip();
        }
        Object expanded;
        try {
            expanded = expand(sql, placeholders, file + " (" + name + ")");
        } catch (IllegalStateException e) {
            expanded = e;
        }
        if (sql.isEmpty() || out.put(name, expanded) != null) {
            throw new IllegalStateException(file + ": statement '" + name + "' is empty or named twice");
        }
    }

    /**
     * The statement named {@code name}.
     *
     * @throws IllegalStateException if the dialect's file has no such statement
     */
    String get(String name) {
        Object sql = statements.get(name);
        if (sql == null) {
            throw new IllegalStateException(folder + "/statements.sql has no statement '" + name + "'");
        }
        if (sql instanceof IllegalStateException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return (String) sql;
    }

    /**
     * Fills in the {@code {name}} placeholders of {@code sql}.
     *
     * @throws IllegalStateException naming {@code where} if a placeholder is not given
     */
    static String expand(String sql, Map<String, String> placeholders, String where) {
        Matcher m = PLACEHOLDER.matcher(sql);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = placeholders.get(m.group(1));
            if (value == null) {
                throw new IllegalStateException(where + ": no value for the placeholder {" + m.group(1) + "} (known: "
                        + placeholders.keySet() + ")");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * A resource of this module as text. Looked up through this class, not its class loader: on
     * the module path the SQL folders are packages of this module that it does not open.
     */
    static String resource(String path) {
        try (InputStream in = SqlText.class.getResourceAsStream("/" + path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path, e);
        }
    }
}
