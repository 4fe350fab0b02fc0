package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.BlueGreenProjector;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.ProjectionException;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ReadModel.Row;
import io.annals.eventstore.projection.RebuildProgress;
import io.annals.eventstore.projection.Subscriber;
import io.annals.eventstore.tck.ChildJvm;
import io.annals.eventstore.tck.ProjectionRunnerContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * Blue-green rebuilds on a JDBC store, what SQLite and PostgreSQL must both do: a new version of
 * the {@link BlueGreenLedger} (tag {@code v2}) is built beside the one in service ({@code v1})
 * and switched to in one step, with readers and writers on real threads meanwhile.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class BlueGreenContract {

    private static final int STREAMS = 40;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** A URL of a new, empty database. */
    protected abstract String newUrl();

    private String url;
    private JdbcEventStore store;

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

    private JdbcEventStore store() {
        url = newUrl();
        store = closeLater(JdbcEventStore.open(url));
        return store;
    }

    private KeyedProjector<String, String> ledger(String tag) {
        return store.projectors().keyed(new BlueGreenLedger(tag), ProjectionRunnerContract.CODEC, BlueGreenLedger.TEXT);
    }

    private KeyedProjector<String, String> ledger(String tag, long failOn) {
        return store.projectors()
                .keyed(new BlueGreenLedger(tag, failOn), ProjectionRunnerContract.CODEC, BlueGreenLedger.TEXT);
    }

    private ProjectionRunner runner(KeyedProjector<String, String> projector) {
        return closeLater(ProjectionRunner.builder(store)
                .add(projector)
                .batchSize(5)
                .pollInterval(Duration.ofMillis(10))
                .build());
    }

    private long deposit(String stream, long amount) {
        return store.append(
                        stream,
                        ExpectedVersion.any(),
                        List.of(ProjectionRunnerContract.CODEC.encode(new Deposited(amount))))
                .position();
    }

    /** Every stream's total, from the log. */
    private Map<String, Long> totalsInTheLog() {
        Map<String, Long> totals = new HashMap<>();
        for (RecordedEvent e : store.readAll(0, 100_000)) {
            long amount = ProjectionRunnerContract.CODEC.decode(e).event().amount();
            totals.merge(e.streamId(), amount, Long::sum);
        }
        return totals;
    }

    /** The read model as a reader sees it in one call, as {@code stream -> TAG:total}. */
    private static Map<String, String> read(KeyedProjector<String, String> model) {
        Map<String, String> rows = new HashMap<>();
        for (Row<String, String> r : model.list(0, 10_000)) {
            rows.put(r.key(), r.value());
        }
        return rows;
    }

    private static Map<String, String> tagged(String tag, Map<String, Long> totals) {
        Map<String, String> rows = new HashMap<>();
        totals.forEach((k, v) -> rows.put(k, tag + ":" + v));
        return rows;
    }

    /** The rows stored under {@code key} in the rows table, whatever the version in service. */
    private long storedRows(String key) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement ps =
                        c.prepareStatement("SELECT count(*) FROM annals_projection_rows WHERE projection = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Starts {@code runner} and waits until its ledger has applied the whole log. */
    private void startCaughtUp(ProjectionRunner runner) {
        runner.start();
        assertThat(runner.awaitPosition(
                        BlueGreenLedger.NAME, store.lastPosition().orElseThrow(), Duration.ofSeconds(30)))
                .isTrue();
    }

    private void fill() {
        for (int i = 0; i < STREAMS; i++) {
            for (int j = 1; j <= 3; j++) {
                deposit("s" + i, j);
            }
        }
    }

    @Test
    void readers_on_other_threads_see_the_old_model_whole_or_the_new_one_whole_never_a_mix() throws Exception {
        store();
        fill();
        KeyedProjector<String, String> old = ledger("v1");
        ProjectionRunner runner = runner(old);
        startCaughtUp(runner);

        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicInteger sawOld = new AtomicInteger();
        AtomicInteger sawNew = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            threads.add(new Thread(() -> {
                boolean switched = false;
                while (!stop.get()) {
                    Map<String, String> rows = read(old); // the application's object, as before
                    long v1 = rows.values().stream()
                            .filter(v -> v.startsWith("v1:"))
                            .count();
                    long v2 = rows.values().stream()
                            .filter(v -> v.startsWith("v2:"))
                            .count();
                    if (rows.size() != STREAMS || (v1 != 0 && v2 != 0)) {
                        wrong.add(rows.size() + " rows, " + v1 + " of v1 and " + v2 + " of v2");
                    }
                    if (v2 == STREAMS) {
                        switched = true;
                        sawNew.incrementAndGet();
                    } else if (switched) {
                        wrong.add("the old model came back after the new one");
                    } else {
                        sawOld.incrementAndGet();
                    }
                }
            }));
        }
        // a writer keeps depositing into the streams while the new version is built
        threads.add(new Thread(() -> {
            for (int n = 0; !stop.get(); n++) {
                deposit("s" + (n % STREAMS), 1);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }));
        threads.forEach(Thread::start);
        try {
            Thread.sleep(100);
            List<RebuildProgress> progress = new CopyOnWriteArrayList<>();
            BlueGreenProjector replacement = (BlueGreenProjector) ledger("v2");
            RebuildProgress end = runner.rebuildBlueGreen(replacement, progress::add);
            assertThat(end.finished()).isTrue();
            assertThat(progress).hasSizeGreaterThan(10);
            Thread.sleep(200);
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join(10_000);
            }
        }

        assertThat(wrong).isEmpty();
        assertThat(sawOld.get()).as("reads of the old model").isPositive();
        assertThat(sawNew.get()).as("reads of the new model").isPositive();
        // after the switch, the runner runs the new version: every deposit counted once
        long last = deposit("s0", 100);
        assertThat(runner.awaitPosition(BlueGreenLedger.NAME, last, Duration.ofSeconds(30)))
                .isTrue();
        assertThat(read(old)).isEqualTo(tagged("v2", totalsInTheLog()));
        assertThat(storedRows(BlueGreenLedger.NAME))
                .as("the old version's rows are dropped")
                .isZero();
    }

    @Test
    void the_old_version_keeps_serving_and_being_updated_while_the_new_one_is_built() {
        store();
        fill();
        KeyedProjector<String, String> old = ledger("v1");
        ProjectionRunner runner = runner(old);
        startCaughtUp(runner);

        AtomicLong during = new AtomicLong();
        List<String> seenDuring = new ArrayList<>();
        runner.rebuildBlueGreen((BlueGreenProjector) ledger("v2"), p -> {
            if (during.get() == 0) { // the first batch, on this thread: the old version still serves
                during.set(deposit("s1", 1000));
                assertThat(runner.awaitPosition(BlueGreenLedger.NAME, during.get(), Duration.ofSeconds(30)))
                        .isTrue();
                seenDuring.add(old.get("s1").orElseThrow());
            }
        });

        assertThat(seenDuring).containsExactly("v1:1006");
        assertThat(old.get("s1")).hasValue("v2:1006");
        long after = deposit("s1", 10_000);
        assertThat(runner.awaitPosition(BlueGreenLedger.NAME, after, Duration.ofSeconds(30)))
                .isTrue();
        assertThat(old.get("s1")).hasValue("v2:11006");
        assertThat(read(old)).isEqualTo(tagged("v2", totalsInTheLog()));
        // awaitPosition may see the stored checkpoint a moment before the runner's status shows it
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (runner.status(BlueGreenLedger.NAME).checkpoint() < after && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(runner.status(BlueGreenLedger.NAME).checkpoint()).isEqualTo(after);
    }

    @Test
    void a_runner_that_was_not_started_builds_and_switches_while_another_runner_serves() throws Exception {
        store();
        fill();
        KeyedProjector<String, String> serving = ledger("v1");
        ProjectionRunner server = runner(serving);
        startCaughtUp(server);

        // an operator's command with the new code: its runner holds no lease
        ProjectionRunner operator = runner(ledger("v2"));
        operator.rebuildBlueGreen(BlueGreenLedger.NAME, p -> {});

        assertThat(read(serving)).isEqualTo(tagged("v2", totalsInTheLog()));
        // the server's projector writes a version that was replaced: it fails, writing nothing
        deposit("s2", 5);
        assertThat(server.awaitPosition(BlueGreenLedger.NAME, Long.MAX_VALUE, Duration.ofMillis(500)))
                .isFalse();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!server.status(BlueGreenLedger.NAME).lastError().orElse("").contains("was switched")
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.status(BlueGreenLedger.NAME).lastError())
                .hasValueSatisfying(m -> assertThat(m).contains("was switched"));
        assertThat(old(serving)).isEqualTo("v2:6");
        // it stopped there, once, rather than retrying code that can never apply again, and let
        // go of the lease: a runner of the new code takes the projection over and applies the rest
        Thread.sleep(300);
        assertThat(server.status(BlueGreenLedger.NAME).failures()).isEqualTo(1);
        ProjectionRunner newCode = runner(ledger("v2"));
        startCaughtUp(newCode);
        assertThat(old(serving)).isEqualTo("v2:11");
    }

    private static String old(KeyedProjector<String, String> model) {
        return model.get("s2").orElseThrow();
    }

    @Test
    void a_build_that_fails_leaves_the_old_version_in_service_and_can_be_started_again() throws Exception {
        store();
        fill();
        deposit("s3", 13);
        fill();
        KeyedProjector<String, String> old = ledger("v1");
        ProjectionRunner runner = runner(old);
        startCaughtUp(runner);
        Map<String, String> before = read(old);

        assertThatThrownBy(() -> runner.rebuildBlueGreen((BlueGreenProjector) ledger("v2", 13), p -> {}))
                .isInstanceOf(ProjectionException.class)
                .hasMessageContaining("fails on 13");

        assertThat(read(old)).isEqualTo(before).isEqualTo(tagged("v1", totalsInTheLog()));
        assertThat(storedRows("$version:1:" + BlueGreenLedger.NAME))
                .as("the failed build's rows")
                .isZero();
        long next = deposit("s3", 1);
        assertThat(runner.awaitPosition(BlueGreenLedger.NAME, next, Duration.ofSeconds(30)))
                .isTrue();
        assertThat(read(old)).isEqualTo(tagged("v1", totalsInTheLog()));

        runner.rebuildBlueGreen((BlueGreenProjector) ledger("v2"), p -> {});
        assertThat(read(old)).isEqualTo(tagged("v2", totalsInTheLog()));
    }

    @Test
    void a_build_whose_process_dies_leaves_the_old_version_in_service_and_can_be_started_again() throws Exception {
        store();
        fill();
        KeyedProjector<String, String> old = ledger("v1");
        ProjectionRunner runner = runner(old);
        startCaughtUp(runner);

        try (ChildJvm child = ChildJvm.start(BlueGreenLedger.class, null, url)) {
            assertThat(child.awaitLine(l -> l.startsWith("BUILDING"), 60_000))
                    .as("the child built a batch; %s", child.describe())
                    .isTrue();
            child.kill();
        }
        assertThat(storedRows("$version:1:" + BlueGreenLedger.NAME))
                .as("what the dead build left")
                .isPositive();
        assertThat(read(old)).isEqualTo(tagged("v1", totalsInTheLog()));
        long next = deposit("s4", 7);
        assertThat(runner.awaitPosition(BlueGreenLedger.NAME, next, Duration.ofSeconds(30)))
                .isTrue();
        assertThat(read(old)).isEqualTo(tagged("v1", totalsInTheLog()));

        runner.rebuildBlueGreen((BlueGreenProjector) ledger("v2"), p -> {});
        assertThat(read(old)).isEqualTo(tagged("v2", totalsInTheLog()));
        assertThat(storedRows(BlueGreenLedger.NAME)).isZero();
    }

    @Test
    void a_subscriber_is_refused_and_not_delivered_again_by_a_blue_green_rebuild_of_a_neighbour() {
        store();
        fill();
        AtomicInteger delivered = new AtomicInteger();
        KeyedProjector<String, String> old = ledger("v1");
        ProjectionRunner runner = closeLater(ProjectionRunner.builder(store)
                .add(old)
                .add(store.projectors()
                        .subscriber(Subscriber.of("mails", events -> delivered.addAndGet(events.size()))))
                .build());
        runner.catchUp();
        assertThat(delivered.get()).isEqualTo(3 * STREAMS);

        assertThatThrownBy(() -> runner.rebuildBlueGreen("mails", p -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot be rebuilt blue-green");
        runner.rebuildBlueGreen(BlueGreenLedger.NAME, p -> {});
        runner.catchUp();

        assertThat(delivered.get()).isEqualTo(3 * STREAMS);
        assertThat(read(old)).isEqualTo(tagged("v1", totalsInTheLog()));
    }

    @Test
    void two_builds_of_one_projection_at_once_are_refused() {
        store();
        fill();
        BlueGreenProjector.StagedVersion first = ((BlueGreenProjector) ledger("v2")).stage();
        try {
            assertThatThrownBy(() -> ((BlueGreenProjector) ledger("v3")).stage())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("under way");
        } finally {
            first.discard();
        }
        ((BlueGreenProjector) ledger("v3")).stage().discard();
    }
}
