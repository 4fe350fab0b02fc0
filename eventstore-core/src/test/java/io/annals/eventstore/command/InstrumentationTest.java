package io.annals.eventstore.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.AppendCondition;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Correlation;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.Instrumentation;
import io.annals.eventstore.Query;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamAppend;
import io.annals.eventstore.command.CommandHandlerTest.Add;
import io.annals.eventstore.command.CommandHandlerTest.AddedCodec;
import io.annals.eventstore.command.CommandHandlerTest.CounterAggregate;
import io.annals.eventstore.command.CommandHandlerTest.ObservedStore;
import io.annals.eventstore.decision.Courses;
import io.annals.eventstore.decision.DecisionHandler;
import io.annals.eventstore.projection.InMemoryProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import io.annals.eventstore.tck.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class InstrumentationTest {

    /** Writes down every call, as "what tag tag...". */
    static final class Recording implements Instrumentation {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());

        @Override
        public Append appendStarted(String store, int events) {
            calls.add("append " + store + " " + events);
            return outcome -> calls.add("appended " + outcome.tag());
        }

        @Override
        public Command commandStarted(String kind, String handler) {
            calls.add("command " + kind + " " + handler);
            return new Command() {
                @Override
                public void conflict(boolean retried) {
                    calls.add("conflict " + (retried ? "retried" : "given up"));
                }

                @Override
                public void ended(CommandOutcome outcome, int attempts) {
                    calls.add("handled " + outcome.tag() + " " + attempts);
                }
            };
        }

        @Override
        public Batch batchStarted(String projection, int events) {
            calls.add("batch " + projection + " " + events);
            return (@Nullable Throwable failure) -> calls.add("applied " + (failure == null ? "ok" : "error"));
        }

        @Override
        public void projectionLag(String projection, long positions, Duration behind) {
            calls.add("lag " + projection + " " + positions + " " + behind.toSeconds() + "s");
        }
    }

    private static final Instant T0 = Instant.parse("2026-03-04T05:06:07Z");
    private final Recording recording = new Recording();
    private final TestClock clock = new TestClock(T0);
    private final InMemoryEventStore store = new InMemoryEventStore(clock, AppendLimits.defaults(), recording);

    @Test
    void every_outcome_of_an_append_is_reported() {
        EventData e = EventData.of("Opened", "{}");
        store.append("a-1", ExpectedVersion.noStream(), List.of(e));
        store.append("a-1", ExpectedVersion.noStream(), List.of(e)); // a repeat: ok
        assertThatThrownBy(() -> store.append("a-1", ExpectedVersion.exactly(5), List.of(EventData.of("X", "{}"))));
        assertThatThrownBy(() -> store.append("a-2", ExpectedVersion.any(), List.of(e)));
        assertThatThrownBy(() -> store.append(
                List.of(new StreamAppend("a-3", ExpectedVersion.any(), List.of(EventData.of("X", "{}")))),
                new AppendCondition(Query.all(), 0)));
        store.deleteStream("a-1", ExpectedVersion.any());
        assertThatThrownBy(() -> store.append("a-1", ExpectedVersion.any(), List.of(EventData.of("X", "{}"))));
        assertThatThrownBy(() -> store.append("", ExpectedVersion.any(), List.of(EventData.of("X", "{}"))));

        assertThat(recording.calls)
                .containsExactly(
                        "append memory 1", "appended ok",
                        "append memory 1", "appended ok",
                        "append memory 1", "appended wrong_expected_version",
                        "append memory 1", "appended duplicate",
                        "append memory 1", "appended condition_failed",
                        "append memory 0", "appended ok",
                        "append memory 1", "appended deleted_stream",
                        "append memory 1", "appended error");
    }

    @Test
    void a_command_reports_its_conflicts_retries_and_outcome_and_wraps_its_append() {
        ObservedStore observed = new ObservedStore(store);
        CommandHandler<?, Add, ?> handler = CommandHandler.builder(new CounterAggregate(10), observed, new AddedCodec())
                .build();
        int[] left = {2};
        observed.beforeAppend = s -> {
            if (left[0]-- > 0) { // another writer gets there first, twice
                s.append("counter-c1", ExpectedVersion.any(), List.of(EventData.of("Added", "{\"amount\":1}")));
            }
        };

        handler.handle(new Add("c1", 1));

        assertThat(recording.calls)
                .containsExactly(
                        "command aggregate counter",
                        "append memory 1",
                        "appended ok", // the other writer
                        "append memory 1",
                        "appended wrong_expected_version",
                        "conflict retried",
                        "append memory 1",
                        "appended ok",
                        "append memory 1",
                        "appended wrong_expected_version",
                        "conflict retried",
                        "append memory 1",
                        "appended ok",
                        "handled ok 3");
        recording.calls.clear();

        assertThatThrownBy(() -> handler.handle(new Add("c1", 100))).isInstanceOf(CommandRejectedException.class);
        assertThat(recording.calls).containsExactly("command aggregate counter", "handled rejected 1");
    }

    @Test
    void a_command_given_up_after_its_last_attempt_is_a_conflict() {
        ObservedStore observed = new ObservedStore(store);
        CommandHandler<?, Add, ?> handler = CommandHandler.builder(new CounterAggregate(), observed, new AddedCodec())
                .maxAttempts(1)
                .instrumentation(recording)
                .build();
        observed.beforeAppend =
                s -> s.append("counter-c1", ExpectedVersion.any(), List.of(EventData.of("Added", "{\"amount\":1}")));

        assertThatThrownBy(() -> handler.handle(new Add("c1", 1)));

        assertThat(recording.calls).contains("conflict given up", "handled conflict 1");
    }

    @Test
    void a_command_recognised_by_its_id_is_reported_as_repeated() {
        CommandHandler<?, Add, ?> handler = CommandHandler.builder(new CounterAggregate(), store, new AddedCodec())
                .eventIdsFromCommandId(true)
                .build();
        handler.handle(new Add("c1", 1), Map.of(Correlation.COMMAND_ID, "cmd-1"));
        recording.calls.clear();

        handler.handle(new Add("c1", 1), Map.of(Correlation.COMMAND_ID, "cmd-1"));

        assertThat(recording.calls)
                .containsExactly(
                        "command aggregate counter",
                        "append memory 1",
                        "appended duplicate", // decided again, its ids found stored: read back
                        "handled repeated 1");
    }

    @Test
    void a_handler_s_builder_overrides_the_store_s_instrumentation() {
        Recording own = new Recording();
        CommandHandler<?, Add, ?> handler = CommandHandler.builder(new CounterAggregate(), store, new AddedCodec())
                .instrumentation(own)
                .build();

        handler.handle(new Add("c1", 1));

        assertThat(own.calls).containsExactly("command aggregate counter", "handled ok 1");
        assertThat(recording.calls).containsExactly("append memory 1", "appended ok");
    }

    @Test
    void a_decision_reports_under_its_name_and_stamps_its_events() {
        DecisionHandler<Courses.DefineCourse, Courses.CourseEvent> define =
                DecisionHandler.builder(Courses.DEFINE, store, Courses.CODEC).build();
        DecisionHandler<Courses.Subscribe, Courses.CourseEvent> subscribe = DecisionHandler.builder(
                        Courses.SUBSCRIBE, store, Courses.CODEC)
                .name("subscribe")
                .build();

        define.handle(new Courses.DefineCourse("maths", 3), Map.of(Correlation.CORRELATION_ID, "trace-1"));
        subscribe.handle(new Courses.Subscribe("maths", "ada"), Map.of(Correlation.COMMAND_ID, "cmd-7"));

        assertThat(recording.calls)
                .containsExactly(
                        "command decision DefineCourse",
                        "append memory 1",
                        "appended ok",
                        "handled ok 1",
                        "command decision subscribe",
                        "append memory 1",
                        "appended ok",
                        "handled ok 1");
        List<RecordedEvent> log = store.readAll(0, 10);
        assertThat(log.get(0).metadata()).containsEntry(Correlation.CORRELATION_ID, "trace-1");
        assertThat(log.get(1).metadata())
                .containsEntry(Correlation.CORRELATION_ID, "cmd-7")
                .containsEntry(Correlation.CAUSATION_ID, "cmd-7");
    }

    @Test
    void a_decision_with_ids_from_command_ids_never_stores_a_command_twice() {
        DecisionHandler<Courses.DefineCourse, Courses.CourseEvent> define = DecisionHandler.builder(
                        Courses.DEFINE, store, Courses.CODEC)
                .eventIdsFromCommandId(true)
                .build();
        Map<String, String> cmd = Map.of(Correlation.COMMAND_ID, "define-maths");
        define.handle(new Courses.DefineCourse("maths", 3), cmd);

        // decided again on a state that now holds its own event: rejected, nothing stored
        assertThatThrownBy(() -> define.handle(new Courses.DefineCourse("maths", 3), cmd))
                .isInstanceOf(CommandRejectedException.class);
        assertThat(store.countEvents()).isOne();
    }

    @Test
    void a_projection_runner_reports_its_batches_and_how_far_behind_it_is() {
        for (int i = 1; i <= 3; i++) {
            store.append(
                    "account-" + i,
                    ExpectedVersion.any(),
                    List.of(ProjectionRunnerContract.CODEC.encode(new Deposited(i))));
            clock.advance(Duration.ofSeconds(10));
        }
        // the last event was recorded at T0 + 20 s; the runner looks at T0 + 30 s + 5 s
        clock.advance(Duration.ofSeconds(5));
        recording.calls.clear();
        try (ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(new InMemoryProjector<>(
                        new ProjectionRunnerContract.Totals("totals"), ProjectionRunnerContract.CODEC))
                .batchSize(2)
                .clock(clock)
                .build()) {
            runner.catchUp();
        }

        assertThat(recording.calls)
                .containsExactly(
                        "batch totals 2",
                        "applied ok",
                        "lag totals 1 25s", // event 2, at T0 + 10 s
                        "batch totals 1",
                        "applied ok",
                        "lag totals 0 0s",
                        "lag totals 0 0s"); // the read that found the end of the log
    }

    @Test
    void without_instrumentation_nothing_asks_for_the_lag() {
        InMemoryEventStore plain = new InMemoryEventStore();
        assertThat(plain.instrumentation()).isSameAs(Instrumentation.none());
        plain.append(
                "account-1", ExpectedVersion.any(), List.of(ProjectionRunnerContract.CODEC.encode(new Deposited(1))));
        io.annals.eventstore.tck.ForwardingEventStore counting =
                new io.annals.eventstore.tck.ForwardingEventStore(plain) {
                    @Override
                    public java.util.OptionalLong lastPosition() {
                        throw new AssertionError("the lag is not computed without instrumentation");
                    }
                };
        try (ProjectionRunner runner = ProjectionRunner.builder(counting)
                .add(new InMemoryProjector<>(
                        new ProjectionRunnerContract.Totals("totals"), ProjectionRunnerContract.CODEC))
                .build()) {
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
        }
    }

    /** An instrumentation that throws from every call and every handle. */
    static final class Throwing implements Instrumentation {
        @Override
        public Append appendStarted(String store, int events) {
            return outcome -> {
                throw new IllegalStateException("append meter broken");
            };
        }

        @Override
        public Command commandStarted(String kind, String handler) {
            return new Command() {
                @Override
                public void conflict(boolean retried) {
                    throw new IllegalStateException("conflict meter broken");
                }

                @Override
                public void ended(CommandOutcome outcome, int attempts) {
                    throw new IllegalStateException("command meter broken");
                }
            };
        }

        @Override
        public Batch batchStarted(String projection, int events) {
            throw new IllegalStateException("batch meter broken");
        }

        @Override
        public void projectionLag(String projection, long positions, Duration behind) {
            throw new IllegalStateException("lag meter broken");
        }
    }

    @Test
    void an_instrumentation_that_throws_never_fails_a_stored_append_or_command() {
        InMemoryEventStore broken = new InMemoryEventStore(clock, AppendLimits.defaults(), new Throwing());

        broken.append("a-1", ExpectedVersion.noStream(), List.of(EventData.of("Opened", "{}")));
        // a failure is still the append's own, not the instrumentation's
        assertThatThrownBy(() -> broken.append("a-1", ExpectedVersion.noStream(), List.of(EventData.of("X", "{}"))))
                .isInstanceOf(io.annals.eventstore.WrongExpectedVersionException.class);
        CommandHandler<?, Add, ?> handler = CommandHandler.builder(new CounterAggregate(10), broken, new AddedCodec())
                .build();
        handler.handle(new Add("c1", 1));
        assertThatThrownBy(() -> handler.handle(new Add("c1", 1000))).isInstanceOf(CommandRejectedException.class);
        DecisionHandler<Courses.DefineCourse, Courses.CourseEvent> define =
                DecisionHandler.builder(Courses.DEFINE, broken, Courses.CODEC).build();
        define.handle(new Courses.DefineCourse("maths", 3));

        assertThat(broken.countEvents()).isEqualTo(3);
    }

    @Test
    void an_instrumentation_that_throws_never_fails_a_projection_batch() {
        InMemoryEventStore broken = new InMemoryEventStore(clock, AppendLimits.defaults(), new Throwing());
        broken.append(
                "account-1", ExpectedVersion.any(), List.of(ProjectionRunnerContract.CODEC.encode(new Deposited(1))));
        try (ProjectionRunner runner = ProjectionRunner.builder(broken)
                .add(new InMemoryProjector<>(
                        new ProjectionRunnerContract.Totals("totals"), ProjectionRunnerContract.CODEC))
                .build()) {
            var status = runner.catchUp().get(0);
            assertThat(status.lastError()).isEmpty();
            assertThat(status.checkpoint()).isEqualTo(broken.lastPosition().orElseThrow());
        }
    }
}
