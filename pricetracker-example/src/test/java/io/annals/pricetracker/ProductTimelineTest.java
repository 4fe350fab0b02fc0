package io.annals.pricetracker;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.pricetracker.domain.ProductAggregate;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** How much of a long product stream a time-travel request reads. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProductTimelineTest {

    private static final int EVENTS = 5_001;

    private final InMemoryEventStore memory = new InMemoryEventStore();
    private final AtomicLong eventsRead = new AtomicLong();
    private final EventStore store = counting(memory);
    private final ProductAggregate aggregate = new ProductAggregate();

    /** The store, counting the events that readStream returns. */
    private EventStore counting(EventStore delegate) {
        return (EventStore) Proxy.newProxyInstance(
                EventStore.class.getClassLoader(), new Class<?>[] {EventStore.class}, (proxy, method, args) -> {
                    try {
                        Object out = method.invoke(delegate, args);
                        if (method.getName().equals("readStream")) {
                            eventsRead.addAndGet(((List<?>) out).size());
                        }
                        return out;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** Tea created at 3.00, then its price up and down by 0.25, EVENTS events in all. */
    private void longHistory() {
        List<EventData> events = new ArrayList<>();
        events.add(event(
                "ProductCreated", "{\"productId\":\"tea\",\"name\":\"Tea\",\"price\":3.00,\"currency\":\"EUR\"}"));
        for (int i = 1; i < EVENTS; i++) {
            boolean up = i % 2 == 1;
            events.add(event(
                    "PriceChanged",
                    "{\"productId\":\"tea\",\"oldPrice\":" + (up ? "3.00" : "3.25") + ",\"newPrice\":"
                            + (up ? "3.25" : "3.00") + ",\"variation\":" + (up ? "0.25" : "-0.25")
                            + ",\"currency\":\"EUR\"}"));
        }
        memory.append("product-tea", ExpectedVersion.noStream(), events);
    }

    private static EventData event(String type, String json) {
        return new EventData(UUID.randomUUID(), type, json, Map.of("$schemaVersion", "2"), Set.of("product:tea"));
    }

    private ProductTimeline read(TimelineCheckpoints checkpoints, long from, int max) {
        return ProductTimeline.read(store, PriceTracker.CODEC, aggregate, checkpoints, "tea", from, max);
    }

    @Test
    void a_late_step_of_a_long_stream_is_read_without_replaying_the_whole_stream_again() {
        longHistory();
        TimelineCheckpoints checkpoints = new TimelineCheckpoints(1_000);
        ProductTimeline first = read(checkpoints, EVENTS, 1);
        assertThat(eventsRead.get()).as("the first time, from the first event").isEqualTo(EVENTS);

        eventsRead.set(0);
        ProductTimeline again = read(checkpoints, EVENTS, 1);
        ProductTimeline earlier = read(checkpoints, EVENTS - 700, 10);

        assertThat(eventsRead.get()).as("then from the nearest fold kept").isLessThanOrEqualTo(2 * 501 + 10);
        assertThat(again.steps().get(0).state()).isEqualTo(first.steps().get(0).state());
        assertThat(again.steps().get(0).rows()).isEqualTo(first.steps().get(0).rows());
        ProductTimeline replayed = read(new TimelineCheckpoints(1_000), EVENTS - 700, 10);
        for (int i = 0; i < 10; i++) {
            assertThat(earlier.steps().get(i).state())
                    .isEqualTo(replayed.steps().get(i).state());
            assertThat(earlier.steps().get(i).rows())
                    .isEqualTo(replayed.steps().get(i).rows());
        }
    }

    @Test
    void a_fold_kept_for_an_event_that_is_not_in_the_stream_any_more_is_not_used() {
        longHistory();
        TimelineCheckpoints checkpoints = new TimelineCheckpoints(1_000);
        ProductTimeline first = read(checkpoints, EVENTS, 1);
        RecordedEvent kept = memory.readStream("product-tea", 5_000, 1).get(0);
        // another store (a restore, another database) where event 5000 is another one
        InMemoryEventStore other = new InMemoryEventStore();
        List<EventData> copy = new ArrayList<>();
        for (RecordedEvent r : memory.readStream("product-tea", 1, EVENTS)) {
            String json = r.version() == 5_000 ? r.json().replace("3.25", "9.25") : r.json();
            copy.add(new EventData(UUID.randomUUID(), r.type(), json, r.metadata(), r.tags()));
        }
        other.append("product-tea", ExpectedVersion.noStream(), copy);

        ProductTimeline fromOther =
                ProductTimeline.read(other, PriceTracker.CODEC, aggregate, checkpoints, "tea", EVENTS, 1);

        assertThat(kept.eventId())
                .isNotEqualTo(other.readStream("product-tea", 5_000, 1).get(0).eventId());
        ProductTimeline replayed = ProductTimeline.read(
                other, PriceTracker.CODEC, aggregate, new TimelineCheckpoints(1_000), "tea", EVENTS, 1);
        assertThat(fromOther.steps().get(0).rows())
                .isEqualTo(replayed.steps().get(0).rows());
        assertThat(fromOther.steps().get(0).rows())
                .isNotEqualTo(first.steps().get(0).rows());
    }
}
