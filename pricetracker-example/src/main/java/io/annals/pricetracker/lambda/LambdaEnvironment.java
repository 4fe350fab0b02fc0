package io.annals.pricetracker.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.pricetracker.PriceTracker;
import java.util.Map;
import org.sqlite.util.OSInfo;

/**
 * What the handlers share within one Lambda container (one JVM): the {@link PriceTracker}, opened
 * on the first invocation that needs it and kept for the container's life, so its connection
 * pool outlives the invocation.
 *
 * <p>Not a static holder class: a holder whose initializer fails (the database unreachable for a
 * moment) fails every later invocation of the container with {@code NoClassDefFoundError}. Here a
 * failed open is retried by the next invocation.
 */
final class LambdaEnvironment {

    /** The environment variable holding the JDBC URL of the store. */
    static final String DB_URL_VARIABLE = "PRICETRACKER_DB_URL";

    /**
     * Used when {@link #DB_URL_VARIABLE} is unset or blank. Each container has a {@code /tmp} of
     * its own, so this is for trying a handler alone, never for a deployment.
     */
    static final String DEFAULT_DB_URL = "jdbc:sqlite:/tmp/pricetracker.db";

    /**
     * Connections per container. A container runs one invocation at a time, and neither handler
     * holds more than two connections at once: a projection's lease on PostgreSQL (a session
     * advisory lock, on a connection of its own while a pass holds it) plus the batch it applies,
     * in the projector's passes and in the API's reads with {@code atLeast}. The store's default,
     * 8, all opened at start by HikariCP, would hold 8 server connections per warm container.
     * Appends are not announced to other processes ({@code notifyAppends(false)}): nothing in
     * Lambda listens, and the announcement would take a third connection, on a thread that runs
     * after the response only until the container is frozen.
     */
    static final int POOL_SIZE = 2;

    private static PriceTracker tracker; // guarded by LambdaEnvironment.class

    private LambdaEnvironment() {}

    /**
     * The container's tracker, opened on the first call. Its projections are not started: in a
     * Lambda container a background thread only runs while an invocation does, so the projector
     * function applies events instead ({@link ProjectorHandler}).
     *
     * @throws io.annals.eventstore.EventStoreException if the store cannot be opened (the next
     *     call tries again)
     */
    static synchronized PriceTracker tracker() {
        if (tracker == null) {
            String url = dbUrl(System.getenv());
            checkSqlite(url, LambdaEnvironment.class.getClassLoader());
            JdbcEventStore store = JdbcEventStore.builder(url)
                    .maxPoolSize(POOL_SIZE)
                    .notifyAppends(false)
                    .open();
            PriceTracker opened;
            try {
                opened = new PriceTracker(store);
            } catch (RuntimeException e) {
                store.close(); // the next invocation opens a new one: do not leak this pool
                throw e;
            }
            // Lambda may signal the runtime before it ends the container: close the pool then.
            Runtime.getRuntime().addShutdownHook(new Thread(opened::close, "pricetracker-close"));
            tracker = opened;
        }
        return tracker;
    }

    /**
     * With SnapStart (Lambda initialises the function, then snapshots it), opens the tracker
     * during initialisation, so that the snapshot holds the classes it loads and the schema is
     * checked once for every container restored from it; {@link SnapStartHook} closes its
     * connections before the snapshot. Otherwise, and if the store cannot be opened now, the
     * first invocation opens it.
     */
    static void prepareForSnapshot() {
        SnapStartHook.register();
        if ("snap-start".equals(System.getenv("AWS_LAMBDA_INITIALIZATION_TYPE"))) {
            try {
                tracker();
            } catch (RuntimeException e) {
                log(null, "cannot open the price tracker before the snapshot, the first invocation will: " + e);
            }
        }
    }

    /** Closes the tracker, if open; the next call of {@link #tracker()} opens a new one. */
    static synchronized void forget() {
        if (tracker != null) {
            PriceTracker open = tracker;
            tracker = null;
            open.close();
        }
    }

    /** The open tracker, or null (for tests). */
    static synchronized PriceTracker current() {
        return tracker;
    }

    /** Sets the open tracker (for tests). */
    static synchronized void install(PriceTracker opened) {
        tracker = opened;
    }

    /** The JDBC URL in {@code environment}, or the default. */
    static String dbUrl(Map<String, String> environment) {
        String url = environment.get(DB_URL_VARIABLE);
        return url == null || url.isBlank() ? DEFAULT_DB_URL : url.strip();
    }

    /**
     * Refuses a SQLite URL where SQLite cannot run: the Lambda jar ({@code pricetracker-lambda.jar})
     * leaves SQLite's native libraries out, since a deployment runs on PostgreSQL. Without this,
     * the driver would fail on the first connection with a message about native libraries that
     * does not say what to change.
     *
     * @throws IllegalStateException if {@code url} is a SQLite URL and {@code loader} finds no
     *     SQLite native library for this platform (unless {@code org.sqlite.lib.path} names one)
     */
    static void checkSqlite(String url, ClassLoader loader) {
        if (!url.startsWith("jdbc:sqlite:") || System.getProperty("org.sqlite.lib.path") != null) {
            return;
        }
        String library = "org/sqlite/native/" + OSInfo.getNativeLibFolderPathForCurrentOS() + "/"
                + System.mapLibraryName("sqlitejdbc");
        if (loader.getResource(library) == null) {
            throw new IllegalStateException("the store's URL is " + url + " (" + DB_URL_VARIABLE
                    + ", or its default when unset), but this build has no SQLite native library (" + library
                    + "): the Lambda jar leaves them out, since the handlers run on PostgreSQL there. Set "
                    + DB_URL_VARIABLE + " to jdbc:postgresql://HOST:5432/DATABASE?user=USER&password=PASSWORD, "
                    + "or use pricetracker.jar to run on SQLite");
        }
    }

    /** Logs a line to the invocation's log (CloudWatch), or to standard error without a context. */
    static void log(Context context, String line) {
        LambdaLogger logger = context == null ? null : context.getLogger();
        if (logger != null) {
            logger.log(line + "\n");
        } else {
            System.err.println(line);
        }
    }
}
