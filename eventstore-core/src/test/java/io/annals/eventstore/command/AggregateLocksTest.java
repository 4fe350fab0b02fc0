package io.annals.eventstore.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.InterruptedWaitException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@Timeout(30)
class AggregateLocksTest {

    private final AggregateLocks locks = new AggregateLocks();
    private final ExecutorService pool = Executors.newFixedThreadPool(8);

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void work_for_one_aggregate_runs_one_at_a_time() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(8);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            done.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < 200; i++) {
                    locks.inTurn("a-1", () -> {
                        most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        Thread.yield();
                        return inside.decrementAndGet();
                    });
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }

        assertThat(most.get()).isEqualTo(1);
        assertThat(locks.size()).isZero();
    }

    @Test
    void work_for_different_aggregates_runs_at_the_same_time() throws Exception {
        CountDownLatch bothInside = new CountDownLatch(2);
        Future<Boolean> a = pool.submit(() -> locks.inTurn("a-1", () -> await(bothInside)));
        Future<Boolean> b = pool.submit(() -> locks.inTurn("a-2", () -> await(bothInside)));

        assertThat(a.get()).isTrue();
        assertThat(b.get()).isTrue();
        assertThat(locks.size()).isZero();
    }

    @Test
    void a_failing_work_releases_the_turn() {
        assertThatThrownBy(() -> locks.inTurn("a-1", () -> {
                    throw new IllegalStateException("boom");
                }))
                .hasMessage("boom");

        assertThat(locks.size()).isZero();
        assertThat(locks.inTurn("a-1", () -> "next")).isEqualTo("next");
    }

    @Test
    void an_uncontended_turn_is_taken_even_with_the_interrupt_flag_set() {
        Thread.currentThread().interrupt();
        try {
            assertThat(locks.inTurn("a-1", () -> "ran")).isEqualTo("ran");
        } finally {
            assertThat(Thread.interrupted()).isTrue();
        }
    }

    @Test
    void a_waiter_that_is_interrupted_gives_up_keeps_its_flag_and_leaves_no_entry() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<?> holder = pool.submit(() -> locks.inTurn("a-1", () -> {
            holding.countDown();
            try {
                return release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }));
        holding.await();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Boolean> flag = new AtomicReference<>();
        AtomicInteger ran = new AtomicInteger();
        Thread waiter = new Thread(() -> {
            try {
                locks.inTurn("a-1", ran::incrementAndGet);
            } catch (RuntimeException e) {
                failure.set(e);
                flag.set(Thread.currentThread().isInterrupted());
            }
        });
        waiter.start();
        while (waiter.getState() != Thread.State.WAITING && waiter.isAlive()) {
            Thread.onSpinWait();
        }
        waiter.interrupt();
        waiter.join();
        release.countDown();
        holder.get();

        assertThat(failure.get()).isInstanceOf(InterruptedWaitException.class).hasMessageContaining("a-1");
        assertThat(flag.get()).isTrue();
        assertThat(ran.get()).isZero();
        assertThat(locks.size()).isZero();
    }

    /** Counts {@code latch} down and waits until the others have too. */
    private static boolean await(CountDownLatch latch) {
        latch.countDown();
        try {
            return latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
