package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.InterruptedWaitException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The line of {@link TurnGroups} on a turn of the test's own: a fair lock the test can hold so
 * that appends line up, and statements it records and can make fail, so that each way a group
 * ends is reached on purpose. SQLite's side is in {@link SqliteGroupCommitTest}.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@Timeout(60)
class TurnGroupsTest {

    /** The writers' turn: a fair lock; statements recorded, one of them refused on demand. */
    private static final class TestTurn implements TurnGroups.Turn {
        final ReentrantLock lock = new ReentrantLock(true);
        final List<String> statements = Collections.synchronizedList(new ArrayList<>());
        volatile String refused = "";

        @Override
        public <T> T run(long deadline, SqlWork<T> work) throws SQLException {
            try {
                if (!lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    throw new EventStoreException("the turn did not come");
                }
            } catch (InterruptedException e) {
                throw new InterruptedWaitException("interrupted", e);
            }
            try {
                return work.run(null);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void execute(Connection c, String sql) throws SQLException {
            statements.add(sql);
            if (sql.equals(refused)) {
                throw new SQLException("refused: " + sql);
            }
        }

        @Override
        public String holder() {
            return "the test";
        }
    }

    private final TestTurn turn = new TestTurn();
    private final TurnGroups line = new TurnGroups(new TurnGroups.Limits(TimeUnit.SECONDS.toNanos(30), "test.db"));
    private final Map<String, Object> outcomes = new ConcurrentHashMap<>();
    private final Map<String, Integer> alone = new ConcurrentHashMap<>();

    @Test
    void an_error_thrown_by_one_append_reaches_its_caller_alone_and_the_others_commit() throws Exception {
        List<Thread> threads = lineUp(
                value("L"),
                value("A"),
                c -> {
                    throw new AssertionError("boom");
                },
                value("C"));

        release(threads);

        assertThat(outcomes).containsEntry("0", "L").containsEntry("1", "A").containsEntry("3", "C");
        assertThat(outcomes.get("2")).isInstanceOf(AssertionError.class);
        assertThat(alone).isEmpty();
        assertThat(turn.statements)
                .containsExactly(
                        "BEGIN IMMEDIATE",
                        "SAVEPOINT annals_group",
                        "RELEASE annals_group",
                        "SAVEPOINT annals_group",
                        "RELEASE annals_group",
                        "SAVEPOINT annals_group",
                        "ROLLBACK TO annals_group",
                        "RELEASE annals_group",
                        "SAVEPOINT annals_group",
                        "RELEASE annals_group",
                        "COMMIT");
    }

    @Test
    void a_begin_that_fails_fails_every_append_of_the_group_with_its_error() throws Exception {
        turn.refused = "BEGIN IMMEDIATE";
        List<Thread> threads = lineUp(value("L"), value("A"), value("B"));

        release(threads);

        assertThat(outcomes).hasSize(3);
        assertThat(outcomes.values())
                .allSatisfy(o -> assertThat((Throwable) o)
                        .isInstanceOf(SQLException.class)
                        .hasMessage("refused: BEGIN IMMEDIATE"));
        assertThat(alone)
                .as("each met what it would have met alone: none goes again")
                .isEmpty();
    }

    @Test
    void a_commit_that_fails_sends_every_append_of_the_group_again_alone() throws Exception {
        turn.refused = "COMMIT";
        List<Thread> threads = lineUp(value("L"), value("A"), value("B"));

        release(threads);

        assertThat(outcomes).containsOnly(Map.entry("0", "alone"), Map.entry("1", "alone"), Map.entry("2", "alone"));
        assertThat(alone).containsOnly(Map.entry("0", 1), Map.entry("1", 1), Map.entry("2", 1));
        assertThat(turn.statements).endsWith("COMMIT", "ROLLBACK");
    }

    @Test
    void an_append_interrupted_while_its_group_is_written_that_then_fails_does_not_go_again() throws Exception {
        turn.refused = "COMMIT";
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        List<Thread> threads = lineUp(
                c -> {
                    writing.countDown();
                    hold(proceed);
                    return "L";
                },
                value("A"));
        Thread taken = threads.get(1);

        turn.lock.unlock();
        writing.await(); // the group holds the turn; the second append was taken into it
        taken.interrupt();
        awaitInLine(taken);
        proceed.countDown();
        for (Thread t : threads) {
            t.join();
        }

        assertThat(outcomes.get("1")).isInstanceOf(InterruptedWaitException.class);
        assertThat(alone).containsOnly(Map.entry("0", 1));
    }

    @Test
    void an_append_interrupted_in_line_leaves_it_and_the_line_goes_on() throws Exception {
        List<Thread> threads = lineUp(value("L"), value("A"), value("B"));
        threads.get(1).interrupt();
        threads.get(1).join();

        release(threads);

        assertThat(outcomes.get("1")).isInstanceOf(InterruptedWaitException.class);
        assertThat(outcomes).containsEntry("0", "L").containsEntry("2", "B");
    }

    @Test
    void the_first_in_line_interrupted_while_a_lone_append_writes_leaves_and_the_next_leads() throws Exception {
        // the first writes alone (nobody was in line when it took the turn); two line up behind it
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        turn.lock.lock();
        Thread first = start("0", c -> {
            writing.countDown();
            hold(proceed);
            return "L";
        });
        awaitTurnWait(first);
        turn.lock.unlock();
        writing.await(); // alone: nobody was in line when it took the turn
        Thread second = start("1", value("A"));
        awaitInLine(second);
        Thread third = start("2", value("B"));
        awaitInLine(third);
        second.interrupt();
        second.join();
        proceed.countDown();
        first.join();
        third.join();

        assertThat(outcomes.get("1")).isInstanceOf(InterruptedWaitException.class);
        assertThat(outcomes).containsEntry("0", "L").containsEntry("2", "B");
    }

    // --- helpers -------------------------------------------------------------------------------

    /** A work's wait for the test to let it go on. */
    private static void hold(CountDownLatch proceed) {
        try {
            proceed.await();
        } catch (InterruptedException e) {
            throw new AssertionError("the writing append was interrupted", e);
        }
    }

    private static SqlWork<Object> value(Object result) {
        return c -> result;
    }

    /**
     * Holds the turn, starts the first work (it waits for the turn) and the others behind it (they
     * wait in line); the works' outcomes go to {@link #outcomes} under their index.
     */
    @SafeVarargs
    private List<Thread> lineUp(SqlWork<Object>... works) throws InterruptedException {
        turn.lock.lock();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < works.length; i++) {
            Thread t = start(Integer.toString(i), works[i]);
            threads.add(t);
            if (i == 0) {
                awaitTurnWait(t);
            } else {
                awaitInLine(t);
            }
        }
        return threads;
    }

    private void release(List<Thread> threads) throws InterruptedException {
        turn.lock.unlock();
        for (Thread t : threads) {
            t.join();
        }
    }

    private Thread start(String name, SqlWork<Object> work) {
        Thread t = new Thread(
                () -> {
                    Object outcome;
                    try {
                        outcome = line.write(turn, true, work, () -> {
                            alone.merge(name, 1, Integer::sum);
                            return "alone";
                        });
                    } catch (Throwable e) {
                        outcome = e;
                    }
                    outcomes.put(name, outcome);
                },
                "append-" + name);
        t.start();
        return t;
    }

    /** Waits until {@code t} waits for the turn the test holds. */
    private void awaitTurnWait(Thread t) throws InterruptedException {
        while (!turn.lock.hasQueuedThread(t)) {
            assertThat(t.isAlive()).as(t.getName() + " alive").isTrue();
            Thread.sleep(1);
        }
    }

    /** Waits until {@code t} is parked in the line (in line, or taken into a group being written). */
    private static void awaitInLine(Thread t) throws InterruptedException {
        while (true) {
            assertThat(t.isAlive()).as(t.getName() + " alive").isTrue();
            if (t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING) {
                for (StackTraceElement frame : t.getStackTrace()) {
                    if (frame.getClassName().equals(TurnGroups.class.getName())
                            && frame.getMethodName().equals("awaitTurn")) {
                        return;
                    }
                }
            }
            Thread.sleep(1);
        }
    }
}
