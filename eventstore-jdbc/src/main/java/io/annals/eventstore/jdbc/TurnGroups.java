package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.InterruptedWaitException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Group commit on a database with one writer at a time (SQLite): appends that arrive while
 * another append of the store waits for the writers' turn or holds it line up, and the first in
 * line, once it has the turn, writes itself and those behind it in one transaction and one commit
 * (one fsync, and the pages they share written once).
 *
 * <p>Each append of a group runs its own work, the same statements it runs alone, under a
 * savepoint of its own, in arrival order: a later append sees the earlier ones, as it would had
 * they committed first, so two appends to one stream may share a group. One whose work throws is
 * rolled back to its savepoint, and its caller gets what its work threw, as it would alone. When
 * the group's {@code BEGIN} fails (another process held the database past the busy timeout),
 * every append of the group fails with that error, having written nothing, as each would alone.
 * When the transaction fails later (a savepoint, or the {@code COMMIT}), it is rolled back and
 * each append goes again alone on its caller's thread.
 *
 * <p>A lone append pays nothing: it finds nobody ahead, takes the turn and runs alone, as without
 * groups. Nobody waits for a group to fill. An append's wait in line and the turn's wait of the
 * group that takes it share one deadline, the busy timeout from its arrival; SQLite's own wait for
 * other processes adds at most one more. An append taken into a group waits for the group without
 * heeding interrupts: it is being written.
 */
final class TurnGroups {

    /**
     * The most appends one group writes: enough that the commit's cost is spread thin, few
     * enough that the turn is never held long by one group.
     */
    static final int MAX_GROUP = 64;

    /** How the dialect runs a write: in its writers' turn, on a connection of its own. */
    interface Turn {
        /**
         * Takes the writers' turn, waiting until {@code deadline} ({@link System#nanoTime()}) at
         * most, runs {@code work} on a connection in auto-commit mode, and gives the turn back.
         */
        <T> T run(long deadline, SqlWork<T> work) throws SQLException;

        /** Runs one statement that returns no rows. */
        void execute(Connection c, String sql) throws SQLException;

        /** Who holds the turn now, for the message of an append that waited too long. */
        String holder();
    }

    /** Runs an append alone, the ordinary way, taking the turn itself. */
    @FunctionalInterface
    interface Alone<T> {
        T write() throws SQLException;
    }

    /** How long an append may wait in line, and the database's name for messages. */
    record Limits(long waitNanos, String database) {}

    private static final System.Logger LOG = System.getLogger(TurnGroups.class.getName());

    private final Limits limits;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Member<?>> waiting = new ArrayDeque<>();
    /** Whether one append of the line is taking the turn or writing: the line's leader. */
    private boolean leading;

    TurnGroups(Limits limits) {
        this.limits = limits;
    }

    /** One append in line, and what became of it. */
    private static final class Member<T> {
        final boolean transaction;
        final SqlWork<T> work;
        final Condition turn;
        final long deadline;

        /** Taken into a group: it no longer leaves the line on its own. */
        boolean taken;
        /** First in line: it takes the turn for the next group. */
        boolean leader;
        /** Its group is over: {@code written}, or {@code failure}, or neither (it goes again alone). */
        boolean done;

        boolean written;

        @Nullable
        T result;

        @Nullable
        Throwable failure;

        /** Interrupted while it waited, too late to leave the line. */
        boolean interrupted;

        Member(boolean transaction, SqlWork<T> work, Condition turn, long deadline) {
            this.transaction = transaction;
            this.work = work;
            this.turn = turn;
            this.deadline = deadline;
        }

        void run(Connection c) throws SQLException {
            result = work.run(c);
            written = true;
        }

        void forget() {
            written = false;
            result = null;
        }
    }

    /**
     * Runs an append's {@code work}: alone, or in a group with the appends in line with it.
     *
     * @param transaction whether the work needs a transaction of its own when it runs alone (its
     *     statements rely on one another); otherwise its statement commits on its own
     * @param alone runs the work alone, in the turn, the ordinary way: for an append whose group's
     *     transaction failed after it began
     */
    <T> T write(Turn turn, boolean transaction, SqlWork<T> work, Alone<T> alone) throws SQLException {
        Member<T> me;
        lock.lock();
        try {
            me = new Member<>(transaction, work, lock.newCondition(), System.nanoTime() + limits.waitNanos());
            waiting.add(me);
            if (!leading) {
                leading = true;
                me.leader = true;
            } else {
                awaitTurn(turn, me);
            }
        } finally {
            lock.unlock();
        }
        if (me.leader) {
            lead(turn, me);
        }
        if (me.written) {
            return me.result;
        }
        Throwable failure = me.failure;
        if (failure != null) {
            throw rethrown(failure);
        }
        if (me.interrupted) { // while it waited; its group's transaction failed: nothing was written
            throw new InterruptedWaitException(
                    "interrupted while waiting to write to " + limits.database() + "; nothing was written");
        }
        return alone.write();
    }

    private static SQLException rethrown(Throwable failure) {
        if (failure instanceof SQLException e) {
            return e;
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return new SQLException(failure); // a work throws nothing else
    }

    /** Waits, under the lock, until {@code me} leads or its group is over. */
    private void awaitTurn(Turn turn, Member<?> me) {
        try {
            while (!me.leader && !me.done) {
                if (me.taken) {
                    me.turn.awaitUninterruptibly(); // its group is being written: it cannot leave
                    me.interrupted |= Thread.currentThread().isInterrupted();
                    continue;
                }
                long left = me.deadline - System.nanoTime();
                if (left <= 0) {
                    waiting.remove(me);
                    throw new EventStoreException("waited " + TimeUnit.NANOSECONDS.toMillis(limits.waitNanos())
                            + " ms (the busy timeout) for this process's turn to write to " + limits.database()
                            + ", in line behind other appends: " + turn.holder() + "; nothing was written");
                }
                try {
                    me.turn.awaitNanos(left);
                } catch (InterruptedException e) {
                    if (!me.done && !me.taken) {
                        leave(me);
                        throw new InterruptedWaitException(
                                "interrupted while waiting to write to " + limits.database() + "; nothing was written",
                                e);
                    }
                    me.interrupted = true; // too late to leave: keep the flag for the caller
                }
            }
        } finally {
            if (me.taken) {
                // An interrupt that came as the group ended is seen only here: the wait it woke
                // had been signalled already, and returned without throwing.
                me.interrupted |= Thread.currentThread().isInterrupted();
            }
            if (me.interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Takes {@code me} out of the line, handing the lead on if it had it; under the lock. */
    private void leave(Member<?> me) {
        waiting.remove(me);
        if (me.leader) {
            me.leader = false;
            handOn();
        }
    }

    /** Makes the first in line the leader, or ends the lead when nobody waits; under the lock. */
    private void handOn() {
        Member<?> next = waiting.peekFirst();
        if (next != null) {
            next.leader = true;
            next.turn.signal();
        } else {
            leading = false;
        }
    }

    /** Takes the turn, writes the line up to {@link #MAX_GROUP}, and hands the lead on. */
    private void lead(Turn turn, Member<?> me) throws SQLException {
        List<Member<?>> group = new ArrayList<>();
        try {
            turn.run(me.deadline, c -> {
                lock.lock();
                try {
                    while (!waiting.isEmpty() && group.size() < MAX_GROUP) {
                        Member<?> m = waiting.poll();
                        m.taken = true;
                        group.add(m);
                    }
                } finally {
                    lock.unlock();
                }
                if (group.size() == 1) {
                    writeAlone(turn, c, me); // nobody behind it: as without groups, its errors its own
                } else {
                    writeTogether(turn, c, group);
                }
                return null;
            });
        } finally {
            lock.lock();
            try {
                if (!me.taken) {
                    waiting.remove(me); // it never got the turn: its error is on its way out
                }
                for (Member<?> m : group) {
                    m.done = true;
                    if (m != me) {
                        m.turn.signal();
                    }
                }
                handOn();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Writes the leader alone, in the turn it holds, as {@link Dialect#writeTransaction} would. */
    private static void writeAlone(Turn turn, Connection c, Member<?> me) throws SQLException {
        if (!me.transaction) {
            me.run(c);
            return;
        }
        turn.execute(c, "BEGIN IMMEDIATE");
        try {
            me.run(c);
            turn.execute(c, "COMMIT");
        } catch (Throwable e) {
            me.forget();
            try {
                turn.execute(c, "ROLLBACK");
            } catch (SQLException r) {
                e.addSuppressed(r); // "no transaction is active" when SQLite rolled back itself
            }
            throw e;
        }
    }

    /**
     * Writes a group of at least two appends in one transaction, each under a savepoint, and says
     * how each went: written, failed with its own error (or the {@code BEGIN}'s), or neither.
     */
    private static void writeTogether(Turn turn, Connection c, List<Member<?>> group) {
        try {
            turn.execute(c, "BEGIN IMMEDIATE");
        } catch (SQLException | RuntimeException e) {
            for (Member<?> m : group) {
                m.failure = e; // each would have met it alone; nothing was written
            }
            return;
        }
        boolean committed = false;
        try {
            for (Member<?> m : group) {
                turn.execute(c, "SAVEPOINT annals_group");
                try {
                    m.run(c);
                } catch (Throwable e) {
                    m.forget();
                    m.failure = e; // its own error, as alone; the others go on
                    turn.execute(c, "ROLLBACK TO annals_group");
                }
                turn.execute(c, "RELEASE annals_group");
            }
            turn.execute(c, "COMMIT");
            committed = true;
        } catch (SQLException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "a group of appends failed; each goes again alone", e);
        } finally {
            if (!committed) {
                for (Member<?> m : group) {
                    m.forget();
                    m.failure = null; // the transaction failed, not the append: it goes again alone
                }
                try {
                    turn.execute(c, "ROLLBACK");
                } catch (SQLException e) {
                    // no transaction left: SQLite rolled it back itself
                }
            }
        }
    }
}
