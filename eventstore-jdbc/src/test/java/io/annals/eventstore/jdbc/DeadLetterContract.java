package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.StateCodec;
import io.annals.eventstore.projection.DeadLetter;
import io.annals.eventstore.projection.DeadLetterProjector;
import io.annals.eventstore.projection.ErrorPolicy;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.projection.ProjectionStatus.State;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.UnluckyAmounts;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * Poison events on a JDBC store: the stop and park policies, what SQLite and PostgreSQL must both
 * do. The projection fails on a deposit of 13 while {@link #broken} is set; its rows list each
 * stream's amounts in the order applied, so a repeat or a reordering shows.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class DeadLetterContract {

    static final Instant NOW = Instant.parse("2026-03-01T10:15:30.123456Z");

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final AtomicBoolean broken = new AtomicBoolean(true);

    /** A URL of a new, empty database. */
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

    static final StateCodec<String> TEXT = new StateCodec<>() {
        @Override
        public String serialize(String state) {
            return state;
        }

        @Override
        public String deserialize(String stored) {
            return stored;
        }
    };

    private JdbcEventStore store;
    private KeyedProjector<String, String> amounts;

    private ProjectionRunner runner(ErrorPolicy policy) {
        store = closeLater(JdbcEventStore.open(newUrl()));
        amounts = store.projectors().keyed(new UnluckyAmounts(broken), ProjectionRunnerContract.CODEC, TEXT);
        return closeLater(ProjectionRunner.builder(store)
                .add(amounts)
                .onError("amounts", policy)
                .batchSize(10)
                .maxBackoff(Duration.ofMillis(50))
                .clock(Clock.fixed(NOW, ZoneOffset.UTC))
                .build());
    }

    private long deposit(String stream, long amount) {
        return store.append(
                        stream,
                        ExpectedVersion.any(),
                        List.of(ProjectionRunnerContract.CODEC.encode(new Deposited(amount))))
                .position();
    }

    private Optional<String> row(String stream) {
        return amounts.get(stream);
    }

    @Test
    void the_stop_policy_applies_the_neighbours_before_the_poison_event_and_stops_there() {
        ProjectionRunner runner = runner(ErrorPolicy.stopAfter(1));
        deposit("a", 1);
        long before = deposit("b", 2);
        long poison = deposit("a", 13);
        deposit("b", 4);
        deposit("c", 6);

        ProjectionStatus first = runner.catchUp().get(0); // the attempt
        assertThat(first.state()).isEqualTo(State.FAILED);
        assertThat(amounts.checkpoint()).isZero();
        ProjectionStatus stopped = runner.catchUp().get(0); // the one retry, then the stop
        assertThat(stopped.state()).isEqualTo(State.FAILED);
        String eventId = store.readAll(poison - 1, 1).get(0).eventId().toString();
        assertThat(stopped.lastError())
                .hasValueSatisfying(m -> assertThat(m)
                        .contains("position " + poison)
                        .contains(eventId)
                        .contains("Deposited")
                        .contains("stream a")
                        .contains("thirteen is unlucky"));
        assertThat(amounts.checkpoint()).isEqualTo(before);
        assertThat(row("a")).hasValue("1");
        assertThat(row("b")).hasValue("2");

        broken.set(false);
        assertThat(runner.catchUp().get(0).state()).isEqualTo(State.FAILED); // no automatic retry
        assertThat(amounts.checkpoint()).isEqualTo(before);

        runner.retry("amounts");
        assertThat(runner.catchUp().get(0).state()).isEqualTo(State.STOPPED);
        assertThat(row("a")).hasValue("1,13");
        assertThat(row("b")).hasValue("2,4");
        assertThat(row("c")).hasValue("6");
        assertThat(runner.deadLetters("amounts")).isEmpty();
    }

    @Test
    void a_started_runner_stops_at_the_poison_event_and_goes_on_after_retry() {
        ProjectionRunner runner = runner(ErrorPolicy.stopAfter(0));
        deposit("a", 1);
        long before = deposit("b", 2);
        deposit("a", 13);
        long last = deposit("b", 4);
        runner.start();
        await(() -> runner.status("amounts").state() == State.FAILED && amounts.checkpoint() == before);
        assertThat(row("a")).hasValue("1");

        broken.set(false);
        runner.retry("amounts");
        assertThat(runner.awaitPosition("amounts", last, Duration.ofSeconds(10)))
                .isTrue();
        assertThat(row("a")).hasValue("1,13");
        assertThat(row("b")).hasValue("2,4");
    }

    @Test
    void the_park_policy_parks_the_poison_event_and_holds_its_stream_behind_it() {
        ProjectionRunner runner = runner(ErrorPolicy.parkAfter(0));
        deposit("a", 1);
        deposit("b", 2);
        long poison = deposit("a", 13);
        deposit("b", 4);
        long held = deposit("a", 5);
        deposit("c", 6);

        ProjectionStatus status = runner.catchUp().get(0);

        assertThat(status.state()).isEqualTo(State.STOPPED);
        assertThat(row("a")).hasValue("1");
        assertThat(row("b")).hasValue("2,4");
        assertThat(row("c")).hasValue("6");
        List<DeadLetter> letters = runner.deadLetters("amounts");
        assertThat(letters).extracting(DeadLetter::position).containsExactly(poison, held);
        DeadLetter first = letters.get(0);
        assertThat(first.projection()).isEqualTo("amounts");
        assertThat(first.streamId()).isEqualTo("a");
        assertThat(first.type()).isEqualTo("Deposited");
        assertThat(first.eventId())
                .isEqualTo(store.readAll(poison - 1, 1).get(0).eventId());
        assertThat(first.error()).contains("thirteen is unlucky");
        assertThat(first.parkedAt()).isEqualTo(NOW);
        assertThat(letters.get(1).error()).contains("held behind");

        // later events of the held stream are parked too; other streams go on
        long later = deposit("a", 8);
        long other = deposit("b", 9);
        runner.catchUp();
        assertThat(amounts.checkpoint()).isEqualTo(other);
        assertThat(row("b")).hasValue("2,4,9");
        assertThat(runner.deadLetters("amounts"))
                .extracting(DeadLetter::position)
                .containsExactly(poison, held, later);

        // still broken: a retry changes nothing, and the order holds
        assertThat(runner.retryDeadLetters("amounts")).hasSize(3);
        assertThat(row("a")).hasValue("1");

        broken.set(false);
        assertThat(runner.retryDeadLetters("amounts")).isEmpty();
        assertThat(row("a")).hasValue("1,13,5,8");

        // applied once: a second retry and more polling repeat nothing
        assertThat(runner.retryDeadLetters("amounts")).isEmpty();
        deposit("a", 10);
        runner.catchUp();
        assertThat(row("a")).hasValue("1,13,5,8,10");
        assertThat(row("b")).hasValue("2,4,9");
    }

    /**
     * Every stream's amounts in one row, so that the events of other streams touch the row of a
     * stream's parked event; fails on 13 while {@code broken} is set.
     */
    static class AllAmounts implements Projection<Deposited, String, String> {
        private final UnluckyAmounts amounts;

        AllAmounts(AtomicBoolean broken) {
            this.amounts = new UnluckyAmounts(broken);
        }

        @Override
        public String name() {
            return "all-amounts";
        }

        @Override
        public String key(Envelope<Deposited> e) {
            return "all";
        }

        @Override
        public String apply(String current, Envelope<Deposited> e) {
            return amounts.apply(current, e);
        }
    }

    @Test
    void a_parked_event_applied_in_another_process_is_not_undone_by_the_rows_a_runner_keeps() {
        String url = newUrl();
        store = closeLater(JdbcEventStore.open(url));
        KeyedProjector<String, String> all =
                store.projectors().keyed(new AllAmounts(broken), ProjectionRunnerContract.CODEC, TEXT);
        ProjectionRunner runner = closeLater(ProjectionRunner.builder(store)
                .add(all)
                .onError("all-amounts", ErrorPolicy.parkAfter(0))
                .clock(Clock.fixed(NOW, ZoneOffset.UTC))
                .build());
        deposit("a", 1);
        long poison = deposit("b", 13);
        deposit("a", 2);
        runner.catchUp();
        deposit("a", 3);
        runner.catchUp(); // a batch that leaves the runner's projector keeping the row at its checkpoint
        assertThat(all.get("all")).hasValue("1,2,3");
        assertThat(runner.deadLetters("all-amounts"))
                .extracting(DeadLetter::position)
                .containsExactly(poison);

        // Another process applies the parked event, as a runner there does on SQLite, where a
        // lease does not reach across processes: the row changes, the checkpoint stays.
        broken.set(false);
        try (JdbcEventStore other = JdbcEventStore.open(url)) {
            DeadLetterProjector elsewhere = (DeadLetterProjector)
                    other.projectors().keyed(new AllAmounts(broken), ProjectionRunnerContract.CODEC, TEXT);
            assertThat(elsewhere.applyParked(other.readAll(poison - 1, 1).get(0)))
                    .isTrue();
        }
        assertThat(all.get("all")).hasValue("1,2,3,13");

        deposit("a", 4);
        runner.catchUp();
        assertThat(all.get("all")).hasValue("1,2,3,13,4"); // "1,2,3,4" from a kept row
        assertThat(runner.deadLetters("all-amounts")).isEmpty();
    }

    @Test
    void only_the_poison_event_is_parked_after_the_retries_are_spent() {
        ProjectionRunner runner = runner(ErrorPolicy.parkAfter(2));
        deposit("a", 1);
        long poison = deposit("b", 13);
        deposit("c", 3);

        runner.catchUp();
        runner.catchUp();
        assertThat(runner.deadLetters("amounts")).isEmpty(); // two retries: not yet
        assertThat(amounts.checkpoint()).isZero();
        runner.catchUp();
        assertThat(runner.deadLetters("amounts"))
                .extracting(DeadLetter::position)
                .containsExactly(poison);
        assertThat(row("a")).hasValue("1");
        assertThat(row("c")).hasValue("3");
        assertThat(row("b")).isEmpty();
    }

    @Test
    void skip_removes_a_dead_letter_without_applying_it() {
        ProjectionRunner runner = runner(ErrorPolicy.parkAfter(0));
        deposit("a", 1);
        long poison = deposit("a", 13);
        deposit("a", 2);
        runner.catchUp();
        assertThat(runner.deadLetters("amounts")).hasSize(2);

        assertThat(runner.skipDeadLetter("amounts", poison)).isTrue();
        assertThat(runner.skipDeadLetter("amounts", poison)).isFalse();
        assertThat(runner.deadLetters("amounts")).hasSize(1); // the held one waits for a retry
        assertThat(runner.retryDeadLetters("amounts")).isEmpty();
        assertThat(row("a")).hasValue("1,2");
    }

    @Test
    void a_rebuild_forgets_the_dead_letters() {
        ProjectionRunner runner = runner(ErrorPolicy.parkAfter(0));
        deposit("a", 13);
        deposit("a", 1);
        runner.catchUp();
        assertThat(runner.deadLetters("amounts")).hasSize(2);
        broken.set(false);
        runner.rebuild("amounts", p -> {});
        assertThat(runner.deadLetters("amounts")).isEmpty();
        assertThat(row("a")).hasValue("13,1");
    }

    @Test
    void a_bad_policy_is_refused_clearly() {
        assertThatThrownBy(() -> ErrorPolicy.parkAfter(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retries cannot be negative");
        assertThatThrownBy(() -> ErrorPolicy.stopAfter(-3)).isInstanceOf(IllegalArgumentException.class);
        store = closeLater(JdbcEventStore.open(newUrl()));
        amounts = store.projectors().keyed(new UnluckyAmounts(broken), ProjectionRunnerContract.CODEC, TEXT);
        assertThatThrownBy(() -> ProjectionRunner.builder(store)
                        .add(amounts)
                        .onError("amount", ErrorPolicy.stopAfter(1))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("onError names projection amount, which was not added");
        assertThatThrownBy(() -> ProjectionRunner.builder(store)
                        .add(store.projectors()
                                .subscriber(io.annals.eventstore.projection.Subscriber.of("mail", events -> {})))
                        .onError("mail", ErrorPolicy.parkAfter(1))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot park events");
    }

    private static void await(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
