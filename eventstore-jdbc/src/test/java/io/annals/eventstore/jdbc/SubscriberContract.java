package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.ErrorPolicy;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.projection.Projector;
import io.annals.eventstore.projection.Subscriber;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** At-least-once subscribers on a JDBC store: what SQLite and PostgreSQL must both do. */
abstract class SubscriberContract {

    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** A URL of a new, empty database; opening it twice gives two stores on the same data. */
    protected abstract String newUrl();

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    private JdbcEventStore open(String url) {
        return closeLater(JdbcEventStore.open(url));
    }

    private ProjectionRunner runner(JdbcEventStore store, Subscriber subscriber, int batchSize) {
        return closeLater(ProjectionRunner.builder(store)
                .add(store.projectors().subscriber(subscriber))
                .batchSize(batchSize)
                .pollInterval(Duration.ofMillis(20))
                .maxBackoff(Duration.ofMillis(200))
                .build());
    }

    /** Appends {@code n} events of {@code type} over a few streams; returns their ids in log order. */
    private static List<UUID> append(JdbcEventStore store, String type, int n) {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            EventData e = EventData.of(type, "{\"i\":" + i + "}");
            store.append("s-" + (i % 7), ExpectedVersion.any(), List.of(e));
            ids.add(e.eventId());
        }
        return ids;
    }

    private static long lastPosition(JdbcEventStore store) {
        List<RecordedEvent> all = store.readAll(0, Integer.MAX_VALUE);
        return all.isEmpty() ? 0 : all.get(all.size() - 1).position();
    }

    private static List<UUID> ids(List<List<RecordedEvent>> batches) {
        return batches.stream()
                .flatMap(List::stream)
                .map(RecordedEvent::eventId)
                .toList();
    }

    @Test
    @Timeout(60)
    void delivers_every_event_in_order_in_batches() {
        JdbcEventStore store = open(newUrl());
        List<List<RecordedEvent>> batches = new CopyOnWriteArrayList<>();
        ProjectionRunner runner = runner(store, Subscriber.of("mailer", batches::add), 50);
        List<UUID> appended = new ArrayList<>(append(store, "A", 120));
        runner.start();
        appended.addAll(append(store, "A", 130)); // while it runs
        assertThat(runner.awaitPosition("mailer", lastPosition(store), Duration.ofSeconds(30)))
                .isTrue();

        assertThat(ids(batches)).containsExactlyElementsOf(appended);
        assertThat(batches).allSatisfy(b -> assertThat(b).hasSizeBetween(1, 50));
    }

    @Test
    @Timeout(60)
    void a_failing_handler_gets_the_same_batch_again_and_the_checkpoint_waits() throws Exception {
        JdbcEventStore store = open(newUrl());
        List<UUID> appended = append(store, "A", 30);
        List<List<RecordedEvent>> attempts = new CopyOnWriteArrayList<>();
        List<List<RecordedEvent>> delivered = new CopyOnWriteArrayList<>();
        AtomicInteger failuresLeft = new AtomicInteger(3);
        Projector projector = store.projectors().subscriber(Subscriber.of("flaky", events -> {
            attempts.add(events);
            if (events.get(0).eventId().equals(appended.get(10)) && failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("the service is down");
            }
            delivered.add(events);
        }));
        ProjectionRunner runner = closeLater(ProjectionRunner.builder(store)
                .add(projector)
                .batchSize(10)
                .pollInterval(Duration.ofMillis(20))
                .maxBackoff(Duration.ofMillis(100))
                .build());
        runner.start();
        assertThat(runner.awaitPosition("flaky", lastPosition(store), Duration.ofSeconds(30)))
                .isTrue();

        // the second batch came four times, the same events each time; the others once
        List<List<UUID>> tries = attempts.stream()
                .map(b -> b.stream().map(RecordedEvent::eventId).toList())
                .toList();
        assertThat(tries).hasSize(6);
        assertThat(tries.subList(1, 5)).allSatisfy(b -> assertThat(b).isEqualTo(appended.subList(10, 20)));
        assertThat(ids(delivered)).containsExactlyElementsOf(appended);
        ProjectionStatus status = runner.status("flaky");
        assertThat(status.checkpoint()).isEqualTo(lastPosition(store));
    }

    @Test
    @Timeout(60)
    void the_checkpoint_does_not_move_while_the_handler_fails() {
        JdbcEventStore store = open(newUrl());
        append(store, "A", 5);
        Projector projector = store.projectors().subscriber(Subscriber.of("down", events -> {
            throw new java.io.IOException("connection refused");
        }));
        ProjectionRunner runner =
                closeLater(ProjectionRunner.builder(store).add(projector).build());
        ProjectionStatus status = runner.catchUp().get(0);

        assertThat(status.state()).isEqualTo(ProjectionStatus.State.FAILED);
        assertThat(status.lastError())
                .hasValueSatisfying(m -> assertThat(m)
                        .contains("subscriber down failed on a batch of 5 events")
                        .contains("connection refused"));
        assertThat(projector.checkpoint()).isZero();
    }

    @Test
    @Timeout(60)
    void a_stop_policy_stops_a_subscriber_before_the_event_its_handler_fails_on() {
        JdbcEventStore store = open(newUrl());
        List<UUID> appended = append(store, "A", 5);
        UUID poison = appended.get(2);
        List<UUID> delivered = new CopyOnWriteArrayList<>();
        Projector projector = store.projectors().subscriber(Subscriber.of("picky", events -> {
            if (events.stream().anyMatch(e -> e.eventId().equals(poison))) {
                throw new IllegalStateException("cannot send it");
            }
            events.forEach(e -> delivered.add(e.eventId()));
        }));
        ProjectionRunner runner = closeLater(ProjectionRunner.builder(store)
                .add(projector)
                .onError("picky", ErrorPolicy.stopAfter(0))
                .build());

        ProjectionStatus status = runner.catchUp().get(0);

        // the batch failed, so its events went one at a time: the two before the poison went out
        assertThat(status.state()).isEqualTo(ProjectionStatus.State.FAILED);
        assertThat(status.lastError())
                .hasValueSatisfying(m -> assertThat(m)
                        .contains("picky failed on event " + poison)
                        .contains("cannot send it"));
        assertThat(delivered).containsExactlyElementsOf(appended.subList(0, 2));
        List<RecordedEvent> log = store.readAll(0, 10);
        assertThat(projector.checkpoint()).isEqualTo(log.get(1).position());
        assertThat(runner.catchUp().get(0).state())
                .as("stopped until a retry")
                .isEqualTo(ProjectionStatus.State.FAILED);
        assertThat(delivered).hasSize(2);
    }

    @Test
    @Timeout(60)
    void a_restarted_subscriber_resumes_after_its_checkpoint() {
        String url = newUrl();
        JdbcEventStore first = JdbcEventStore.open(url);
        List<UUID> before = append(first, "A", 12);
        List<List<RecordedEvent>> firstRun = new CopyOnWriteArrayList<>();
        try (ProjectionRunner runner = runner(first, Subscriber.of("resumer", firstRun::add), 5)) {
            runner.catchUp();
        }
        first.close();

        JdbcEventStore second = open(url);
        List<UUID> after = append(second, "A", 8);
        List<List<RecordedEvent>> secondRun = new CopyOnWriteArrayList<>();
        runner(second, Subscriber.of("resumer", secondRun::add), 5).catchUp();

        assertThat(ids(firstRun)).containsExactlyElementsOf(before);
        assertThat(ids(secondRun)).containsExactlyElementsOf(after);
    }

    @Test
    @Timeout(60)
    void a_filter_hands_over_its_types_only_and_the_checkpoint_passes_the_others() {
        JdbcEventStore store = open(newUrl());
        List<UUID> wanted = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            append(store, "Noise", 9);
            wanted.addAll(append(store, "Wanted", 1));
        }
        AppendResult tail = store.append("s-tail", ExpectedVersion.any(), List.of(EventData.of("Noise", "{}")));
        List<List<RecordedEvent>> batches = new CopyOnWriteArrayList<>();
        Subscriber subscriber = Subscriber.of("filtered", batches::add).onlyTypes(Set.of("Wanted", "Absent"));
        Projector projector = store.projectors().subscriber(subscriber);
        ProjectionStatus status = closeLater(ProjectionRunner.builder(store)
                        .add(projector)
                        .batchSize(4)
                        .build())
                .catchUp()
                .get(0);

        assertThat(ids(batches)).containsExactlyElementsOf(wanted);
        assertThat(batches).allSatisfy(b -> assertThat(b).isNotEmpty());
        // the last event read is a Noise event: the checkpoint stands on it, not on the last Wanted
        assertThat(status.checkpoint()).isEqualTo(tail.position());
        assertThat(projector.checkpoint()).isEqualTo(tail.position());
    }

    @Test
    @Timeout(60)
    void a_category_filter_hands_over_the_streams_of_its_categories_only() {
        JdbcEventStore store = open(newUrl());
        List<UUID> wanted = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            store.append("order-" + round, ExpectedVersion.any(), List.of(EventData.of("Placed", "{}")));
            store.append("orderx-" + round, ExpectedVersion.any(), List.of(EventData.of("Placed", "{}")));
            for (String type : List.of("Priced", "Noted")) {
                EventData e = EventData.of(type, "{}");
                store.append("product-" + round, ExpectedVersion.any(), List.of(e));
                wanted.add(e.eventId());
            }
        }
        AppendResult tail = store.append("order-tail", ExpectedVersion.any(), List.of(EventData.of("Placed", "{}")));
        List<List<RecordedEvent>> batches = new CopyOnWriteArrayList<>();
        Subscriber subscriber = Subscriber.of("products", batches::add).onlyCategories(Set.of("product"));
        Projector projector = store.projectors().subscriber(subscriber);
        ProjectionStatus status = closeLater(ProjectionRunner.builder(store)
                        .add(projector)
                        .batchSize(3)
                        .build())
                .catchUp()
                .get(0);

        assertThat(ids(batches)).containsExactlyElementsOf(wanted);
        assertThat(status.checkpoint()).isEqualTo(tail.position());
        // types and categories together
        List<List<RecordedEvent>> priced = new CopyOnWriteArrayList<>();
        closeLater(ProjectionRunner.builder(store)
                        .add(store.projectors()
                                .subscriber(Subscriber.of("priced", priced::add)
                                        .onlyCategories(Set.of("product"))
                                        .onlyTypes(Set.of("Priced"))))
                        .build())
                .catchUp();
        assertThat(priced.stream().flatMap(List::stream))
                .extracting(RecordedEvent::type)
                .hasSize(5)
                .containsOnly("Priced");
        assertThatThrownBy(() -> subscriber.onlyCategories(Set.of("product-1"))).hasMessageContaining("holds no '-'");
    }

    @Test
    @Timeout(60)
    void a_subscriber_and_a_projection_of_the_same_name_keep_separate_checkpoints() throws Exception {
        JdbcEventStore store = open(newUrl());
        append(store, "A", 3);
        Projector subscriber = store.projectors().subscriber(Subscriber.of("same", events -> {}));
        closeLater(ProjectionRunner.builder(store).add(subscriber).build()).catchUp();

        JdbcProjectors projectors = store.projectors();
        assertThat(subscriber.checkpoint()).isEqualTo(lastPosition(store));
        assertThat(projectors.checkpoints().read(projectors.dataSource(), "same"))
                .isZero();
    }

    @Test
    void a_projection_cannot_take_the_name_under_which_a_subscriber_keeps_its_checkpoint() {
        JdbcEventStore store = open(newUrl());
        append(store, "A", 3);
        List<UUID> delivered = new CopyOnWriteArrayList<>();
        Projector subscriber = store.projectors()
                .subscriber(Subscriber.of("mailer", events -> events.forEach(e -> delivered.add(e.eventId()))));

        // a projection under the subscriber's key would move the subscriber's checkpoint past
        // events the subscriber never delivered
        assertThatThrownBy(() -> store.projectors()
                        .keyed(
                                new io.annals.eventstore.tck.ProjectionRunnerContract.Totals("$subscriber:mailer"),
                                io.annals.eventstore.tck.ProjectionRunnerContract.CODEC,
                                io.annals.eventstore.tck.ProjectionRunnerContract.TOTALS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("$subscriber:");
        closeLater(ProjectionRunner.builder(store).add(subscriber).build()).catchUp();
        assertThat(delivered).hasSize(3);
    }

    /**
     * Two subscribers of the same name on two stores (two pools: two processes, as far as the
     * database can tell) compete for one lease: one delivers, the other waits, takes over when the
     * first stops, and the two never run the handler at the same time.
     */
    @Test
    @Timeout(120)
    void two_competing_subscribers_never_deliver_at_the_same_time() throws Exception {
        String url = newUrl();
        JdbcEventStore a = open(url);
        JdbcEventStore b = open(url);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        List<UUID> deliveredByA = new CopyOnWriteArrayList<>();
        List<UUID> deliveredByB = new CopyOnWriteArrayList<>();
        ProjectionRunner runnerA = runner(a, Subscriber.of("single", handler(inside, mostInside, deliveredByA)), 10);
        ProjectionRunner runnerB = runner(b, Subscriber.of("single", handler(inside, mostInside, deliveredByB)), 10);

        List<UUID> appended = new ArrayList<>(append(a, "A", 40));
        runnerA.start();
        assertThat(runnerA.awaitPosition("single", lastPosition(a), Duration.ofSeconds(30)))
                .isTrue();
        runnerB.start();
        appended.addAll(append(b, "A", 40));
        assertThat(runnerA.awaitPosition("single", lastPosition(a), Duration.ofSeconds(30)))
                .isTrue();
        assertThat(runnerB.status("single").state()).isEqualTo(ProjectionStatus.State.STANDBY);
        assertThat(deliveredByB).isEmpty();

        runnerA.close(); // lets go of the lease: B takes over
        appended.addAll(append(b, "A", 40));
        assertThat(runnerB.awaitPosition("single", lastPosition(b), Duration.ofSeconds(30)))
                .isTrue();

        assertThat(mostInside.get()).isEqualTo(1);
        assertThat(deliveredByB).isNotEmpty();
        List<UUID> all = new ArrayList<>(deliveredByA);
        all.addAll(deliveredByB);
        assertThat(all).containsExactlyElementsOf(appended); // in order, each once: no crash here
    }

    private static Subscriber.Handler handler(AtomicInteger inside, AtomicInteger mostInside, List<UUID> delivered) {
        return events -> {
            int now = inside.incrementAndGet();
            mostInside.accumulateAndGet(now, Math::max);
            try {
                Thread.sleep(5); // long enough for an overlap to show
                events.forEach(e -> delivered.add(e.eventId()));
            } finally {
                inside.decrementAndGet();
            }
        };
    }
}
