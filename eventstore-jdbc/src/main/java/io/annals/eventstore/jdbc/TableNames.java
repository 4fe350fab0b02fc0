package io.annals.eventstore.jdbc;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The names of the store's tables: a prefix ({@code annals_} by default), so that they never
 * collide with the application's own tables, and on PostgreSQL an optional schema that qualifies
 * them. Both are checked when the store is configured: they are the only parts of the store's SQL
 * that cannot be bound parameters, so they must be plain identifiers (nothing to quote, nothing to
 * inject).
 *
 * @param prefix a lower-case ASCII letter or {@code _}, then up to 29 lower-case letters, digits
 *     or {@code _}; empty is allowed
 * @param schema the PostgreSQL schema, or null for the connection's current one
 */
record TableNames(String prefix, @Nullable String schema) {

    /** The prefix when none is configured. */
    static final String DEFAULT_PREFIX = "annals_";

    /** The tables, by the placeholder that names them in the SQL files. */
    private static final Map<String, String> TABLES = Map.ofEntries(
            Map.entry("events", "events"),
            Map.entry("tags", "event_tags"),
            Map.entry("removed", "removed_events"),
            Map.entry("deleted", "deleted_streams"),
            Map.entry("refuse_removed_ids", "refuse_removed_ids"),
            Map.entry("refuse_deleted_snapshots", "refuse_deleted_snapshots"),
            Map.entry("refuse_reserved_ids", "refuse_reserved_ids"),
            Map.entry("snapshots", "snapshots"),
            Map.entry("pinned", "pinned_snapshots"),
            Map.entry("checkpoints", "projection_checkpoints"),
            Map.entry("rows", "projection_rows"),
            Map.entry("log", "log"),
            Map.entry("leases", "projection_leases"),
            Map.entry("dead_letters", "projection_dead_letters"),
            Map.entry("versions", "projection_versions"),
            Map.entry("subject_keys", "subject_keys"),
            Map.entry("schema_version", "schema_version"));

    private static final Pattern PREFIX = Pattern.compile("([a-z_][a-z0-9_]{0,29})?");
    private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    /**
     * @throws IllegalArgumentException if the prefix or the schema is not a plain identifier
     */
    TableNames {
        Objects.requireNonNull(prefix, "prefix");
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("a table prefix is empty or a lower-case letter or _,"
                    + " then up to 29 lower-case letters, digits or _; was '" + printable(prefix) + "'");
        }
        if (schema != null && !SCHEMA.matcher(schema).matches()) {
            throw new IllegalArgumentException("schema must be a plain identifier (a lower-case "
                    + "letter or _, then up to 62 lower-case letters, digits or _), was '"
                    + printable(schema) + "'");
        }
    }

    /** The default prefix, no schema. */
    static TableNames defaults() {
        return new TableNames(DEFAULT_PREFIX, null);
    }

    /** A table's name as the SQL uses it: prefixed, and qualified when a schema is set. */
    String table(String placeholder) {
        String name = prefix + Objects.requireNonNull(TABLES.get(placeholder), placeholder);
        return schema == null ? name : "\"" + schema + "\"." + name;
    }

    /** A table's name within its schema, unqualified (for catalog lookups). */
    String unqualified(String placeholder) {
        return prefix + Objects.requireNonNull(TABLES.get(placeholder), placeholder);
    }

    /** Every placeholder these names fill in: the tables, {@code prefix} and {@code schema}. */
    Map<String, String> placeholders() {
        Map<String, String> out = new LinkedHashMap<>();
        TABLES.keySet().forEach(t -> out.put(t, table(t)));
        out.put("prefix", prefix);
        if (schema != null) {
            out.put("schema", "\"" + schema + "\"");
        }
        return out;
    }

    /** A name as it can be shown in a message: at most 100 characters, controls escaped. */
    static String printable(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && out.length() < 100; i++) {
            char c = s.charAt(i);
            out.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return s.length() > 100 ? out + "..." : out.toString();
    }
}
