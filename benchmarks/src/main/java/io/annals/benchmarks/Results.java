package io.annals.benchmarks;

import io.annals.benchmarks.Measure.Pair;
import io.annals.benchmarks.Measure.Side;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Every figure of a run, printed as it comes and kept for the report. */
final class Results {

    /**
     * One comparison: Annals and its baseline in the same unit. {@code ratio} is Annals' speed
     * relative to the baseline's: above 1 Annals is faster, 0.8 means it does 80% of the work per
     * second (or takes 1.25 times as long).
     */
    record Row(
            String workload,
            String db,
            String what,
            String unit,
            double annals,
            double annalsSpread,
            String baselineName,
            double baseline,
            double baselineSpread,
            boolean higherIsBetter,
            Double target,
            String note,
            String source) {
        double ratio() {
            if (annals <= 0 || baseline <= 0) {
                return Double.NaN;
            }
            return higherIsBetter ? annals / baseline : baseline / annals;
        }

        Boolean met() {
            return target == null ? null : ratio() >= target;
        }
    }

    /** A target of the issue, or a figure to report, that is not a plain ratio to the baseline. */
    record Check(String workload, String db, String goal, String measured, Boolean met, String detail) {}

    /** What one operation does at the JDBC level (from a counting DataSource). */
    record Calls(String db, String operation, Map<String, Double> perOperation) {}

    /** W8: µs per operation by history size, for Annals and the baseline. */
    record Growth(String db, String operation, TreeMap<Long, double[]> bySize) {}

    /** One W8 figure. */
    record GrowthPoint(String db, String operation, long size, double annalsMicros, double baselineMicros) {}

    final List<Row> rows = new ArrayList<>();
    final List<Check> checks = new ArrayList<>();
    final List<Calls> calls = new ArrayList<>();
    final List<GrowthPoint> growthPoints = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    private final PrintStream out;
    /** Where this run's figures come from: its date and the build measured. */
    String source = "this run";

    Results(PrintStream out) {
        this.out = out;
    }

    synchronized Row compare(
            String workload,
            String db,
            String what,
            String unit,
            Pair p,
            String baselineName,
            boolean higherIsBetter,
            Double target,
            String note) {
        Row r = new Row(
                workload,
                db,
                what,
                unit,
                p.annals().median(),
                p.annals().spread(),
                baselineName,
                p.baseline().median(),
                p.baseline().spread(),
                higherIsBetter,
                target,
                note,
                source);
        rows.add(r);
        out.printf(
                Locale.ROOT,
                "  %-3s %-10s %-62s Annals %12s  baseline %12s %-9s ratio %5.2f%s%s%n",
                workload,
                db,
                shorten(what, 62),
                number(r.annals()),
                number(r.baseline()),
                unit,
                r.ratio(),
                target == null
                        ? ""
                        : String.format(Locale.ROOT, " (target %.2f: %s)", target, r.met() ? "met" : "MISSED"),
                note.isEmpty() ? "" : "  [" + note + "]");
        out.printf(Locale.ROOT, "      (baseline: %s)%n", baselineName);
        out.flush();
        return r;
    }

    /**
     * Annals beside a peer and a floor measured in the same rounds: two rows, Annals against the
     * floor and Annals against the peer (whose note gives the peer's ratio to the floor), printed
     * as one line with the three figures and the three ratios; {@code floorTarget}, if given, is
     * the least Annals should do of the floor.
     */
    synchronized void compareSides(
            String workload,
            String db,
            String what,
            String unit,
            Side annals,
            Side peer,
            String peerName,
            Side floor,
            String floorName,
            boolean higherIsBetter,
            Double floorTarget) {
        Row toFloor = new Row(
                workload,
                db,
                what,
                unit,
                annals.median(),
                annals.spread(),
                floorName,
                floor.median(),
                floor.spread(),
                higherIsBetter,
                floorTarget,
                "",
                source);
        Row peerToFloor = new Row(
                workload,
                db,
                what,
                unit,
                peer.median(),
                peer.spread(),
                floorName,
                floor.median(),
                floor.spread(),
                higherIsBetter,
                null,
                "",
                source);
        Row toPeer = new Row(
                workload,
                db,
                what,
                unit,
                annals.median(),
                annals.spread(),
                peerName,
                peer.median(),
                peer.spread(),
                higherIsBetter,
                null,
                String.format(Locale.ROOT, "its ratio to the floor: %.2f", peerToFloor.ratio()),
                source);
        rows.add(toFloor);
        rows.add(toPeer);
        out.printf(
                Locale.ROOT,
                "  %-3s %-10s %-62s Annals %9s  Axon %9s  floor %9s %-9s Annals/floor %5.2f  Annals/Axon %5.2f"
                        + "  Axon/floor %5.2f  (spread %s / %s / %s)%s%n",
                workload,
                db,
                shorten(what, 62),
                number(toFloor.annals()),
                number(toPeer.baseline()),
                number(toFloor.baseline()),
                unit,
                toFloor.ratio(),
                toPeer.ratio(),
                peerToFloor.ratio(),
                percent(annals.spread()),
                percent(peer.spread()),
                percent(floor.spread()),
                floorTarget == null
                        ? ""
                        : String.format(
                                Locale.ROOT,
                                " (target %.2f of the floor: %s)",
                                floorTarget,
                                toFloor.met() ? "met" : "MISSED"));
        out.flush();
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.0f%%", fraction * 100);
    }

    synchronized void check(String workload, String db, String goal, String measured, Boolean met, String detail) {
        checks.add(new Check(workload, db, goal, measured, met, detail));
        out.printf(
                Locale.ROOT,
                "  %-3s %-10s %s: %s%s%s%n",
                workload,
                db,
                goal,
                measured,
                met == null ? "" : met ? " (met)" : " (MISSED)",
                detail.isEmpty() ? "" : "  [" + detail + "]");
        out.flush();
    }

    synchronized void calls(String db, String operation, Map<String, Double> perOperation) {
        calls.add(new Calls(db, operation, perOperation));
        StringBuilder s = new StringBuilder();
        perOperation.forEach((k, v) -> s.append(String.format(Locale.ROOT, " %s %.1f", k, v)));
        out.printf(Locale.ROOT, "  JDBC calls per op, %-10s %-34s%s%n", db, operation, s);
        out.flush();
    }

    synchronized void growth(String db, String operation, long size, double annalsMicros, double baselineMicros) {
        growthPoints.add(new GrowthPoint(db, operation, size, annalsMicros, baselineMicros));
    }

    /** W8's figures by database and operation, in the order they were measured. */
    synchronized Map<String, Growth> growth() {
        Map<String, Growth> out = new LinkedHashMap<>();
        for (GrowthPoint g : growthPoints) {
            out.computeIfAbsent(
                            g.db() + "\u0000" + g.operation(), k -> new Growth(g.db(), g.operation(), new TreeMap<>()))
                    .bySize()
                    .put(g.size(), new double[] {g.annalsMicros(), g.baselineMicros()});
        }
        return out;
    }

    /** How many figures of each kind there are, to undo a part that failed half-way. */
    synchronized int[] mark() {
        return new int[] {rows.size(), checks.size(), calls.size(), growthPoints.size()};
    }

    /** Forgets the figures recorded since {@code mark}. */
    synchronized void rollback(int[] mark) {
        rows.subList(mark[0], rows.size()).clear();
        checks.subList(mark[1], checks.size()).clear();
        calls.subList(mark[2], calls.size()).clear();
        growthPoints.subList(mark[3], growthPoints.size()).clear();
    }

    synchronized void note(String text) {
        notes.add(text);
        out.println("  note: " + text);
        out.flush();
    }

    /** Turns operations per second into time per operation ({@code scale} 1e3: ms, 1e6: µs). */
    static Pair perOp(Pair p, double scale) {
        return new Pair(invert(p.annals(), scale), invert(p.baseline(), scale));
    }

    private static Side invert(Side s, double scale) {
        double[] r = s.rounds().clone();
        for (int i = 0; i < r.length; i++) {
            r[i] = scale / r[i];
        }
        return new Side(r);
    }

    static String count(long n) {
        if (n >= 1_000_000 && n % 1_000_000 == 0) {
            return String.format(Locale.ROOT, "%,dM", n / 1_000_000).replace(',', ' ');
        }
        if (n >= 1_000 && n % 1_000 == 0) {
            return (n / 1_000) + "k";
        }
        return Long.toString(n);
    }

    /** A figure with sensible precision: 12,345 / 123.4 / 1.23 / 0.123. */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String shorten(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
}
