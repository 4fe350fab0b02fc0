package io.annals.benchmarks;

import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.api.HttpApiServer;
import io.annals.pricetracker.api.PriceTrackerApi;
import java.time.Duration;

/**
 * W7's third server: the price tracker served as {@code java -jar pricetracker.jar serve} serves
 * it, on a store opened with {@code groupCommit(false)}, so that W7 measures what group commit
 * does in the same rounds. Run with the example's jar on the class path; it serves until killed.
 */
final class TrackerServer {

    private TrackerServer() {}

    public static void main(String[] args) throws Exception {
        int port = 0;
        String db = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--db" -> db = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (db == null) {
            throw new IllegalArgumentException("usage: TrackerServer --port N --db JDBC_URL");
        }
        PriceTracker tracker =
                new PriceTracker(JdbcEventStore.builder(db).groupCommit(false).open());
        tracker.startProjections();
        HttpApiServer server =
                HttpApiServer.start(new PriceTrackerApi(tracker, Duration.ofSeconds(5)), "127.0.0.1", port);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            tracker.close();
        }));
        System.out.println("serving on " + server.port() + " without group commit");
    }
}
