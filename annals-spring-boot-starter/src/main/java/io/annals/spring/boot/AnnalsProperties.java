package io.annals.spring.boot;

import io.annals.eventstore.jdbc.Durability;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.jdbc.OpenMode;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code annals.*} properties: where the store lives and how its projections run. A value
 * that breaks a rule fails the application's start with a message naming the property and the
 * rule, before anything is opened.
 */
@ConfigurationProperties(prefix = "annals")
public class AnnalsProperties {

    /** The store's URL when the application has no DataSource of its own. */
    static final String DEFAULT_URL = "jdbc:sqlite:annals.db";

    /**
     * JDBC URL of the store's database (jdbc:sqlite:FILE or jdbc:postgresql://HOST/DB). When set,
     * the store opens its own connection pool there even if the application has a DataSource.
     * When not set, the store uses the application's DataSource, or the SQLite file annals.db in
     * the working directory when there is none.
     */
    private @Nullable String url;

    /** Prefix of the store's tables and indexes. */
    private String tablePrefix = "annals_";

    /** PostgreSQL: the schema of the store's tables, created if missing (default: the current one). */
    private @Nullable String schema;

    /** Largest number of connections of the pool the store opens on annals.url. */
    private int poolSize = 8;

    /** How long a writer waits for a lock before failing. */
    private Duration busyTimeout = Duration.ofSeconds(5);

    /** How hard commits work to survive a crash (FULL or NORMAL). */
    private Durability durability = Durability.FULL;

    /** What the store may do to the schema when it opens (MIGRATE, VALIDATE, READ_ONLY). */
    private OpenMode openMode = OpenMode.MIGRATE;

    /** PostgreSQL: announce appends to other processes so that their projections read at once. */
    private boolean notifyAppends = true;

    private final Projections projections = new Projections();

    /** The URL set in {@code annals.url}, if any. */
    public @Nullable String getUrl() {
        return url;
    }

    /**
     * @throws IllegalArgumentException if blank or not a {@code jdbc:} URL
     */
    public void setUrl(@Nullable String url) {
        if (url != null && !url.startsWith("jdbc:")) {
            throw new IllegalArgumentException("must be a JDBC URL (jdbc:sqlite:FILE or jdbc:postgresql://...), was '"
                    + url.replaceAll("(?i)password=[^&;]*", "password=***") + "'");
        }
        this.url = url;
    }

    /** The prefix of the store's tables. */
    public String getTablePrefix() {
        return tablePrefix;
    }

    /**
     * @throws IllegalArgumentException if not a plain identifier (the store's rule)
     */
    public void setTablePrefix(String tablePrefix) {
        // The store's own check, on a builder that connects to nothing: one rule in one place.
        JdbcEventStore.builder(DEFAULT_URL).tablePrefix(Objects.requireNonNull(tablePrefix, "tablePrefix"));
        this.tablePrefix = tablePrefix;
    }

    /** The PostgreSQL schema of the store's tables, if set. */
    public @Nullable String getSchema() {
        return schema;
    }

    /**
     * @throws IllegalArgumentException if not a plain identifier (the store's rule)
     */
    public void setSchema(@Nullable String schema) {
        if (schema != null) {
            JdbcEventStore.builder(DEFAULT_URL).schema(schema);
        }
        this.schema = schema;
    }

    /** The size of the pool opened on {@code annals.url}. */
    public int getPoolSize() {
        return poolSize;
    }

    /**
     * @throws IllegalArgumentException if less than 1
     */
    public void setPoolSize(int poolSize) {
        JdbcEventStore.builder(DEFAULT_URL).maxPoolSize(poolSize);
        this.poolSize = poolSize;
    }

    /** How long a writer waits for a lock. */
    public Duration getBusyTimeout() {
        return busyTimeout;
    }

    /**
     * @throws IllegalArgumentException if negative or over 1 hour
     */
    public void setBusyTimeout(Duration busyTimeout) {
        JdbcEventStore.builder(DEFAULT_URL).busyTimeout(busyTimeout);
        this.busyTimeout = busyTimeout;
    }

    /** The durability of commits. */
    public Durability getDurability() {
        return durability;
    }

    /** Sets the durability of commits. */
    public void setDurability(Durability durability) {
        this.durability = Objects.requireNonNull(durability, "durability");
    }

    /** What the store may do to the schema when it opens. */
    public OpenMode getOpenMode() {
        return openMode;
    }

    /** Sets what the store may do to the schema when it opens. */
    public void setOpenMode(OpenMode openMode) {
        this.openMode = Objects.requireNonNull(openMode, "openMode");
    }

    /** Whether appends are announced to other processes (PostgreSQL). */
    public boolean isNotifyAppends() {
        return notifyAppends;
    }

    /** Sets whether appends are announced to other processes (PostgreSQL). */
    public void setNotifyAppends(boolean notifyAppends) {
        this.notifyAppends = notifyAppends;
    }

    /** The {@code annals.projections.*} properties. */
    public Projections getProjections() {
        return projections;
    }

    /** How the projection runner reads the log: {@code annals.projections.*}. */
    public static class Projections {

        /** Whether the runner starts with the application context. */
        private boolean autoStartup = true;

        /** Events read and applied per transaction. */
        private int batchSize = 500;

        /** How long an idle projection waits before reading the log again. */
        private Duration pollInterval = Duration.ofMillis(100);

        /** Whether an append in this process wakes idle projections at once. */
        private boolean wakeOnAppend = true;

        /** The longest wait between retries of a failing projection. */
        private Duration maxBackoff = Duration.ofSeconds(30);

        /** Whether the runner starts with the context. */
        public boolean isAutoStartup() {
            return autoStartup;
        }

        /** Sets whether the runner starts with the context. */
        public void setAutoStartup(boolean autoStartup) {
            this.autoStartup = autoStartup;
        }

        /** Events per transaction. */
        public int getBatchSize() {
            return batchSize;
        }

        /**
         * @throws IllegalArgumentException if less than 1
         */
        public void setBatchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
            }
            this.batchSize = batchSize;
        }

        /** The wait of an idle projection. */
        public Duration getPollInterval() {
            return pollInterval;
        }

        /**
         * @throws IllegalArgumentException if not positive
         */
        public void setPollInterval(Duration pollInterval) {
            this.pollInterval = positive("pollInterval", pollInterval);
        }

        /** Whether appends wake idle projections. */
        public boolean isWakeOnAppend() {
            return wakeOnAppend;
        }

        /** Sets whether appends wake idle projections. */
        public void setWakeOnAppend(boolean wakeOnAppend) {
            this.wakeOnAppend = wakeOnAppend;
        }

        /** The longest wait between retries. */
        public Duration getMaxBackoff() {
            return maxBackoff;
        }

        /**
         * @throws IllegalArgumentException if not positive
         */
        public void setMaxBackoff(Duration maxBackoff) {
            this.maxBackoff = positive("maxBackoff", maxBackoff);
        }

        private static Duration positive(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
            return d;
        }
    }
}
