package io.annals.eventstore.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.AppendChecks;
import io.annals.eventstore.snapshot.SnapshotStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The {@link EventStore} on a relational database through plain JDBC: SQLite (one file, no
 * server) or PostgreSQL 13+ (many processes, many machines).
 *
 * <pre>{@code
 * try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:events.db")) {
 *     store.append("order-1", ExpectedVersion.noStream(), List.of(EventData.of("Placed", "{}")));
 * }
 * }</pre>
 *
 * <p>Opening a store creates or migrates its schema (tables {@code events}, {@code snapshots} and
 * {@code annals_schema_version}). See {@code docs/storage.md} for the schema and the concurrency
 * guarantees, and {@link Builder} for the options.
 *
 * <p>Thread-safe. Errors are unchecked: {@link EventStoreException} with the
 * {@code SQLException} as its cause.
 */
public final class JdbcEventStore implements EventStore {

    private static final ObjectMapper METADATA = new ObjectMapper();
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() { };

    private final DataSource dataSource;
    private final HikariDataSource ownedPool;
    private final Dialect dialect;
    private final Clock clock;
    private final AppendLimits limits;
    private final JdbcSnapshotStore snapshots;
    private final JdbcProjections projections;

    private JdbcEventStore(DataSource dataSource, HikariDataSource ownedPool, Dialect dialect,
                           StoreSettings settings) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.dialect = dialect;
        this.clock = settings.clock();
        this.limits = settings.limits();
        this.snapshots = new JdbcSnapshotStore(dataSource, dialect);
        this.projections = new JdbcProjections(dataSource, dialect, ownedPool);
    }

    /**
     * Opens a store on a JDBC URL with the default options, creating or migrating the schema.
     * The store owns its connection pool and closes it on {@link #close()}.
     *
     * @param jdbcUrl {@code jdbc:sqlite:FILE} or {@code jdbc:postgresql://HOST:PORT/DATABASE}
     * @throws IllegalArgumentException if the URL is of an unsupported database
     * @throws EventStoreException if the database cannot be opened or set up
     */
    public static JdbcEventStore open(String jdbcUrl) {
        return builder(jdbcUrl).open();
    }

    /**
     * Opens a store on the application's DataSource with the default options, creating or
     * migrating the schema. {@link #close()} leaves the DataSource open.
     *
     * @throws IllegalArgumentException if the database is of an unsupported kind
     * @throws EventStoreException if the database cannot be reached or set up
     */
    public static JdbcEventStore open(DataSource dataSource) {
        return builder(dataSource).open();
    }

    /** A builder for a store on a JDBC URL, to set options before opening it. */
    public static Builder builder(String jdbcUrl) {
        return new Builder(Objects.requireNonNull(jdbcUrl, "jdbcUrl"), null);
    }

    /** A builder for a store on the application's DataSource. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(null, Objects.requireNonNull(dataSource, "dataSource"));
    }

    /**
     * The snapshot store in the same database, for
     * {@link io.annals.eventstore.snapshot.SnapshotSettings}.
     */
    public SnapshotStore snapshots() {
        return snapshots;
    }

    /**
     * The DataSource the store uses, for the application's own read-model tables (create them,
     * query them). On SQLite, write through a {@link JdbcProjection} rather than on connections
     * of your own: the store serialises its writers, and a writer it does not know about can meet
     * "database is locked".
     */
    public DataSource dataSource() {
        return dataSource;
    }

    /** Projectors whose read models and checkpoints live in this store's database. */
    public JdbcProjections projections() {
        return projections;
    }

    @Override
    public long countEvents() {
        try (Connection c = dialect.connect(dataSource);
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM events");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new EventStoreException("cannot count the events: " + e.getMessage(), e);
        }
    }

    @Override
    public AppendResult append(String streamId, ExpectedVersion expected, List<EventData> events) {
        AppendChecks.checkAppend(limits, streamId, expected, events);
        String[] metadata = new String[events.size()];
        for (int i = 0; i < metadata.length; i++) {
            metadata[i] = encodeMetadata(events.get(i).metadata());
        }
        AppendRequest request = new AppendRequest(streamId, expected, events, metadata,
                toMicros(clock.instant()));
        try {
            return dialect.append(dataSource, request);
        } catch (SQLException e) {
            throw new EventStoreException("append to stream " + streamId + " failed: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public List<RecordedEvent> readStream(String streamId, long fromVersion, int maxCount) {
        AppendChecks.checkReadStream(streamId, fromVersion, maxCount);
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, dialect.readStream(), ps -> {
                ps.setString(1, streamId);
                ps.setLong(2, fromVersion);
                ps.setInt(3, maxCount);
                return readEvents(ps, maxCount);
            });
        } catch (SQLException e) {
            throw new EventStoreException("cannot read stream " + streamId + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<RecordedEvent> readAll(long afterPosition, int maxCount) {
        AppendChecks.checkReadAll(afterPosition, maxCount);
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.withStatement(c, dialect.readAll(), ps -> {
                ps.setLong(1, afterPosition);
                ps.setInt(2, maxCount);
                return readEvents(ps, maxCount);
            });
        } catch (SQLException e) {
            throw new EventStoreException("cannot read the log after position " + afterPosition
                    + ": " + e.getMessage(), e);
        }
    }

    private List<RecordedEvent> readEvents(PreparedStatement ps, int maxCount) throws SQLException {
        ps.setFetchSize(Math.min(maxCount, 1000));
        List<RecordedEvent> out = new ArrayList<>(Math.min(maxCount, 1000));
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new RecordedEvent(rs.getString(1), rs.getLong(2), rs.getLong(3),
                        dialect.eventId(rs, 4), rs.getString(5), rs.getString(6),
                        decodeMetadata(rs.getString(7)), dialect.recordedAt(rs, 8)));
            }
        }
        return out;
    }

    @Override
    public long currentVersion(String streamId) {
        Objects.requireNonNull(streamId, "streamId");
        try (Connection c = dialect.connect(dataSource)) {
            return dialect.currentVersion(c, streamId);
        } catch (SQLException e) {
            throw new EventStoreException("cannot read the version of stream " + streamId + ": "
                    + e.getMessage(), e);
        }
    }

    /** Closes the connection pool if the store created it; a DataSource passed in stays open. */
    @Override
    public void close() {
        if (ownedPool != null) {
            ownedPool.close();
        }
    }

    static long toMicros(Instant t) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, t);
    }

    static Instant fromMicros(long micros) {
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    private static String encodeMetadata(Map<String, String> metadata) {
        if (metadata.isEmpty()) {
            return null;
        }
        try {
            return METADATA.writeValueAsString(metadata);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("metadata cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> decodeMetadata(String json) {
        if (json == null) {
            return Map.of();
        }
        try {
            return METADATA.readValue(json, STRING_MAP);
        } catch (JsonProcessingException e) {
            throw new EventStoreException("stored metadata is not a JSON object of strings: "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * Options of a {@link JdbcEventStore}, with their defaults:
     *
     * <table>
     *   <caption>Options</caption>
     *   <tr><th>option</th><th>default</th></tr>
     *   <tr><td>{@link #clock}</td><td>the UTC system clock</td></tr>
     *   <tr><td>{@link #limits}</td><td>{@link AppendLimits#defaults()}</td></tr>
     *   <tr><td>{@link #durability}</td><td>{@link Durability#FULL}</td></tr>
     *   <tr><td>{@link #busyTimeout}</td><td>5 seconds</td></tr>
     *   <tr><td>{@link #maxPoolSize} (URL only)</td><td>8</td></tr>
     *   <tr><td>{@link #schema} (PostgreSQL URL only)</td><td>the connection's current schema</td></tr>
     * </table>
     */
    public static final class Builder {
        private final String jdbcUrl;
        private final DataSource dataSource;
        private Clock clock = Clock.systemUTC();
        private AppendLimits limits = AppendLimits.defaults();
        private Durability durability = Durability.FULL;
        private Duration busyTimeout = Duration.ofSeconds(5);
        private int maxPoolSize = 8;
        private String schema;

        private Builder(String jdbcUrl, DataSource dataSource) {
            this.jdbcUrl = jdbcUrl;
            this.dataSource = dataSource;
        }

        /** Where {@code recordedAt} comes from. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The size and count limits checked before each append. */
        public Builder limits(AppendLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** How hard commits work to survive a crash; see {@link Durability}. */
        public Builder durability(Durability durability) {
            this.durability = Objects.requireNonNull(durability, "durability");
            return this;
        }

        /**
         * How long a SQLite writer waits for a lock held by another process before failing
         * (SQLite only).
         *
         * @throws IllegalArgumentException if negative or over 1 hour
         */
        public Builder busyTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("busyTimeout must be between 0 and 1 hour, was "
                        + timeout);
            }
            this.busyTimeout = timeout;
            return this;
        }

        /**
         * The largest number of connections of the pool the store creates (URL only).
         *
         * @throws IllegalArgumentException if less than 1
         */
        public Builder maxPoolSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxPoolSize cannot be less than 1, was " + n);
            }
            this.maxPoolSize = n;
            return this;
        }

        /**
         * PostgreSQL: the schema that holds the store's tables, created if it does not exist
         * (by default the tables go to the connection's current schema). Only for a store opened
         * on a URL, whose pool sets it on every connection; with a DataSource of your own, set
         * {@code currentSchema} in its URL instead.
         *
         * <p>The name is checked here, when the store is configured, because it is the one part
         * of the store's SQL that cannot be a bound parameter: it must be a plain identifier, a
         * lower-case ASCII letter or {@code _} followed by at most 62 lower-case ASCII letters,
         * digits or {@code _} (no quoting, no case folding, nothing to inject).
         *
         * @throws IllegalArgumentException if {@code schema} is not a plain identifier
         */
        public Builder schema(String schema) {
            Objects.requireNonNull(schema, "schema");
            if (!PLAIN_IDENTIFIER.matcher(schema).matches()) {
                throw new IllegalArgumentException("schema must be a plain identifier (a lower-case "
                        + "letter or _, then up to 62 lower-case letters, digits or _), was '"
                        + printable(schema) + "'");
            }
            this.schema = schema;
            return this;
        }

        private static final java.util.regex.Pattern PLAIN_IDENTIFIER =
                java.util.regex.Pattern.compile("[a-z_][a-z0-9_]{0,62}");

        /** The name as it can be shown in a message: at most 100 characters, controls escaped. */
        private static String printable(String s) {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < s.length() && out.length() < 100; i++) {
                char c = s.charAt(i);
                out.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
            return s.length() > 100 ? out + "..." : out.toString();
        }

        /**
         * Opens the store: connects, checks the database's settings, creates or migrates the
         * schema.
         *
         * @throws IllegalArgumentException if the URL or database is unsupported
         * @throws EventStoreException if the database cannot be reached or set up
         */
        public JdbcEventStore open() {
            StoreSettings settings = new StoreSettings(clock, limits, durability, busyTimeout);
            if (dataSource != null) {
                if (schema != null) {
                    throw new IllegalArgumentException("schema(...) applies to the pool a store "
                            + "opened on a URL creates; with a DataSource of your own, set "
                            + "currentSchema in its URL");
                }
                Dialect dialect = Dialect.forDataSource(dataSource, settings);
                return start(dataSource, null, dialect, settings);
            }
            Dialect dialect = Dialect.forUrl(jdbcUrl, settings);
            if (schema != null && !(dialect instanceof PostgresDialect)) {
                throw new IllegalArgumentException("schema(...) is a PostgreSQL option; a "
                        + dialect.name() + " database is one file");
            }
            String lower = jdbcUrl.toLowerCase(Locale.ROOT);
            if (lower.equals("jdbc:sqlite:") || lower.contains(":memory:")) {
                throw new IllegalArgumentException("'" + jdbcUrl + "' is an in-memory SQLite "
                        + "database: each pooled connection would see a database of its own; use "
                        + "a file, or InMemoryEventStore for tests");
            }
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(jdbcUrl);
            config.setMaximumPoolSize(maxPoolSize);
            config.setPoolName("annals-" + dialect.name().toLowerCase(Locale.ROOT));
            if (schema != null) {
                config.setSchema(schema); // search_path of every pooled connection
            }
            HikariDataSource pool;
            try {
                pool = new HikariDataSource(config);
            } catch (RuntimeException e) {
                throw new EventStoreException("cannot open " + jdbcUrl + ": " + e.getMessage(), e);
            }
            try {
                if (schema != null) {
                    createSchema(pool, schema);
                }
                return start(pool, pool, dialect, settings);
            } catch (RuntimeException e) {
                pool.close();
                throw e;
            }
        }

        /** The name was checked by {@link #schema}: a plain identifier, safe to quote. */
        private static void createSchema(DataSource ds, String schema) {
            try (Connection c = ds.getConnection(); java.sql.Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA IF NOT EXISTS \"" + schema + "\"");
            } catch (SQLException e) {
                throw new EventStoreException("cannot create schema " + schema + ": " + e.getMessage(), e);
            }
        }

        private static JdbcEventStore start(DataSource ds, HikariDataSource owned, Dialect dialect,
                                            StoreSettings settings) {
            dialect.startUp(ds);
            Migrator.migrate(ds, dialect);
            dialect.afterMigrations(ds);
            return new JdbcEventStore(ds, owned, dialect, settings);
        }
    }
}
