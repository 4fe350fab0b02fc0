package io.annals.eventstore.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.projection.ProjectionStatus.State;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.ReadCountingEventStore;
import io.annals.eventstore.tck.UnluckyAmounts;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stop policy on the in-memory projector, which keeps no dead letters and so cannot park. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class InMemoryErrorPolicyTest {

    private final AtomicBoolean broken = new AtomicBoolean(true);
    private final InMemoryEventStore store = new InMemoryEventStore();
    private final InMemoryProjector<Deposited, String, String> amounts =
            new InMemoryProjector<>(new UnluckyAmounts(broken), ProjectionRunnerContract.CODEC);

    private long deposit(String stream, long amount) {
        return store.append(
                        stream,
                        ExpectedVersion.any(),
                        List.of(ProjectionRunnerContract.CODEC.encode(new Deposited(amount))))
                .position();
    }

    /**
     * A runner of the amounts that stops at an event that fails, at once; polling every 500 ms
     * when started, not woken by appends.
     */
    private ProjectionRunner stoppingAtOnce(EventStore on) {
        return ProjectionRunner.builder(on)
                .add(amounts)
                .pollInterval(Duration.ofMillis(500))
                .wakeOnAppend(false)
                .onError("amounts", ErrorPolicy.stopAfter(0))
                .build();
    }

    @Test
    void the_stop_policy_stops_just_before_the_poison_event_until_retry() {
        deposit("a", 1);
        long before = deposit("b", 2);
        long poison = deposit("a", 13);
        deposit("b", 4);
        try (ProjectionRunner runner = stoppingAtOnce(store)) {
            ProjectionStatus stopped = runner.catchUp().get(0);
            assertThat(stopped.state()).isEqualTo(State.FAILED);
            assertThat(stopped.lastError())
                    .hasValueSatisfying(m -> assertThat(m)
                            .contains("position " + poison)
                            .contains("stream a")
                            .contains("thirteen is unlucky"));
            assertThat(amounts.checkpoint()).isEqualTo(before);
            assertThat(amounts.get("a")).hasValue("1");
            assertThat(amounts.get("b")).hasValue("2");

            broken.set(false);
            assertThat(runner.catchUp().get(0).checkpoint()).isEqualTo(before);
            runner.retry("amounts");
            assertThat(runner.catchUp().get(0).state()).isEqualTo(State.STOPPED);
            assertThat(amounts.get("a")).hasValue("1,13");
            assertThat(amounts.get("b")).hasValue("2,4");
        }
    }

    @Test
    @Timeout(20)
    void a_rebuild_stops_at_the_poison_event_under_the_stop_policy() {
        deposit("a", 1);
        long before = deposit("b", 2);
        long poison = deposit("a", 13);
        deposit("b", 4);
        try (ProjectionRunner runner = stoppingAtOnce(store)) {
            RebuildProgress end = runner.rebuild("amounts", p -> {});
            ProjectionStatus stopped = runner.status("amounts");
            assertThat(stopped.state()).isEqualTo(State.FAILED);
            assertThat(stopped.lastError())
                    .hasValueSatisfying(m -> assertThat(m).contains("position " + poison));
            assertThat(amounts.checkpoint()).isEqualTo(before);
            assertThat(end.finished())
                    .as("a rebuild that stopped short has not caught up")
                    .isFalse();

            broken.set(false);
            runner.retry("amounts");
            assertThat(runner.catchUp().get(0).state()).isEqualTo(State.STOPPED);
            assertThat(amounts.get("a")).hasValue("1,13");
            assertThat(amounts.get("b")).hasValue("2,4");
        }
    }

    @Test
    @Timeout(60)
    void a_retry_after_a_rebuild_stopped_at_an_event_leaves_one_loop_of_polls() throws Exception {
        ReadCountingEventStore counted = new ReadCountingEventStore(store);
        broken.set(false);
        deposit("a", 1);
        deposit("a", 13);
        try (ProjectionRunner runner = stoppingAtOnce(counted)) {
            runner.start();
            assertThat(runner.awaitPosition("amounts", store.lastPosition().orElseThrow(), Duration.ofSeconds(10)))
                    .isTrue();
            // stopped inside the rebuild, while the next timed poll is due
            broken.set(true);
            assertThat(runner.rebuild("amounts", p -> {}).finished()).isFalse();
            broken.set(false);
            runner.retry("amounts");

            int before = counted.reads();
            Thread.sleep(4_000);
            int polls = counted.reads() - before;
            // one poll every 500 ms: 8 in 4 s (fewer on a slow machine); two loops would make 16
            assertThat(polls).as("reads in 4 s").isLessThanOrEqualTo(11);
            assertThat(amounts.get("a")).hasValue("1,13");
        }
    }

    @Test
    @Timeout(60)
    void starting_the_runner_while_a_retry_waits_to_run_leaves_one_loop_of_polls() throws Exception {
        ReadCountingEventStore counted = new ReadCountingEventStore(store);
        deposit("a", 1);
        deposit("a", 13);
        try (ProjectionRunner runner = stoppingAtOnce(counted)) {
            // the projection's thread is held in a rebuild that stopped at the poison event
            CountDownLatch inRebuild = new CountDownLatch(1);
            CountDownLatch letGo = new CountDownLatch(1);
            Thread rebuilding = new Thread(() -> runner.rebuild("amounts", p -> {
                inRebuild.countDown();
                await(letGo);
            }));
            rebuilding.start();
            assertThat(inRebuild.await(10, TimeUnit.SECONDS)).isTrue();
            broken.set(false);
            Thread retrying = new Thread(() -> runner.retry("amounts")); // queued behind the rebuild
            retrying.start();
            Thread.sleep(200);
            runner.start(); // its first poll queued behind the retry, which sees the runner started
            letGo.countDown();
            rebuilding.join(10_000);
            retrying.join(10_000);
            assertThat(runner.awaitPosition("amounts", store.lastPosition().orElseThrow(), Duration.ofSeconds(10)))
                    .isTrue();

            int before = counted.reads();
            Thread.sleep(4_000);
            // one poll every 500 ms: 8 in 4 s (fewer on a slow machine); two loops would make 16
            assertThat(counted.reads() - before).as("reads in 4 s").isLessThanOrEqualTo(11);
            assertThat(amounts.get("a")).hasValue("1,13");
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void the_in_memory_projector_cannot_park() {
        assertThatThrownBy(() -> ProjectionRunner.builder(store)
                        .add(amounts)
                        .onError("amounts", ErrorPolicy.parkAfter(3))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot park events");
        try (ProjectionRunner runner =
                ProjectionRunner.builder(store).add(amounts).build()) {
            assertThatThrownBy(() -> runner.deadLetters("amounts"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("keeps no dead letters");
        }
    }

    @Test
    void retry_forever_is_the_default_and_keeps_retrying() {
        deposit("a", 13);
        try (ProjectionRunner runner =
                ProjectionRunner.builder(store).add(amounts).build()) {
            for (int i = 1; i <= 3; i++) {
                ProjectionStatus s = runner.catchUp().get(0);
                assertThat(s.state()).isEqualTo(State.FAILED);
                assertThat(s.failures()).isEqualTo(i);
            }
            broken.set(false);
            assertThat(runner.catchUp().get(0).state()).isEqualTo(State.STOPPED);
            assertThat(amounts.get("a")).hasValue("13");
        }
    }
}
