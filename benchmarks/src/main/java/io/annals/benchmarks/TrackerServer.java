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
        ServerOptions options = ServerOptions.parse("TrackerServer", args);
        PriceTracker tracker = new PriceTracker(
                JdbcEventStore.builder(options.db()).groupCommit(false).open());
        tracker.startProjections();
        HttpApiServer server =
                HttpApiServer.start(new PriceTrackerApi(tracker, Duration.ofSeconds(5)), "127.0.0.1", options.port());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            tracker.close();
        }));
        System.out.println("serving on " + server.port() + " without group commit");
    }
}
