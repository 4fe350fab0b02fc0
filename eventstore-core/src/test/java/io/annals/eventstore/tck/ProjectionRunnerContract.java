package io.annals.eventstore.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.CategoryQuery;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InterruptedWaitException;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StateCodec;
import io.annals.eventstore.projection.CheckpointConflictException;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.projection.Projector;
import io.annals.eventstore.projection.ReadModel;
import io.annals.eventstore.projection.RebuildProgress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every projector and the {@link ProjectionRunner} guarantee, run against each storage: a
 * subclass says how to open a store and a keyed projector on it.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
public abstract class ProjectionRunnerContract {

    /** The test events: an amount deposited into an account (the stream). */
    public record Deposited(long amount) implements Event {}

    /** A row of the test read model: the sum and the count of deposits. */
    public record Total(long sum, long count) {}

    /** Reads and writes {@link Deposited} as {"amount":N}; knows no other type. */
    public static final EventCodec<Deposited> CODEC = new EventCodec<>() {
        private final Pattern amount = Pattern.compile("\\{\"amount\":(-?\\d+)}");

        @Override
        public String typeName(Deposited event) {
            return "Deposited";
        }

        @Override
        public String toJson(Deposited event) {
            return "{\"amount\":" + event.amount() + "}";
        }

        @Override
        public Deposited fromJson(String typeName, String json) {
            Matcher m = amount.matcher(json.replace(" ", ""));
            if (!m.matches()) {
                throw new IllegalArgumentException("not a deposit: " + json);
            }
            return new Deposited(Long.parseLong(m.group(1)));
        }

        @Override
        public boolean knows(String typeName) {
            return typeName.equals("Deposited");
        }
    };

    /** Stores a {@link Total} as "sum,count". */
    public static final StateCodec<Total> TOTALS = new StateCodec<>() {
        @Override
        public String serialize(Total state) {
            return state.sum() + "," + state.count();
        }

        @Override
        public Total deserialize(String text) {
            String[] parts = text.split(",");
            return new Total(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
        }
    };

    /** Totals per account; fails on amount 666 while {@code broken} is set. */
    public static class Totals implements Projection<Deposited, String, Total> {
        private final String name;
        public final AtomicBoolean broken = new AtomicBoolean();

        public Totals(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String key(Envelope<Deposited> e) {
            return e.recorded().streamId();
        }

        @Override
        public Total apply(Total current, Envelope<Deposited> e) {
            if (broken.get() && e.event().amount() == 666) {
                throw new IllegalStateException("cannot handle 666");
            }
            if (e.event().amount() == 0) {
                return null; // a zero deposit closes the account: the row is deleted
            }
            Total t = current == null ? new Total(0, 0) : current;
            return new Total(t.sum() + e.event().amount(), t.count() + 1);
        }
    }

    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** A new, empty store; closed after each test. */
    protected abstract EventStore newStore();

    /** A keyed projector of {@code projection} on {@code store}'s storage. */
    protected abstract KeyedProjector<String, Total> keyed(EventStore store, Totals projection);

    /** A second handle on the same storage, as another process would open it. */
    protected abstract EventStore reopen(EventStore store);

    protected <T extends AutoCloseable> T closeLater(T c) {
        closeables.add(c);
        return c;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    protected EventStore store() {
        return closeLater(newStore());
    }

    protected static AppendResult deposit(EventStore store, String account, long... amounts) {
        List<EventData> events = new ArrayList<>();
        for (long a : amounts) {
            events.add(CODEC.encode(new Deposited(a)));
        }
        return store.append(account, ExpectedVersion.any(), events);
    }

    /** The read model computed directly from the log, for comparison. */
    protected static Map<String, Total> fold(EventStore store) {
        Map<String, Total> model = new TreeMap<>();
        Totals totals = new Totals("fold");
        long after = 0;
        for (List<RecordedEvent> page; !(page = store.readAll(after, 500)).isEmpty(); ) {
            for (RecordedEvent r : page) {
                after = r.position();
                if (!CODEC.knows(r.type())) {
                    continue;
                }
                Envelope<Deposited> e = CODEC.decode(r);
                Total t = totals.apply(model.get(r.streamId()), e);
                if (t == null) {
                    model.remove(r.streamId());
                } else {
                    model.put(r.streamId(), t);
                }
            }
        }
        return model;
    }

    protected static Map<String, Total> readModel(ReadModel<String, Total> model) {
        Map<String, Total> out = new TreeMap<>();
        model.list(0, 100_000).forEach(r -> out.put(r.key(), r.value()));
        return out;
    }

    private ProjectionRunner runner(EventStore store, Projector... projectors) {
        ProjectionRunner.Builder b = ProjectionRunner.builder(store)
                .batchSize(7)
                .pollInterval(Duration.ofMillis(10))
                .maxBackoff(Duration.ofMillis(200));
        for (Projector p : projectors) {
            b.add(p);
        }
        return closeLater(b.build());
    }

    @Test
    void catch_up_applies_every_event_once_and_skips_other_types() {
        EventStore store = store();
        for (int i = 0; i < 20; i++) {
            deposit(store, "acct-" + (i % 4), i + 1, 10);
        }
        store.append("other", ExpectedVersion.any(), List.of(EventData.of("Unrelated", "{}")));
        deposit(store, "acct-closed", 5);
        deposit(store, "acct-closed", 0);
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));

        List<ProjectionStatus> statuses = runner(store, totals).catchUp();

        assertThat(statuses).extracting(ProjectionStatus::lastError).containsOnly(Optional.empty());
        assertThat(readModel(totals)).isEqualTo(fold(store)).hasSize(4);
        assertThat(totals.get("acct-1")).contains(new Total(2 + 6 + 10 + 14 + 18 + 50, 10));
        assertThat(totals.get("acct-closed")).isEmpty();
        assertThat(totals.checkpoint()).isEqualTo(store.readAll(0, 1000).get(42).position());
    }

    @Test
    void a_second_catch_up_applies_only_what_is_new() {
        EventStore store = store();
        deposit(store, "a", 1, 2);
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        ProjectionRunner runner = runner(store, totals);
        runner.catchUp();
        deposit(store, "a", 3);

        runner.catchUp();

        assertThat(totals.get("a")).contains(new Total(6, 3));
    }

    @Test
    void a_bounded_catch_up_stops_once_every_projection_has_applied_the_position() {
        EventStore store = store();
        List<AppendResult> written = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            written.add(deposit(store, "acct-" + (i % 4), i + 1));
        }
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        KeyedProjector<String, Total> others = keyed(store, new Totals("others"));
        long asked = written.get(9).position();

        List<ProjectionStatus> statuses = runner(store, totals, others).catchUp(asked, Duration.ofMinutes(1));

        // batches of 7: the tenth event is in the second batch, and the pass stops there
        long secondBatchEnd = written.get(13).position();
        assertThat(statuses).extracting(ProjectionStatus::state).containsOnly(ProjectionStatus.State.STOPPED);
        assertThat(statuses).extracting(ProjectionStatus::checkpoint).containsOnly(secondBatchEnd);
        assertThat(totals.checkpoint()).isEqualTo(secondBatchEnd);
        assertThat(others.checkpoint()).isEqualTo(secondBatchEnd);
        assertThat(totals.get("acct-1")).contains(new Total(2 + 6 + 10 + 14, 4));
    }

    @Test
    void a_bounded_catch_up_whose_time_has_run_out_applies_nothing_and_the_next_one_goes_on() {
        EventStore store = store();
        AppendResult written = deposit(store, "a", 1, 2, 3);
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        ProjectionRunner runner = runner(store, totals);

        List<ProjectionStatus> none = runner.catchUp(written.position(), Duration.ZERO);

        assertThat(none).extracting(ProjectionStatus::checkpoint).containsOnly(0L);
        assertThat(totals.checkpoint()).isZero();
        assertThat(runner.catchUp(written.position(), Duration.ofMinutes(1)))
                .extracting(ProjectionStatus::checkpoint)
                .containsOnly(written.position());
        assertThat(totals.get("a")).contains(new Total(6, 3));
        assertThatThrownBy(() -> runner.catchUp(1, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout");
    }

    @Test
    @Timeout(60)
    void a_timeout_too_long_for_nanoseconds_means_no_limit() {
        EventStore store = store();
        AppendResult written = deposit(store, "a", 1, 2, 3);
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        ProjectionRunner runner = runner(store, totals);
        Duration forever = Duration.ofMillis(Long.MAX_VALUE);

        assertThat(runner.catchUp(written.position(), forever))
                .extracting(ProjectionStatus::checkpoint)
                .containsOnly(written.position());
        assertThat(runner.awaitPosition(written.position(), forever)).isTrue();
        assertThat(runner.awaitPosition("totals", written.position(), Duration.ofNanos(Long.MAX_VALUE)))
                .isTrue();
    }

    @Test
    @Timeout(60)
    void a_bounded_catch_up_leaves_a_projection_held_elsewhere_unless_it_has_the_position() {
        EventStore store = store();
        EventStore other = closeLater(reopen(store));
        AppendResult first = deposit(store, "a", 1, 2);
        ProjectionRunner running = runner(store, keyed(store, new Totals("totals")));
        running.start();
        assertThat(running.awaitPosition("totals", first.position(), Duration.ofSeconds(20)))
                .isTrue();
        ProjectionRunner idle = runner(other, keyed(other, new Totals("totals")));

        // applied already: no lease is needed, and the status says where the projection is
        assertThat(idle.catchUp(first.position(), Duration.ofSeconds(10)))
                .extracting(ProjectionStatus::state, ProjectionStatus::checkpoint)
                .containsExactly(tuple(ProjectionStatus.State.STOPPED, first.position()));
        // not applied yet (as far as the pass can tell): left to the runner that holds it
        assertThat(idle.catchUp(first.position() + 1_000_000, Duration.ofSeconds(10)))
                .extracting(ProjectionStatus::state)
                .containsExactly(ProjectionStatus.State.STANDBY);
        running.start();
        assertThatThrownBy(() -> running.catchUp(first.position(), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    @Timeout(60)
    void a_started_runner_tails_the_log_and_a_caller_can_wait_for_its_own_write() {
        EventStore store = store();
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        ProjectionRunner runner = runner(store, totals);
        runner.start();

        for (int i = 1; i <= 30; i++) {
            AppendResult written = deposit(store, "acct-" + (i % 3), i);
            assertThat(runner.awaitPosition("totals", written.position(), Duration.ofSeconds(20)))
                    .isTrue();
            assertThat(totals.get("acct-" + (i % 3)).orElseThrow().count()).isEqualTo((i + 2) / 3);
        }
        assertThat(runner.status("totals").state()).isEqualTo(ProjectionStatus.State.RUNNING);
        assertThat(runner.status("totals").heldBy())
                .as("nothing holds readers back")
                .isEmpty();
        assertThat(store.readHorizon().heldBy()).isEmpty();
        assertThat(readModel(totals)).isEqualTo(fold(store));
    }

    /** A started runner that would poll only once an hour, but for the wake-ups. */
    private ProjectionRunner hourly(EventStore store, Projector projector, boolean wakeOnAppend) {
        ProjectionRunner runner = closeLater(ProjectionRunner.builder(store)
                .add(projector)
                .pollInterval(Duration.ofHours(1))
                .wakeOnAppend(wakeOnAppend)
                .build());
        runner.start();
        return runner;
    }

    @Test
    @Timeout(60)
    void an_append_through_the_store_wakes_a_started_runner_without_waiting_for_its_poll() {
        EventStore store = store();
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        ProjectionRunner runner = hourly(store, totals, true);

        for (int i = 1; i <= 20; i++) {
            AppendResult written = deposit(store, "acct-" + (i % 3), i);
            assertThat(runner.awaitPosition("totals", written.position(), Duration.ofSeconds(20)))
                    .as("deposit %d applied long before the hourly poll", i)
                    .isTrue();
        }
        assertThat(readModel(totals)).isEqualTo(fold(store));
    }

    @Test
    @Timeout(60)
    void without_wake_ups_a_started_runner_reads_only_when_it_polls() {
        EventStore store = store();
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        AppendResult first = deposit(store, "acct-1", 1);
        ProjectionRunner runner = hourly(store, totals, false);
        assertThat(runner.awaitPosition("totals", first.position(), Duration.ofSeconds(20)))
                .as("the first poll, at start")
                .isTrue();

        AppendResult second = deposit(store, "acct-1", 2);

        assertThat(runner.awaitPosition("totals", second.position(), Duration.ofMillis(300)))
                .as("the next poll is an hour away")
                .isFalse();
    }

    @Test
    void await_position_times_out_when_the_position_is_not_reached() {
        EventStore store = store();
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        ProjectionRunner runner = runner(store, totals);
        AppendResult written = deposit(store, "a", 1);

        assertThat(runner.awaitPosition("totals", written.position(), Duration.ofMillis(50)))
                .isFalse();
        assertThatThrownBy(() -> runner.awaitPosition("nope", 1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no projection named nope");
    }

    @Test
    void a_checkpoint_that_moved_refuses_the_batch_and_writes_nothing() {
        EventStore store = store();
        deposit(store, "a", 1);
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        List<RecordedEvent> events = store.readAll(0, 10);
        long to = events.get(0).position();
        totals.apply(0, to, events);

        assertThatThrownBy(() -> totals.apply(0, to, events)).isInstanceOf(CheckpointConflictException.class);
        assertThat(totals.get("a")).contains(new Total(1, 1));
        assertThat(totals.checkpoint()).isEqualTo(to);
    }

    /** Projectors may keep the rows they wrote; they must never serve one another changed since. */
    @Test
    void projectors_of_one_read_model_taking_turns_keep_every_row_right() {
        EventStore store = store();
        EventStore other = closeLater(reopen(store));
        deposit(store, "a", 1);
        deposit(store, "a", 2);
        deposit(store, "a", 4);
        deposit(store, "a", 8);
        deposit(store, "a", 0); // closes the account: the row goes
        deposit(store, "a", 16);
        KeyedProjector<String, Total> mine = keyed(store, new Totals("totals"));
        KeyedProjector<String, Total> theirs = keyed(other, new Totals("totals"));
        List<RecordedEvent> events = store.readAll(0, 10);

        for (int i = 0; i < events.size(); i++) {
            KeyedProjector<String, Total> turn = i % 3 == 1 ? theirs : mine;
            long from = i == 0 ? 0 : events.get(i - 1).position();
            turn.apply(from, events.get(i).position(), List.of(events.get(i)));
            if (i == 3) {
                assertThat(mine.get("a")).contains(new Total(15, 4));
            }
            if (i == 4) {
                assertThat(theirs.get("a")).isEmpty();
            }
        }

        assertThat(mine.get("a")).contains(new Total(16, 1));
        assertThat(theirs.get("a")).contains(new Total(16, 1));
    }

    /** Its rows keyed by the amount, in buckets: any number of rows from one stream. */
    static final class Buckets extends Totals {
        private final long buckets;

        Buckets(String name, long buckets) {
            super(name);
            this.buckets = buckets;
        }

        @Override
        public String key(Envelope<Deposited> e) {
            return "bucket-" + (e.event().amount() % buckets);
        }
    }

    /** More rows than a projector would keep in memory, each changed twice, far apart. */
    @Test
    @Timeout(120)
    void a_rebuild_over_more_rows_than_a_projector_keeps_in_memory_counts_every_event() {
        EventStore store = store();
        long buckets = 12_001;
        long[] amounts = new long[1_000];
        for (long next = 1; next <= 2 * buckets; ) {
            int n = (int) Math.min(amounts.length, 2 * buckets - next + 1);
            for (int i = 0; i < n; i++) {
                amounts[i] = next++;
            }
            deposit(store, "many", java.util.Arrays.copyOf(amounts, n));
        }
        KeyedProjector<String, Total> model = keyed(store, new Buckets("buckets", buckets));
        ProjectionRunner runner = closeLater(
                ProjectionRunner.builder(store).batchSize(500).add(model).build());
        runner.catchUp();

        RebuildProgress end = runner.rebuild("buckets", p -> {});

        assertThat(end.done()).isEqualTo(2 * buckets);
        Map<String, Total> rows = readModel(model);
        assertThat(rows).hasSize((int) buckets);
        assertThat(rows.values()).extracting(Total::count).containsOnly(2L);
        assertThat(model.get("bucket-1")).contains(new Total(1 + 1 + buckets, 2));
    }

    @Test
    @Timeout(60)
    void a_failing_projection_names_the_event_retries_and_does_not_stop_the_others() {
        EventStore store = store();
        deposit(store, "a", 1);
        AppendResult bad = deposit(store, "b", 666);
        AppendResult last = deposit(store, "c", 3);
        Totals brokenTotals = new Totals("broken");
        brokenTotals.broken.set(true);
        KeyedProjector<String, Total> broken = keyed(store, brokenTotals);
        KeyedProjector<String, Total> healthy = keyed(store, new Totals("healthy"));
        ProjectionRunner runner = runner(store, broken, healthy);
        runner.start();

        assertThat(runner.awaitPosition("healthy", last.position(), Duration.ofSeconds(20)))
                .isTrue();
        awaitState(runner, "broken", ProjectionStatus.State.FAILED);
        ProjectionStatus failed = runner.status("broken");
        assertThat(failed.lastError().orElseThrow())
                .contains("projection broken failed on event")
                .contains("Deposited, stream b version 1, position " + bad.position())
                .contains("cannot handle 666");
        assertThat(broken.get("a")).isEmpty(); // the batch holding the bad event was not written
        assertThat(broken.checkpoint()).isLessThan(bad.position());

        brokenTotals.broken.set(false); // the fix is deployed
        assertThat(runner.awaitPosition("broken", last.position(), Duration.ofSeconds(20)))
                .isTrue();
        assertThat(readModel(broken)).isEqualTo(fold(store));
        assertThat(runner.status("broken").failures()).isZero();
    }

    @Test
    @Timeout(60)
    void a_projection_throwing_an_error_fails_and_lets_go_of_its_lease() {
        EventStore store = store();
        AppendResult written = deposit(store, "a", 1);
        AtomicBoolean failing = new AtomicBoolean(true);
        Totals totals = new Totals("erroring") {
            @Override
            public Total apply(Total current, Envelope<Deposited> e) {
                if (failing.get()) {
                    throw new AssertionError("an Error, not an exception");
                }
                return super.apply(current, e);
            }
        };
        KeyedProjector<String, Total> projector = keyed(store, totals);
        ProjectionRunner runner = runner(store, projector);
        runner.start();

        awaitState(runner, "erroring", ProjectionStatus.State.FAILED);
        assertThat(runner.status("erroring").lastError().orElseThrow()).contains("an Error, not an exception");
        failing.set(false);
        assertThat(runner.awaitPosition("erroring", written.position(), Duration.ofSeconds(20)))
                .isTrue();
        runner.close();
        try (Projector.Lease lease = projector.tryAcquire().orElseThrow()) {
            assertThat(lease).as("the lease after close").isNotNull();
        }
    }

    @Test
    void catch_up_reports_a_failing_projection_and_still_runs_the_others() {
        EventStore store = store();
        deposit(store, "a", 666, 1);
        Totals brokenTotals = new Totals("broken");
        brokenTotals.broken.set(true);
        KeyedProjector<String, Total> healthy = keyed(store, new Totals("healthy"));

        List<ProjectionStatus> statuses =
                runner(store, keyed(store, brokenTotals), healthy).catchUp();

        assertThat(statuses.get(0).state()).isEqualTo(ProjectionStatus.State.FAILED);
        assertThat(statuses.get(0).lastError().orElseThrow()).contains("cannot handle 666");
        assertThat(healthy.get("a")).contains(new Total(667, 2));
    }

    @Test
    @Timeout(60)
    void a_rebuild_replays_the_whole_log_into_a_new_read_model_and_reports_progress() {
        EventStore store = store();
        for (int i = 0; i < 50; i++) {
            deposit(store, "acct-" + (i % 5), 1, 2);
        }
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        ProjectionRunner runner = runner(store, totals);
        runner.start();
        assertThat(runner.awaitPosition("totals", store.readAll(0, 1000).get(99).position(), Duration.ofSeconds(20)))
                .isTrue();
        List<RebuildProgress> progress = new ArrayList<>();

        RebuildProgress end = runner.rebuild("totals", progress::add);

        assertThat(end.finished()).isTrue();
        assertThat(end.done()).isEqualTo(100);
        assertThat(end.total()).isEqualTo(100);
        assertThat(progress).hasSizeGreaterThan(10);
        assertThat(progress).extracting(RebuildProgress::done).isSorted();
        assertThat(progress.get(0).total()).isEqualTo(100);
        assertThat(readModel(totals)).isEqualTo(fold(store));
        AppendResult after = deposit(store, "acct-0", 100); // and it goes on after the rebuild
        assertThat(runner.awaitPosition("totals", after.position(), Duration.ofSeconds(20)))
                .isTrue();
        assertThat(totals.get("acct-0")).contains(new Total(10 * 3 + 100, 21));
    }

    @Test
    @Timeout(90)
    void two_runners_of_one_projection_never_run_it_together_and_one_takes_over() throws Exception {
        EventStore store = store();
        EventStore other = closeLater(reopen(store));
        KeyedProjector<String, Total> mine = keyed(store, new Totals("totals"));
        KeyedProjector<String, Total> theirs = keyed(other, new Totals("totals"));
        ProjectionRunner first = runner(store, mine);
        ProjectionRunner second = runner(other, theirs);
        first.start();
        awaitState(first, "totals", ProjectionStatus.State.RUNNING);
        second.start();

        AppendResult written = null;
        for (int i = 0; i < 40; i++) {
            written = deposit(store, "acct-" + (i % 4), i + 1);
        }
        assertThat(first.awaitPosition("totals", written.position(), Duration.ofSeconds(20)))
                .isTrue();
        assertThat(second.status("totals").state()).isEqualTo(ProjectionStatus.State.STANDBY);

        first.close(); // the first runner stops: the second takes over
        awaitState(second, "totals", ProjectionStatus.State.RUNNING);
        for (int i = 0; i < 40; i++) {
            written = deposit(store, "acct-" + (i % 4), i + 1);
        }
        assertThat(second.awaitPosition("totals", written.position(), Duration.ofSeconds(20)))
                .isTrue();
        assertThat(readModel(theirs)).isEqualTo(fold(store));
        assertThat(readModel(theirs).values()).extracting(Total::count).containsOnly(20L);
    }

    @Test
    @Timeout(60)
    void projections_of_different_names_never_wait_for_each_others_lease() {
        // Two different names whose 32-bit hashes are equal (PostgreSQL's hashtext): names are
        // compared exactly everywhere else, so their leases must be too.
        String one = "totals-160565";
        String two = "totals-230773";
        EventStore store = store();
        AppendResult written = deposit(store, "acct-1", 1, 2, 3);
        ProjectionRunner running = runner(store, keyed(store, new Totals(one)));
        running.start();
        awaitState(running, one, ProjectionStatus.State.RUNNING);
        KeyedProjector<String, Total> other = keyed(store, new Totals(two));

        List<ProjectionStatus> passed = runner(store, other).catchUp();

        assertThat(passed)
                .extracting(ProjectionStatus::state)
                .as("%s, while %s runs", two, one)
                .containsExactly(ProjectionStatus.State.STOPPED);
        assertThat(other.checkpoint()).isEqualTo(written.position());
        assertThat(readModel(other)).isEqualTo(fold(store));
    }

    /** Hands every call on to a projector; notes calls that overlap and their threads; holds batches at a gate. */
    static final class Watched implements Projector {
        final Projector delegate;
        final CountDownLatch applying = new CountDownLatch(1);
        final CountDownLatch gate;
        final AtomicInteger inside = new AtomicInteger();
        final AtomicBoolean overlapped = new AtomicBoolean();
        final Set<Thread> threads = ConcurrentHashMap.newKeySet();

        Watched(Projector delegate, CountDownLatch gate) {
            this.delegate = delegate;
            this.gate = gate;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public long checkpoint() {
            return delegate.checkpoint();
        }

        @Override
        public void apply(long from, long to, List<RecordedEvent> events) {
            applying.countDown();
            watch(() -> delegate.apply(from, to, events));
        }

        @Override
        public void reset() {
            watch(delegate::reset);
        }

        @Override
        public Optional<Lease> tryAcquire() {
            return delegate.tryAcquire();
        }

        private void watch(Runnable call) {
            threads.add(Thread.currentThread());
            if (inside.incrementAndGet() > 1) {
                overlapped.set(true);
            }
            try {
                gate.await();
                Thread.sleep(1); // a wider window for another call to overlap this one
                call.run();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                inside.decrementAndGet();
            }
        }
    }

    @Test
    @Timeout(120)
    void a_rebuild_asked_for_while_batches_are_applied_never_runs_alongside_one() throws Exception {
        EventStore store = store();
        for (int i = 0; i < 100; i++) {
            deposit(store, "acct-" + (i % 5), i + 1);
        }
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        Watched watched = new Watched(totals, new CountDownLatch(0));
        ProjectionRunner runner = runner(store, watched);
        runner.start();
        AtomicLong last = new AtomicLong();
        Thread writer = new Thread(() -> {
            for (int i = 0; i < 200; i++) {
                last.set(deposit(store, "acct-" + (i % 5), 1).position());
            }
        });
        writer.start();
        watched.applying.await();
        Set<Thread> listenedOn = ConcurrentHashMap.newKeySet();

        runner.rebuild("totals", p -> listenedOn.add(Thread.currentThread()));
        runner.rebuild("totals", p -> listenedOn.add(Thread.currentThread()));
        writer.join();

        assertThat(runner.awaitPosition("totals", last.get(), Duration.ofSeconds(20)))
                .isTrue();
        assertThat(watched.overlapped).as("a rebuild overlapped a batch").isFalse();
        assertThat(readModel(totals)).isEqualTo(fold(store));
        assertThat(listenedOn)
                .hasSize(1)
                .allMatch(Thread::isDaemon)
                .extracting(Thread::getName)
                .containsExactly("annals-projection-totals");
    }

    @Test
    @Timeout(60)
    void an_interrupted_wait_for_a_position_throws_and_keeps_the_interrupt_flag() throws Exception {
        EventStore store = store();
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        // Not started, so the position is never reached; the checkpoint is read once.
        ProjectionRunner runner = closeLater(ProjectionRunner.builder(store)
                .add(totals)
                .pollInterval(Duration.ofHours(1))
                .build());
        AppendResult written = deposit(store, "a", 1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean flagSet = new AtomicBoolean();
        Thread waiter = new Thread(() -> {
            try {
                runner.awaitPosition("totals", written.position(), Duration.ofHours(1));
            } catch (Throwable e) {
                thrown.set(e);
                flagSet.set(Thread.currentThread().isInterrupted());
            }
        });
        waiter.start();
        awaitBlockedIn(waiter, "awaitPosition");

        waiter.interrupt();
        waiter.join();

        assertThat(thrown.get()).isInstanceOf(InterruptedWaitException.class).hasMessageContaining("totals");
        assertThat(flagSet).as("the interrupt flag").isTrue();
    }

    @Test
    @Timeout(60)
    void closing_while_a_batch_is_applied_ends_the_thread_and_lets_go_of_the_lease() throws Exception {
        EventStore store = store();
        EventStore other = closeLater(reopen(store));
        AppendResult written = deposit(store, "a", 1);
        CountDownLatch gate = new CountDownLatch(1);
        Watched watched = new Watched(keyed(store, new Totals("totals")), gate);
        ProjectionRunner runner = runner(store, watched);
        runner.start();
        watched.applying.await();
        Thread closer = new Thread(runner::close);
        closer.start();
        awaitBlockedIn(closer, "close");

        gate.countDown();
        closer.join();

        assertThat(watched.threads).isNotEmpty();
        for (Thread t : watched.threads) {
            t.join(20_000); // it may still be on its way out when close() returns
        }
        assertThat(watched.threads).noneMatch(Thread::isAlive);
        assertThat(runner.status("totals").state()).isEqualTo(ProjectionStatus.State.STOPPED);
        KeyedProjector<String, Total> theirs = keyed(other, new Totals("totals"));
        assertThat(theirs.checkpoint()).as("the batch under way was committed").isEqualTo(written.position());
        try (Projector.Lease lease = theirs.tryAcquire().orElseThrow()) {
            assertThat(lease.isValid()).as("another runner's lease").isTrue();
        }
    }

    @Test
    void closing_twice_is_fine_and_a_closed_runner_takes_no_more_work() {
        EventStore store = store();
        KeyedProjector<String, Total> totals = keyed(store, new Totals("totals"));
        ProjectionRunner started = runner(store, totals);
        started.start();
        awaitState(started, "totals", ProjectionStatus.State.RUNNING);
        ProjectionRunner idle = runner(store, totals);

        started.close();
        started.close();
        idle.close();
        idle.close();

        for (ProjectionRunner runner : List.of(started, idle)) {
            assertThat(runner.status("totals").state()).isEqualTo(ProjectionStatus.State.STOPPED);
            assertThatThrownBy(runner::start).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> runner.rebuild("totals", p -> {}))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            assertThatThrownBy(runner::catchUp).isInstanceOf(IllegalStateException.class);
        }
        try (Projector.Lease lease = totals.tryAcquire().orElseThrow()) {
            assertThat(lease.isValid()).as("the lease after close").isTrue();
        }
    }

    protected static void awaitState(ProjectionRunner runner, String name, ProjectionStatus.State state) {
        awaitCondition(
                () -> runner.status(name).state() == state,
                () -> name + " never reached " + state + ": " + runner.status(name));
    }

    /**
     * Waits until {@code thread} waits in the runner's {@code method} itself, not in the store
     * below it (whose own waits an interruption would end otherwise), or has ended.
     */
    private static void awaitBlockedIn(Thread thread, String method) {
        awaitCondition(
                () -> {
                    Thread.State s = thread.getState();
                    if (s == Thread.State.TERMINATED) {
                        return true;
                    }
                    if (s != Thread.State.WAITING && s != Thread.State.TIMED_WAITING) {
                        return false;
                    }
                    for (StackTraceElement frame : thread.getStackTrace()) {
                        if (frame.getClassName().equals(ProjectionRunner.class.getName())) {
                            return frame.getMethodName().equals(method);
                        }
                        if (!frame.getClassName().startsWith("java.")
                                && !frame.getClassName().startsWith("jdk.")) {
                            return false;
                        }
                    }
                    return false;
                },
                () -> thread + " never waited in " + method + ": " + Arrays.toString(thread.getStackTrace()));
    }

    /** Totals that drop an account's row when its stream is deleted. */
    static final class ForgettingTotals extends Totals {
        ForgettingTotals(String name) {
            super(name);
        }

        @Override
        public Set<String> keysOfDeletedStream(String streamId) {
            return Set.of(streamId);
        }
    }

    @Test
    void a_keyed_projection_drops_the_rows_it_names_for_a_deleted_stream_in_log_order() {
        EventStore store = store();
        deposit(store, "acct-gone", 5, 6);
        deposit(store, "acct-kept", 7);
        KeyedProjector<String, Total> forgetting = keyed(store, new ForgettingTotals("forgetting"));
        KeyedProjector<String, Total> keeping = keyed(store, new Totals("keeping"));
        ProjectionRunner runner = runner(store, forgetting, keeping);
        runner.catchUp();
        assertThat(forgetting.get("acct-gone")).contains(new Total(11, 2));

        store.deleteStream("acct-gone", ExpectedVersion.any());
        deposit(store, "acct-kept", 1);
        runner.catchUp();

        assertThat(forgetting.get("acct-gone")).isEmpty();
        assertThat(forgetting.get("acct-kept")).contains(new Total(8, 2));
        assertThat(keeping.get("acct-gone"))
                .as("a projection that names no rows keeps them")
                .contains(new Total(11, 2));

        // rebuilt from the log, which no longer holds the deleted events: the same model
        runner.rebuild("forgetting", p -> {});
        assertThat(readModel(forgetting)).containsOnlyKeys("acct-kept");
    }

    @Test
    void a_deletion_in_the_same_batch_as_the_streams_events_leaves_no_row() {
        EventStore store = store();
        deposit(store, "acct-brief", 3);
        store.deleteStream("acct-brief", ExpectedVersion.any());
        deposit(store, "acct-kept", 4);
        KeyedProjector<String, Total> forgetting = keyed(store, new ForgettingTotals("forgetting"));

        runner(store, forgetting).catchUp();

        assertThat(readModel(forgetting)).containsOnlyKeys("acct-kept");
    }

    // ---- filtered projections -------------------------------------------------------------

    /**
     * A projector that needs only deposits and tombstones, and keeps what it is handed; its
     * checkpoint moves by compare-and-set like a real one's.
     */
    static class Collecting implements Projector {
        final List<RecordedEvent> handed = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final AtomicLong checkpoint = new AtomicLong();
        private final AtomicBoolean leased = new AtomicBoolean();

        @Override
        public String name() {
            return "collecting";
        }

        @Override
        public long checkpoint() {
            return checkpoint.get();
        }

        @Override
        public synchronized void apply(long from, long to, List<RecordedEvent> events) {
            if (checkpoint.get() != from) {
                throw new CheckpointConflictException(name(), from);
            }
            handed.addAll(events);
            checkpoint.set(to);
        }

        @Override
        public synchronized void reset() {
            handed.clear();
            checkpoint.set(0);
        }

        @Override
        public Optional<Lease> tryAcquire() {
            return leased.compareAndSet(false, true)
                    ? Optional.of(Lease.untilClosed(() -> leased.set(false)))
                    : Optional.empty();
        }

        @Override
        public Optional<Query> interest() {
            return Optional.of(Query.of(QueryItem.types("Deposited", EventStore.STREAM_DELETED)));
        }
    }

    /** {@link Collecting}, of the streams of category {@code acct} alone. */
    static final class CollectingAccounts extends Collecting {
        @Override
        public Set<String> categories() {
            return Set.of("acct");
        }
    }

    /** What one writer thread does for its {@code i}-th write, through {@code own}. */
    interface Write {
        void write(EventStore own, int writer, int i);
    }

    /**
     * {@code writers} threads, started together, each making {@code each} writes, half of them
     * through a store of its own (as another process would); returns when all are done.
     */
    private void writeConcurrently(EventStore store, int writers, int each, Write write) throws InterruptedException {
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int w = 0; w < writers; w++) {
            int n = w;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    EventStore own = n % 2 == 0 ? store : closeLater(reopen(store));
                    for (int i = 0; i < each; i++) {
                        write.write(own, n, i);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads.add(t);
            t.start();
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failure.get()).isNull();
    }

    /** Counts the events each kind of read hands out. */
    static final class CountingReads extends ForwardingEventStore {
        final AtomicLong byQuery = new AtomicLong();
        final AtomicLong byCategory = new AtomicLong();
        final AtomicLong all = new AtomicLong();

        @Override
        public List<RecordedEvent> readCategories(CategoryQuery query, long afterPosition, int maxCount) {
            List<RecordedEvent> page = super.readCategories(query, afterPosition, maxCount);
            byCategory.addAndGet(page.size());
            return page;
        }

        CountingReads(EventStore delegate) {
            super(delegate);
        }

        @Override
        public List<RecordedEvent> read(Query query, long afterPosition, int maxCount) {
            List<RecordedEvent> page = super.read(query, afterPosition, maxCount);
            byQuery.addAndGet(page.size());
            return page;
        }

        @Override
        public List<RecordedEvent> readAll(long afterPosition, int maxCount) {
            List<RecordedEvent> page = super.readAll(afterPosition, maxCount);
            all.addAndGet(page.size());
            return page;
        }
    }

    private static void unrelated(EventStore store, String stream, int n) {
        List<EventData> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(EventData.of("Unrelated", "{}"));
        }
        store.append(stream, ExpectedVersion.any(), events);
    }

    @Test
    void a_filtered_projection_reads_only_its_events_and_its_checkpoint_reaches_the_end_of_the_log() {
        EventStore store = store();
        for (int i = 0; i < 30; i++) {
            deposit(store, "acct-" + (i % 3), i + 1);
            unrelated(store, "noise-" + i, 7);
        }
        unrelated(store, "noise-last", 20);
        long end = store.readAll(0, 10_000).stream()
                .mapToLong(RecordedEvent::position)
                .max()
                .orElseThrow();
        CountingReads counted = new CountingReads(store);
        Collecting collecting = new Collecting();

        runner(counted, collecting).catchUp();

        assertThat(collecting.handed).hasSize(30).allMatch(e -> e.type().equals("Deposited"));
        assertThat(collecting.handed).extracting(RecordedEvent::position).isSorted();
        // one page of the whole log (batches of 7) measures the share of its types: one in eight
        assertThat(counted.all.get()).as("events read from the whole log").isEqualTo(7);
        assertThat(counted.byQuery.get()).as("events read by query").isEqualTo(29);
        assertThat(collecting.checkpoint()).isEqualTo(end);
    }

    @Test
    void a_filtered_projection_whose_types_are_most_of_the_log_reads_the_log_and_keeps_its_events() {
        EventStore store = store();
        for (int i = 0; i < 40; i++) {
            deposit(store, "acct-" + (i % 3), i + 1);
            if (i % 10 == 9) {
                unrelated(store, "noise-" + i, 1);
            }
        }
        store.deleteStream("acct-2", ExpectedVersion.any());
        List<RecordedEvent> log = store.readAll(0, 10_000);
        long end = log.get(log.size() - 1).position();
        CountingReads counted = new CountingReads(store);
        Collecting collecting = new Collecting();

        runner(counted, collecting).catchUp();

        assertThat(collecting.handed)
                .extracting(RecordedEvent::position)
                .containsExactlyElementsOf(log.stream()
                        .filter(e -> !e.type().equals("Unrelated"))
                        .map(RecordedEvent::position)
                        .toList());
        assertThat(collecting.handed.get(collecting.handed.size() - 1).type()).isEqualTo(EventStore.STREAM_DELETED);
        assertThat(counted.byQuery.get()).as("events read by query").isZero();
        assertThat(counted.all.get()).as("events read from the whole log").isEqualTo(log.size());
        assertThat(collecting.checkpoint()).isEqualTo(end);
    }

    @Test
    @Timeout(30)
    void waiting_for_a_position_ends_when_the_event_there_is_one_a_filtered_projection_does_not_need() {
        EventStore store = store();
        deposit(store, "acct", 1);
        Collecting collecting = new Collecting();
        ProjectionRunner runner = runner(store, collecting);
        runner.start();
        unrelated(store, "noise", 3);
        long position = store.readAll(0, 100).get(3).position();

        assertThat(runner.awaitPosition(position, Duration.ofSeconds(20))).isTrue();
        assertThat(collecting.handed).hasSize(1);
    }

    @Test
    void a_filtered_projection_is_handed_the_tombstones_of_deleted_streams() {
        EventStore store = store();
        deposit(store, "acct-gone", 5, 6);
        deposit(store, "acct-kept", 7);
        store.deleteStream("acct-gone", ExpectedVersion.any());
        Collecting collecting = new Collecting();

        runner(store, collecting).catchUp();

        assertThat(collecting.handed)
                .extracting(RecordedEvent::type, RecordedEvent::streamId)
                .containsExactly(tuple("Deposited", "acct-kept"), tuple(EventStore.STREAM_DELETED, "acct-gone"));
    }

    @Test
    @Timeout(120)
    void a_filtered_projection_running_beside_concurrent_writers_is_handed_every_event_it_needs_once()
            throws Exception {
        EventStore store = store();
        Collecting collecting = new Collecting();
        ProjectionRunner runner = runner(store, collecting);
        runner.start();
        int writers = 4;
        int each = 60;
        writeConcurrently(store, writers, each, (own, n, i) -> {
            if (i % 2 == 0) {
                deposit(own, "acct-" + n, i + 1);
            } else {
                unrelated(own, "noise-" + n, 1 + i % 3);
            }
        });
        long end = store.readAll(0, 100_000).stream()
                .mapToLong(RecordedEvent::position)
                .max()
                .orElseThrow();

        assertThat(runner.awaitPosition(end, Duration.ofSeconds(60))).isTrue();

        assertThat(collecting.handed).hasSize(writers * each / 2);
        assertThat(collecting.handed.stream().map(RecordedEvent::eventId).distinct())
                .hasSize(writers * each / 2);
        assertThat(collecting.handed).extracting(RecordedEvent::position).isSorted();
    }

    // ---- projections of stream categories ---------------------------------------------------

    /** Deposits to accounts, and look-alikes of other categories around them. */
    private static void accountsAndLookAlikes(EventStore store) {
        for (int i = 0; i < 12; i++) {
            deposit(store, "acct-" + (i % 3), i + 1);
            deposit(store, "acctx-" + i, 100 + i); // another category sharing the prefix
            unrelated(store, "noise-" + i, 3);
        }
        deposit(store, "acct", 1000); // no '-': the whole id is the category
        deposit(store, "acct-with-dashes-9", 2000);
        deposit(store, "xacct-1", 3000);
    }

    @Test
    void a_store_reads_the_events_of_a_category_in_log_order_and_types_narrow_them() {
        EventStore store = store();
        accountsAndLookAlikes(store);
        List<RecordedEvent> all = EventStoreContract.readAllOf(store);

        List<RecordedEvent> accounts = store.readCategories(CategoryQuery.of("acct"), 0, 1000);
        assertThat(accounts)
                .extracting(RecordedEvent::streamId)
                .containsExactlyElementsOf(all.stream()
                        .map(RecordedEvent::streamId)
                        .filter(id -> id.equals("acct") || id.startsWith("acct-"))
                        .toList());
        assertThat(accounts).hasSize(14);

        // two categories, a page at a time
        List<RecordedEvent> paged = new ArrayList<>();
        long after = 0;
        for (List<RecordedEvent> page = store.readCategories(CategoryQuery.of("acct", "xacct"), after, 4);
                !page.isEmpty();
                page = store.readCategories(CategoryQuery.of("acct", "xacct"), after, 4)) {
            assertThat(page).hasSizeLessThanOrEqualTo(4);
            paged.addAll(page);
            after = page.get(page.size() - 1).position();
        }
        assertThat(paged).extracting(RecordedEvent::position).isSorted();
        assertThat(paged).hasSize(15);

        assertThat(store.readCategories(CategoryQuery.of("noise").withTypes(Set.of("Deposited")), 0, 1000))
                .isEmpty();
        assertThat(store.readCategories(CategoryQuery.of("noise").withTypes(Set.of("Unrelated")), 0, 1000))
                .hasSize(36);
        assertThat(store.readCategories(CategoryQuery.of("nothing"), 0, 10)).isEmpty();
    }

    @Test
    void a_category_query_refuses_what_is_not_a_category() {
        assertThatThrownBy(() -> CategoryQuery.of()).hasMessageContaining("at least one category");
        assertThatThrownBy(() -> CategoryQuery.of("acct-1")).hasMessageContaining("holds no '-'");
        assertThatThrownBy(() -> CategoryQuery.of(" ")).hasMessageContaining("is not blank");
        assertThatThrownBy(() -> CategoryQuery.of("acct").withTypes(Set.of("")))
                .hasMessageContaining("event type is not blank");
        assertThatThrownBy(() -> store().readCategories(CategoryQuery.of("acct"), -1, 10))
                .hasMessageContaining("afterPosition");
        assertThatThrownBy(() -> store().readCategories(CategoryQuery.of("acct"), 0, 0))
                .hasMessageContaining("maxCount");
        assertThat(CategoryQuery.categoryOf("product-1-2")).isEqualTo("product");
        assertThat(CategoryQuery.categoryOf("product")).isEqualTo("product");
    }

    @Test
    void a_projection_of_a_category_reads_its_streams_alone_and_its_checkpoint_reaches_the_end() {
        EventStore store = store();
        accountsAndLookAlikes(store);
        unrelated(store, "noise-last", 20);
        List<RecordedEvent> log = EventStoreContract.readAllOf(store);
        long end = log.get(log.size() - 1).position();
        CountingReads counted = new CountingReads(store);
        Collecting accounts = new CollectingAccounts();

        runner(counted, accounts).catchUp();

        assertThat(accounts.handed)
                .extracting(RecordedEvent::streamId)
                .allMatch(id -> id.equals("acct") || id.startsWith("acct-"))
                .hasSize(14);
        assertThat(accounts.handed).extracting(RecordedEvent::position).isSorted();
        assertThat(counted.byCategory.get()).as("events read by category").isEqualTo(14);
        assertThat(counted.all.get() + counted.byQuery.get())
                .as("events read otherwise")
                .isZero();
        assertThat(accounts.checkpoint()).isEqualTo(end);
    }

    @Test
    void a_projection_of_a_category_is_handed_the_tombstones_of_its_deleted_streams_alone() {
        EventStore store = store();
        deposit(store, "acct-gone", 5);
        deposit(store, "other-gone", 6);
        deposit(store, "acct-kept", 7);
        store.deleteStream("acct-gone", ExpectedVersion.any());
        store.deleteStream("other-gone", ExpectedVersion.any());
        Collecting accounts = new CollectingAccounts();

        runner(store, accounts).catchUp();

        assertThat(accounts.handed)
                .extracting(RecordedEvent::type, RecordedEvent::streamId)
                .containsExactly(tuple("Deposited", "acct-kept"), tuple(EventStore.STREAM_DELETED, "acct-gone"));
    }

    @Test
    @Timeout(30)
    void waiting_for_a_position_ends_when_the_event_there_is_of_another_category() {
        EventStore store = store();
        deposit(store, "acct-1", 1);
        Collecting accounts = new CollectingAccounts();
        ProjectionRunner runner = runner(store, accounts);
        runner.start();
        AppendResult noise = deposit(store, "other-1", 2);

        assertThat(runner.awaitPosition(noise.position(), Duration.ofSeconds(20)))
                .isTrue();
        assertThat(accounts.handed).hasSize(1);
    }

    @Test
    @Timeout(120)
    void a_projection_of_a_category_beside_concurrent_writers_is_handed_each_of_its_events_once() throws Exception {
        EventStore store = store();
        Collecting accounts = new CollectingAccounts();
        ProjectionRunner runner = runner(store, accounts);
        runner.start();
        int writers = 4;
        int each = 60;
        writeConcurrently(
                store, writers, each, (own, n, i) -> deposit(own, (i % 2 == 0 ? "acct-" : "other-") + n, i + 1));
        List<RecordedEvent> log = EventStoreContract.readAllOf(store);
        long end = log.get(log.size() - 1).position();

        assertThat(runner.awaitPosition(end, Duration.ofSeconds(60))).isTrue();

        assertThat(accounts.handed).hasSize(writers * each / 2);
        assertThat(accounts.handed.stream().map(RecordedEvent::eventId).distinct())
                .hasSize(writers * each / 2);
        assertThat(accounts.handed).extracting(RecordedEvent::position).isSorted();
    }

    @Test
    void a_keyed_projection_of_a_category_folds_its_streams_alone() {
        EventStore store = store();
        accountsAndLookAlikes(store);
        Totals onlyAccounts = new Totals("only-accounts") {
            @Override
            public Set<String> categories() {
                return Set.of("acct");
            }
        };
        KeyedProjector<String, Total> totals = keyed(store, onlyAccounts);

        runner(store, totals).catchUp();

        assertThat(readModel(totals)).containsOnlyKeys("acct", "acct-0", "acct-1", "acct-2", "acct-with-dashes-9");
    }

    private static void awaitCondition(BooleanSupplier condition, Supplier<String> failure) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(failure.get());
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
