package io.annals.pricetracker.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.alerts.WatchTags;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** An erasure racing people who start watching the product, on real threads. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ErasureRaceTest {

    @TempDir
    Path dir;

    private PriceTracker tracker;
    private PriceTrackerApi api;

    @BeforeEach
    void open() {
        tracker = PriceTracker.open("jdbc:sqlite:" + dir.resolve("race.db"));
        api = new PriceTrackerApi(tracker, Duration.ofSeconds(10));
    }

    @AfterEach
    void close() {
        tracker.close();
    }

    private ApiResponse call(String method, String path, Map<String, String> query, String body) {
        return api.handle(new ApiRequest(method, path, query, body));
    }

    private ApiResponse watch(String id, String email) {
        return call(
                "POST", "/products/" + id + "/watchers", Map.of(), "{\"email\":\"" + email + "\",\"targetPrice\":5}");
    }

    /** Runs {@code rounds} erasures, each racing a thread that keeps watching the product. */
    private List<String> race(int rounds, boolean sameAddress) throws Exception {
        List<String> wrong = Collections.synchronizedList(new ArrayList<>());
        for (int round = 0; round < rounds && wrong.isEmpty(); round++) {
            String id = "p" + round;
            assertThat(call(
                                    "POST",
                                    "/products",
                                    Map.of(),
                                    "{\"productId\":\"" + id + "\",\"name\":\"P " + id + "\",\"price\":10}")
                            .status())
                    .isEqualTo(201);
            assertThat(watch(id, "same@example.com").status()).isEqualTo(201);
            CountDownLatch started = new CountDownLatch(1);
            AtomicBoolean stop = new AtomicBoolean();
            int r = round;
            Thread watcher = new Thread(() -> {
                for (int i = 0; !stop.get() && i < 10_000; i++) {
                    String email = sameAddress ? "same@example.com" : "w" + r + "-" + i + "@example.com";
                    ApiResponse resp = watch(id, email);
                    started.countDown();
                    if (resp.status() == 404 || resp.status() == 409) {
                        return; // deleted, then erased: every later watch is refused
                    }
                    if (resp.status() != 201) {
                        wrong.add("watch answered " + resp.status() + ": " + resp.body());
                        return;
                    }
                }
            });
            watcher.start();
            started.await();
            ApiResponse erased = call("DELETE", "/products/" + id, Map.of("erase", "true"), "");
            if (erased.status() != 200) {
                wrong.add("erase answered " + erased.status() + ": " + erased.body());
            }
            watcher.join(30_000);
            stop.set(true);
            List<RecordedEvent> left = tracker.store()
                    .read(Query.of(QueryItem.of(Set.of("WatchStarted"), Set.of(WatchTags.product(id)))), 0, 100);
            if (!left.isEmpty()) {
                wrong.add("round " + round + ": an erased product keeps watch streams "
                        + left.stream().map(RecordedEvent::streamId).distinct().toList());
            }
        }
        return wrong;
    }

    @Test
    @Timeout(300)
    void watching_again_while_the_product_is_erased_never_answers_500() throws Exception {
        assertThat(race(40, true)).isEmpty();
    }

    @Test
    @Timeout(300)
    void a_watch_started_while_the_product_is_erased_is_erased_with_it() throws Exception {
        assertThat(race(40, false)).isEmpty();
    }
}
