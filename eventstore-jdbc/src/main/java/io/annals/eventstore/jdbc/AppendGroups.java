package io.annals.eventstore.jdbc;

import io.annals.eventstore.AppendResult;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Group commit: appends of one event that arrive while others are being written wait, and the
 * next writer takes them all in one statement, one transaction and one commit.
 *
 * <p>Up to {@code writers} appends are written at once, each by its own caller, the ordinary
 * way: a writer that finds a free place writes its append alone, so a lone writer, or a few,
 * pay nothing. An append that finds them all taken waits in line; when a place frees up, the
 * first in line writes itself and those behind it, up to {@link #MAX_GROUP} with one append per
 * stream (a second append to a stream waits for the next group: within one statement it could
 * not see the first). Each keeps its own checks; one that the group leaves out (its expectation
 * failed, its version or id was taken, or the group's statement failed) goes again alone on its
 * caller's thread, which meets the same checks and throws their errors. Callers never wait for
 * more than the writes ahead of them: nothing waits for a group to fill.
 */
final class AppendGroups {

    /**
     * The most appends one group writes: each takes the shared lock of its event's type, and
     * PostgreSQL keeps a transaction's locks in a table of fixed size (see {@link LockKeys}).
     */
    static final int MAX_GROUP = LockKeys.MAX_KEYS;

    /**
     * How many writes a store has in flight at once before appends line up: two, so that one
     * group is being written while the next one's transaction commits. One write at a time left
     * the server idle between groups; three or more let more appends go alone, each paying a
     * commit of its own (W15, 8 writers on PostgreSQL: on and off in the same runs, 1.12 with one,
     * 1.25 with two, 1.23 with three).
     */
    static final int WRITERS = 2;

    /** Writes one append alone, the ordinary way; empty when it wrote nothing. */
    @FunctionalInterface
    interface Alone {
        Optional<AppendResult> write() throws SQLException;
    }

    /**
     * Writes a group of appends to distinct streams in one transaction; the result of each, in
     * the order given, or null for one that was left out and wrote nothing.
     */
    @FunctionalInterface
    interface Together {
        @Nullable
        AppendResult[] write(List<AppendRequest> group) throws SQLException;
    }

    private static final System.Logger LOG = System.getLogger(AppendGroups.class.getName());

    private final int writers;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Member> waiting = new ArrayDeque<>();
    private int writing;

    AppendGroups(int writers) {
        if (writers < 1) {
            throw new IllegalArgumentException("writers must be at least 1, was " + writers);
        }
        this.writers = writers;
    }

    /** One append in line, and what became of it. */
    private static final class Member {
        final AppendRequest request;
        /** Signalled when this append is done, or first in line with a place free. */
        final Condition turn;

        boolean done;

        @Nullable
        AppendResult result;

        Member(AppendRequest request, Condition turn) {
            this.request = request;
            this.turn = turn;
        }
    }

    /**
     * Writes an append of one event, alone or in a group; a group this call writes goes through
     * {@code together}.
     *
     * @return its result; empty when it wrote nothing (as {@code alone} does)
     */
    Optional<AppendResult> append(AppendRequest request, Alone alone, Together together) throws SQLException {
        List<Member> group;
        Member me;
        lock.lock();
        try {
            me = new Member(request, lock.newCondition());
            if (writing < writers && waiting.isEmpty()) {
                writing++;
                group = null;
            } else {
                waiting.add(me);
                while (!me.done && (writing >= writers || waiting.peekFirst() != me)) {
                    me.turn.awaitUninterruptibly();
                }
                if (me.done) {
                    group = List.of(); // written by another's group, or left out of it
                } else {
                    writing++;
                    group = take();
                    Member next = waiting.peekFirst();
                    if (next != null && writing < writers) {
                        next.turn.signal(); // both places came free at once: the next takes the other
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        if (group != null && group.isEmpty()) {
            return me.result != null ? Optional.of(me.result) : alone.write();
        }
        if (group == null || group.size() == 1) {
            try {
                return alone.write();
            } finally {
                finished(List.of());
            }
        }
        @Nullable AppendResult[] results = null;
        try {
            results = together.write(requests(group));
        } catch (SQLException | RuntimeException e) {
            // Each append goes again alone and meets its own error. The group wrote nothing, or,
            // when the connection broke after the commit, what it wrote: then each append's ids
            // show it stored, and it gets its original result, as any repeated append does.
            LOG.log(System.Logger.Level.DEBUG, "a group of appends failed; each goes again alone", e);
        } finally {
            for (int i = 0; i < group.size(); i++) {
                group.get(i).result = results == null ? null : results[i];
            }
            finished(group);
        }
        return me.result != null ? Optional.of(me.result) : alone.write();
    }

    /** The appends of the next group, the first in line first, one per stream; under the lock. */
    private List<Member> take() {
        List<Member> group = new ArrayList<>();
        Set<String> streams = new HashSet<>();
        for (Iterator<Member> it = waiting.iterator(); it.hasNext() && group.size() < MAX_GROUP; ) {
            Member m = it.next();
            if (streams.add(m.request.streamId())) {
                group.add(m);
                it.remove();
            }
        }
        return group;
    }

    private static List<AppendRequest> requests(List<Member> group) {
        List<AppendRequest> requests = new ArrayList<>(group.size());
        for (Member m : group) {
            requests.add(m.request);
        }
        return requests;
    }

    /** A write ended: its appends are done, and its place is free for the next in line. */
    private void finished(List<Member> group) {
        lock.lock();
        try {
            for (Member m : group) {
                m.done = true;
                m.turn.signal();
            }
            writing--;
            Member next = waiting.peekFirst();
            if (next != null) {
                next.turn.signal();
            }
        } finally {
            lock.unlock();
        }
    }
}
