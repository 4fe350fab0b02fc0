package io.annals.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Timing. Annals and its baseline are measured in alternating rounds (A B, B A, A B...) after a
 * warm-up of each, and each side's figure is the median of its rounds: on a shared 2-core machine
 * the noise then hits both sides alike and the ratio holds even when the absolute figures wander.
 */
final class Measure {

    /** One operation of one thread (an append, a read...). */
    interface Op {
        void run() throws Exception;

        /** Releases what the operation holds (its connection); called after the round. */
        default void close() throws java.sql.SQLException {}
    }

    /** Makes the operation of thread {@code thread} (its own connection, its own stream...). */
    interface OpFactory {
        Op create(int thread) throws Exception;
    }

    /** A whole pass over something (a scan, a catch-up); returns how many items it did. */
    interface Pass {
        long run() throws Exception;
    }

    /** The figures of one side: per round, in operations per second. */
    record Side(double[] rounds) {
        double median() {
            double[] s = rounds.clone();
            Arrays.sort(s);
            int n = s.length;
            return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        }

        /** The spread of the rounds around the median, as a fraction: (max - min) / median. */
        double spread() {
            double min = Arrays.stream(rounds).min().orElse(0);
            double max = Arrays.stream(rounds).max().orElse(0);
            double m = median();
            return m == 0 ? 0 : (max - min) / m;
        }
    }

    /** Both sides of a comparison. */
    record Pair(Side annals, Side baseline) {}

    /** How long and how often. */
    record Plan(long warmNanos, long roundNanos, int rounds) {
        static Plan of(double warmSeconds, double roundSeconds, int rounds) {
            return new Plan((long) (warmSeconds * 1e9), (long) (roundSeconds * 1e9), rounds);
        }

        Plan scaled(double factor) {
            return new Plan((long) (warmNanos * factor), (long) (roundNanos * factor), rounds);
        }

        Plan rounds(int n) {
            return new Plan(warmNanos, roundNanos, n);
        }
    }

    private Measure() {}

    /** Runs {@code threads} threads for about {@code nanos}; returns operations per second. */
    static double throughput(int threads, long nanos, OpFactory factory) throws Exception {
        List<Op> ops = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                ops.add(factory.create(t));
            }
            AtomicLong count = new AtomicLong();
            CountDownLatch start = new CountDownLatch(1);
            long[] deadline = new long[1];
            List<Thread> running = new ArrayList<>();
            List<Throwable> errors = new ArrayList<>();
            for (Op op : ops) {
                Thread t = new Thread(
                        () -> {
                            try {
                                start.await();
                                long n = 0;
                                do {
                                    op.run();
                                    n++;
                                } while (System.nanoTime() < deadline[0]);
                                count.addAndGet(n);
                            } catch (Throwable e) {
                                synchronized (errors) {
                                    errors.add(e);
                                }
                            }
                        },
                        "bench-worker");
                running.add(t);
                t.start();
            }
            long began = System.nanoTime();
            deadline[0] = began + nanos;
            start.countDown();
            for (Thread t : running) {
                t.join();
            }
            long elapsed = System.nanoTime() - began;
            if (!errors.isEmpty()) {
                throw new IllegalStateException("a benchmark thread failed: " + errors.get(0), errors.get(0));
            }
            return count.get() / (elapsed / 1e9);
        } finally {
            for (Op op : ops) {
                op.close();
            }
        }
    }

    /** Annals against the baseline, alternating rounds, with {@code threads} threads each. */
    static Pair compare(Plan plan, int threads, OpFactory annals, OpFactory baseline) throws Exception {
        throughput(threads, plan.warmNanos(), annals);
        throughput(threads, plan.warmNanos(), baseline);
        double[] a = new double[plan.rounds()];
        double[] b = new double[plan.rounds()];
        for (int r = 0; r < plan.rounds(); r++) {
            if (r % 2 == 0) {
                a[r] = throughput(threads, plan.roundNanos(), annals);
                b[r] = throughput(threads, plan.roundNanos(), baseline);
            } else {
                b[r] = throughput(threads, plan.roundNanos(), baseline);
                a[r] = throughput(threads, plan.roundNanos(), annals);
            }
        }
        return new Pair(new Side(a), new Side(b));
    }

    /** Several sides measured in turn (W3: Annals, serialised, raw), rotating the order each round. */
    static Side[] rotate(Plan plan, int threads, OpFactory... sides) throws Exception {
        for (OpFactory f : sides) {
            throughput(threads, plan.warmNanos(), f);
        }
        double[][] figures = new double[sides.length][plan.rounds()];
        for (int r = 0; r < plan.rounds(); r++) {
            for (int i = 0; i < sides.length; i++) {
                int s = (i + r) % sides.length;
                figures[s][r] = throughput(threads, plan.roundNanos(), sides[s]);
            }
        }
        Side[] out = new Side[sides.length];
        for (int i = 0; i < sides.length; i++) {
            out[i] = new Side(figures[i]);
        }
        return out;
    }

    /** Whole passes, alternating: items per second of each. {@code warm} passes of each are discarded. */
    static Pair comparePasses(int warm, int rounds, Pass annals, Pass baseline) throws Exception {
        for (int i = 0; i < warm; i++) {
            annals.run();
            baseline.run();
        }
        double[] a = new double[rounds];
        double[] b = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                a[r] = rate(annals);
                b[r] = rate(baseline);
            } else {
                b[r] = rate(baseline);
                a[r] = rate(annals);
            }
        }
        return new Pair(new Side(a), new Side(b));
    }

    /**
     * Several sides in whole passes, rotating the order each round: items per second of each.
     * {@code warm} passes of each are discarded.
     */
    static Side[] rotatePasses(int warm, int rounds, Pass... sides) throws Exception {
        for (int i = 0; i < warm; i++) {
            for (Pass p : sides) {
                p.run();
            }
        }
        double[][] figures = new double[sides.length][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < sides.length; i++) {
                int s = (i + r) % sides.length;
                figures[s][r] = rate(sides[s]);
            }
        }
        Side[] out = new Side[sides.length];
        for (int i = 0; i < sides.length; i++) {
            out[i] = new Side(figures[i]);
        }
        return out;
    }

    static double rate(Pass pass) throws Exception {
        long began = System.nanoTime();
        long n = pass.run();
        return n / ((System.nanoTime() - began) / 1e9);
    }
}
