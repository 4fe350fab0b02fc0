package io.annals.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PostgreSQL store's one-event append statement ({@code append-one}) as W11 runs it by hand:
 * as the store has it now, read from the store's own {@code db/postgresql/statements.sql}, and as
 * it was before the consistency boundaries added the shared advisory locks of its events' types
 * (the {@code locked} CTE), copied from that file at the parent of commit 79c10a7. Both with the
 * default table prefix, no schema (the connection's current one), outside a projection batch.
 */
final class AppendStatement {

    /** A placeholder of the SQL files: {events}... (declared first: {@link #BEFORE_LOCKS} uses it). */
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)}");

    /** {@code append-one} before 79c10a7, placeholders filled in as {@link #fill} fills them. */
    static final String BEFORE_LOCKS = fill("""
            WITH cur AS (
                SELECT COALESCE((SELECT version FROM {events} WHERE stream_id = ?
                                 ORDER BY version DESC LIMIT 1), 0) AS v
            )
            INSERT INTO {events} (position, stream_id, version, event_id, type, data, metadata, recorded_at)
            SELECT ((pg_current_xact_id()::text::numeric + (SELECT xid_offset FROM {log})) * {index_scale})::bigint + {index_base} + 1,
                   ?, cur.v + 1, ?, ?, ?::json, ?::json,
                   'epoch'::timestamptz + ? * interval '1 microsecond'
            FROM cur
            WHERE cur.v BETWEEN ? AND ?
            RETURNING position, version""");

    private AppendStatement() {}

    /** {@code append-one} as the store on the class path has it, its comments dropped. */
    static String current() throws IOException {
        String file;
        try (InputStream in =
                AppendStatement.class.getClassLoader().getResourceAsStream("db/postgresql/statements.sql")) {
            if (in == null) {
                throw new IOException("db/postgresql/statements.sql is not on the class path");
            }
            file = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        StringBuilder sql = new StringBuilder();
        boolean in = false;
        for (String line : file.split("\n")) {
            if (line.startsWith("-- name:")) {
                if (in) {
                    break;
                }
                in = line.trim().equals("-- name: append-one");
            } else if (in && !line.trim().startsWith("--")) {
                sql.append(line).append('\n');
            }
        }
        String text = sql.toString().trim();
        if (!text.contains("pg_advisory_xact_lock_shared")) {
            throw new IOException("append-one takes no advisory lock any more: W11's lock row needs a look");
        }
        return fill(text);
    }

    /** The placeholders of the default prefix, outside a projection batch (see PostgresDialect). */
    private static String fill(String sql) {
        Matcher m = PLACEHOLDER.matcher(sql);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = switch (m.group(1)) {
                case "events" -> "annals_events";
                case "log" -> "annals_log";
                case "index_scale" -> String.valueOf(1L << 20);
                case "index_base" -> "0";
                default -> throw new IllegalStateException("append-one has a new placeholder: " + m.group());
            };
            m.appendReplacement(out, value);
        }
        return m.appendTail(out).toString();
    }

    /**
     * The lock parameters that {@link #current()} starts with, bound as the store binds them
     * (PostgresDialect.bindAppendLock): its lock space, then the one key of the event's type.
     */
    record Lock(int space, int key) {
        /** Binds parameters 1 and 2; returns how many it bound. */
        int bind(java.sql.PreparedStatement ps) throws java.sql.SQLException {
            ps.setInt(1, space);
            ps.setInt(2, key);
            return 2;
        }
    }

    /** The lock parameters of an event of {@code type} in the store's tables in {@code schema}. */
    static Lock lock(String schema, String type) {
        return new Lock(lockSpace(schema), typeKey(type));
    }

    /** The store's lock space for its tables in {@code schema} with the default prefix. */
    private static int lockSpace(String schema) {
        return (int) lockKeys("space", schema, "annals_");
    }

    /** The store's lock key of an event type. */
    private static int typeKey(String type) {
        return (int) lockKeys("type", type);
    }

    /** The store's own hashing (LockKeys is internal to it), so that the locks are the store's. */
    private static Object lockKeys(String method, String... args) {
        try {
            Class<?> keys = Class.forName("io.annals.eventstore.jdbc.LockKeys");
            Class<?>[] types = new Class<?>[args.length];
            java.util.Arrays.fill(types, String.class);
            Method m = keys.getDeclaredMethod(method, types);
            m.setAccessible(true);
            return m.invoke(null, (Object[]) args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the store's LockKeys." + method + " changed: " + e, e);
        }
    }
}
