package io.annals.spring.boot;

import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.jdbc.Durability;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.jdbc.OpenMode;
import io.annals.eventstore.privacy.InMemorySubjectKeys;
import io.annals.eventstore.privacy.KeyWrapper;
import io.annals.eventstore.privacy.Vault;
import io.annals.eventstore.projection.ProjectionRunner;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * The {@code annals.*} properties: where the store lives and how its projections run. A value
 * that breaks a rule fails the application's start with a message naming the property, its value
 * and the rule, before anything is opened: the properties validate themselves (Spring Boot calls
 * {@link #validate} after binding them), with the store's own checks.
 */
@ConfigurationProperties(prefix = "annals")
public class AnnalsProperties implements Validator {

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

    private final Privacy privacy = new Privacy();

    /** The URL set in {@code annals.url}, if any. */
    public @Nullable String getUrl() {
        return url;
    }

    /** Sets the URL; it is checked when the store opens, by the store. */
    public void setUrl(@Nullable String url) {
        this.url = url;
    }

    /** The prefix of the store's tables. */
    public String getTablePrefix() {
        return tablePrefix;
    }

    /** Sets the prefix of the store's tables. */
    public void setTablePrefix(String tablePrefix) {
        this.tablePrefix = Objects.requireNonNull(tablePrefix, "tablePrefix");
    }

    /** The PostgreSQL schema of the store's tables, if set. */
    public @Nullable String getSchema() {
        return schema;
    }

    /** Sets the PostgreSQL schema of the store's tables. */
    public void setSchema(@Nullable String schema) {
        this.schema = schema;
    }

    /** The size of the pool opened on {@code annals.url}. */
    public int getPoolSize() {
        return poolSize;
    }

    /** Sets the size of the pool opened on {@code annals.url}. */
    public void setPoolSize(int poolSize) {
        this.poolSize = poolSize;
    }

    /** How long a writer waits for a lock. */
    public Duration getBusyTimeout() {
        return busyTimeout;
    }

    /** Sets how long a writer waits for a lock. */
    public void setBusyTimeout(Duration busyTimeout) {
        this.busyTimeout = Objects.requireNonNull(busyTimeout, "busyTimeout");
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

    /** The {@code annals.privacy.*} properties. */
    public Privacy getPrivacy() {
        return privacy;
    }

    @Override
    public boolean supports(Class<?> type) {
        return AnnalsProperties.class.isAssignableFrom(type);
    }

    /**
     * Checks the values with the rules of the store's and the runner's builders (which connect
     * to nothing): one rule in one place, and the same message as when the builder is called
     * directly.
     */
    @Override
    public void validate(Object target, Errors errors) {
        AnnalsProperties p = (AnnalsProperties) target;
        check(errors, "tablePrefix", () -> JdbcEventStore.builder(DEFAULT_URL).tablePrefix(p.tablePrefix));
        String schema = p.schema;
        if (schema != null) {
            check(errors, "schema", () -> JdbcEventStore.builder(DEFAULT_URL).schema(schema));
        }
        check(errors, "poolSize", () -> JdbcEventStore.builder(DEFAULT_URL).maxPoolSize(p.poolSize));
        check(errors, "busyTimeout", () -> JdbcEventStore.builder(DEFAULT_URL).busyTimeout(p.busyTimeout));
        Projections r = p.projections;
        ProjectionRunner.Builder runner = ProjectionRunner.builder(new InMemoryEventStore());
        check(errors, "projections.batchSize", () -> runner.batchSize(r.batchSize));
        check(errors, "projections.pollInterval", () -> runner.pollInterval(r.pollInterval));
        check(errors, "projections.maxBackoff", () -> runner.maxBackoff(r.maxBackoff));
        Vault.Builder vault = Vault.builder(new InMemorySubjectKeys(), KeyWrapper.aesGcm("check", new byte[32]));
        check(errors, "privacy.cacheFor", () -> vault.cacheFor(p.privacy.cacheFor));
        String secret = p.privacy.subjectSecret;
        if (secret != null) {
            try {
                vault.subjectSecret(Privacy.decode(secret));
            } catch (IllegalArgumentException e) {
                // not a field error: Spring would print the rejected value, a secret
                errors.reject("annals.invalid", "annals.privacy.subject-secret: " + e.getMessage());
            }
        }
    }

    private static void check(Errors errors, String field, Runnable rule) {
        try {
            rule.run();
        } catch (IllegalArgumentException e) {
            errors.rejectValue(field, "annals.invalid", e.getMessage());
        }
    }

    /**
     * The vault of personal data, made when the application declares its wrapping key as a
     * {@link KeyWrapper} bean: {@code annals.privacy.*}.
     */
    public static class Privacy {

        /** The secret of Vault.subjectFor, in Base64 (at least 16 bytes); none by default. */
        private @Nullable String subjectSecret;

        /** How long an unwrapped data key is used without asking the key store again. */
        private Duration cacheFor = Duration.ofSeconds(5);

        /** The subject secret in Base64, or null. */
        public @Nullable String getSubjectSecret() {
            return subjectSecret;
        }

        /** Sets the subject secret, in Base64. */
        public void setSubjectSecret(@Nullable String subjectSecret) {
            this.subjectSecret = subjectSecret;
        }

        /** How long a data key is cached. */
        public Duration getCacheFor() {
            return cacheFor;
        }

        /** Sets how long a data key is cached. */
        public void setCacheFor(Duration cacheFor) {
            this.cacheFor = cacheFor;
        }

        /** The secret's bytes; the message of a bad value never repeats it. */
        static byte[] decode(String base64) {
            try {
                return Base64.getDecoder().decode(base64.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the subject secret is not Base64");
            }
        }
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

        /** Whether a projection catching up reads its next page while it applies one. */
        private boolean readAhead = true;

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

        /** Sets the events per transaction. */
        public void setBatchSize(int batchSize) {
            this.batchSize = batchSize;
        }

        /** The wait of an idle projection. */
        public Duration getPollInterval() {
            return pollInterval;
        }

        /** Sets the wait of an idle projection. */
        public void setPollInterval(Duration pollInterval) {
            this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
        }

        /** Whether appends wake idle projections. */
        public boolean isWakeOnAppend() {
            return wakeOnAppend;
        }

        /** Sets whether appends wake idle projections. */
        public void setWakeOnAppend(boolean wakeOnAppend) {
            this.wakeOnAppend = wakeOnAppend;
        }

        /** Whether a projection catching up reads ahead. */
        public boolean isReadAhead() {
            return readAhead;
        }

        /** Sets whether a projection catching up reads ahead. */
        public void setReadAhead(boolean readAhead) {
            this.readAhead = readAhead;
        }

        /** The longest wait between retries. */
        public Duration getMaxBackoff() {
            return maxBackoff;
        }

        /** Sets the longest wait between retries. */
        public void setMaxBackoff(Duration maxBackoff) {
            this.maxBackoff = Objects.requireNonNull(maxBackoff, "maxBackoff");
        }
    }
}
