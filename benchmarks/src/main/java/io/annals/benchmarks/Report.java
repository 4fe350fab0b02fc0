package io.annals.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.annals.benchmarks.Results.Calls;
import io.annals.benchmarks.Results.Check;
import io.annals.benchmarks.Results.Growth;
import io.annals.benchmarks.Results.Row;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a run's figures: a Markdown section (the table of every figure, the targets, the JDBC
 * calls), a JSON file, and two SVG charts drawn from the figures (ratios to the baseline; W8's
 * cost by history size). With {@code --write-docs} it also replaces the generated part of
 * {@code docs/benchmarks.md} and the charts beside it.
 */
final class Report {

    static final String BEGIN = "<!-- results:begin (written by the benchmark run; do not edit by hand) -->";
    static final String END = "<!-- results:end -->";

    private static final String[] DB_COLORS = {"#3b6fb6", "#e08a1e"};

    private Report() {}

    /** Rows sorted by workload, then database, keeping the order they were measured in otherwise. */
    static List<Row> sorted(Results r) {
        List<Row> rows = new ArrayList<>(r.rows);
        rows.sort(Comparator.comparing(Row::workload).thenComparing(Row::db, Comparator.reverseOrder()));
        return rows;
    }

    static void write(Results results, Map<String, String> run, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("results.md"), markdown(results, run, ""));
        Files.writeString(dir.resolve("ratios.svg"), ratioChart(results));
        Files.writeString(dir.resolve("growth.svg"), growthChart(results));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("run", run);
        json.put(
                "rows",
                results.rows.stream()
                        .map(r -> {
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("workload", r.workload());
                            m.put("database", r.db());
                            m.put("what", r.what());
                            m.put("unit", r.unit());
                            m.put("annals", r.annals());
                            m.put("baseline", r.baseline());
                            m.put("baselineIs", r.baselineName());
                            m.put("ratio", r.ratio());
                            m.put("target", r.target());
                            m.put("higherIsBetter", r.higherIsBetter());
                            m.put("annalsSpread", r.annalsSpread());
                            m.put("baselineSpread", r.baselineSpread());
                            m.put("note", r.note());
                            m.put("source", r.source());
                            return m;
                        })
                        .toList());
        json.put("checks", results.checks);
        json.put("calls", results.calls);
        json.put("growth", results.growthPoints);
        json.put("notes", results.notes);
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(dir.resolve("results.json").toFile(), json);
    }

    /** Replaces the generated section of {@code docs/benchmarks.md} and copies the charts to {@code docs/benchmarks/}. */
    static void writeDocs(Results results, Map<String, String> run, Path docs) throws IOException {
        Path md = docs.resolve("benchmarks.md");
        Path charts = docs.resolve("benchmarks");
        Files.createDirectories(charts);
        Files.writeString(charts.resolve("ratios.svg"), ratioChart(results));
        Files.writeString(charts.resolve("growth.svg"), growthChart(results));
        String section = BEGIN + "\n" + markdown(results, run, "benchmarks/") + END;
        String text = Files.exists(md) ? Files.readString(md) : "# Benchmarks\n\n" + BEGIN + "\n" + END + "\n";
        int b = text.indexOf(BEGIN);
        int e = text.indexOf(END);
        if (b < 0 || e < b) {
            text = text + "\n" + section + "\n";
        } else {
            text = text.substring(0, b) + section + text.substring(e + END.length());
        }
        Files.writeString(md, text);
    }

    static String markdown(Results results, Map<String, String> run, String chartPrefix) {
        StringBuilder s = new StringBuilder();
        s.append("### The run\n\n| | |\n|---|---|\n");
        run.forEach(
                (k, v) -> s.append("| ").append(k).append(" | ").append(cell(v)).append(" |\n"));

        s.append("\n### Targets\n\n| | database | target | measured | met |\n|---|---|---|---|---|\n");
        List<String[]> targets = new ArrayList<>();
        for (Row r : sorted(results)) {
            if (r.target() != null) {
                targets.add(new String[] {
                    r.workload(),
                    r.db(),
                    String.format(
                            Locale.ROOT,
                            "| %s | %s | %s: at least %.2f of %s | %.2f | %s |%n",
                            r.workload(),
                            r.db(),
                            cell(r.what()),
                            r.target(),
                            cell(r.baselineName()),
                            r.ratio(),
                            r.met() ? "yes" : "**no**, by " + percent(1 - r.ratio() / r.target()))
                });
            }
        }
        for (Check c : results.checks) {
            targets.add(new String[] {
                c.workload(),
                c.db(),
                String.format(
                        Locale.ROOT,
                        "| %s | %s | %s | %s%s | %s |%n",
                        c.workload(),
                        c.db(),
                        cell(c.goal()),
                        cell(c.measured()),
                        c.detail().isEmpty() ? "" : " (" + cell(c.detail()) + ")",
                        c.met() == null ? "(report)" : c.met() ? "yes" : "**no**")
            });
        }
        targets.sort(
                Comparator.<String[], String>comparing(t -> t[0]).thenComparing(t -> t[1], Comparator.reverseOrder()));
        targets.forEach(t -> s.append(t[2]));

        s.append("\n### Every figure\n\nRatio: Annals' speed relative to the baseline's (above 1: Annals is faster; "
                + "for times, baseline time / Annals time). Spread: (max - min) / median of the measured rounds, "
                + "Annals / baseline.\n\n");
        s.append("| | database | what | Annals | baseline | ratio | target | spread | baseline is | note |\n"
                + "|---|---|---|---:|---:|---:|---:|---:|---|---|\n");
        for (Row r : sorted(results)) {
            s.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s %s | %s | %.2f | %s | %s / %s | %s | %s |%n",
                    r.workload(),
                    r.db(),
                    cell(r.what()),
                    Results.number(r.annals()),
                    r.unit(),
                    Results.number(r.baseline()),
                    r.ratio(),
                    r.target() == null ? "" : String.format(Locale.ROOT, "%.2f", r.target()),
                    percent(r.annalsSpread()),
                    percent(r.baselineSpread()),
                    cell(r.baselineName()),
                    cell(r.note())));
        }
        if (!results.growthPoints.isEmpty()) {
            s.append("\n### W8: cost as the history grows (Annals µs per operation; baseline in brackets)\n\n");
            List<Long> sizes = results.growth().values().stream()
                    .flatMap(g -> g.bySize().keySet().stream())
                    .distinct()
                    .sorted()
                    .toList();
            s.append("| database | operation |");
            sizes.forEach(n -> s.append(" ").append(Results.count(n)).append(" |"));
            s.append(" largest / smallest |\n|---|---|");
            sizes.forEach(n -> s.append("---:|"));
            s.append("---:|\n");
            for (Growth g : results.growth().values()) {
                s.append("| ")
                        .append(g.db())
                        .append(" | ")
                        .append(g.operation())
                        .append(" |");
                for (long n : sizes) {
                    double[] v = g.bySize().get(n);
                    s.append(v == null ? " |" : " " + Results.number(v[0]) + " (" + Results.number(v[1]) + ") |");
                }
                double first = g.bySize().firstEntry().getValue()[0];
                double last = g.bySize().lastEntry().getValue()[0];
                double firstRaw = g.bySize().firstEntry().getValue()[1];
                double lastRaw = g.bySize().lastEntry().getValue()[1];
                s.append(String.format(Locale.ROOT, " x%.2f (x%.2f) |%n", last / first, lastRaw / firstRaw));
            }
        }
        if (!results.calls.isEmpty()) {
            s.append("\n### What one Annals operation asks of JDBC\n\nCounted by a DataSource wrapped around the "
                    + "store's pool (calls on pooled connections; on SQLite the store keeps its statements (appends, "
                    + "stream and log reads, snapshot loads) prepared on the physical connection, which this count "
                    + "does not see) and, on PostgreSQL, by "
                    + "a socket factory that counts the driver's flushes: round trips to the server. Averaged over "
                    + "many operations. The raw baselines make one execute, one round trip, per append.\n\n");
            List<String> keys =
                    new ArrayList<>(results.calls.get(0).perOperation().keySet());
            s.append("| database | operation |");
            keys.forEach(k -> s.append(" ").append(k).append(" |"));
            s.append("\n|---|---|");
            keys.forEach(k -> s.append("---:|"));
            s.append("\n");
            for (Calls c : results.calls) {
                s.append("| ")
                        .append(c.db())
                        .append(" | ")
                        .append(c.operation())
                        .append(" |");
                boolean sqlite = c.db().equals(Target.Kind.SQLITE.label);
                keys.forEach(k -> s.append(
                        sqlite && k.equals("round trips")
                                ? " – |"
                                : String.format(
                                        Locale.ROOT, " %.2f |", c.perOperation().get(k))));
                s.append("\n");
            }
        }
        if (!results.notes.isEmpty()) {
            s.append("\n### Notes of the run\n\n");
            results.notes.forEach(n -> s.append("- ").append(n).append("\n"));
        }
        s.append("\n### Charts\n\n![Annals relative to raw JDBC, every comparison of the run](")
                .append(chartPrefix)
                .append("ratios.svg)\n\n");
        if (!results.growthPoints.isEmpty()) {
            s.append("![W8: cost of each operation as the history grows](")
                    .append(chartPrefix)
                    .append("growth.svg)\n\n");
        }
        return s.toString();
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    private static String percent(double v) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    // --- charts ------------------------------------------------------------------------------

    /** One horizontal bar per comparison: Annals' ratio to its baseline, with 1.0 and the targets marked. */
    static String ratioChart(Results results) {
        List<Row> rows = sorted(results);
        int label = 560;
        int plot = 420;
        int rowH = 17;
        int top = 48;
        int height = top + rows.size() * rowH + 40;
        int width = label + plot + 70;
        double max = 1.5;
        for (Row r : rows) {
            if (!Double.isNaN(r.ratio())) {
                max = Math.max(max, Math.min(3, Math.ceil(r.ratio() * 4) / 4));
            }
        }
        double scale = plot / max;
        StringBuilder s = new StringBuilder();
        s.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                        + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n",
                width,
                height,
                width,
                height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        s.append(
                "<text x=\"8\" y=\"18\" font-size=\"14\" font-weight=\"bold\">Annals relative to raw JDBC in the same run "
                        + "(1.0 = as fast as the baseline; red tick = target)</text>\n");
        legend(s, 8, 36);
        for (double g = 0; g <= max + 1e-9; g += 0.25) {
            double x = label + g * scale;
            boolean one = Math.abs(g - 1) < 1e-9;
            s.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" " + "stroke-width=\"%s\"/>%n",
                    x,
                    top - 4,
                    x,
                    top + rows.size() * rowH,
                    one ? "#333" : "#ddd",
                    one ? "1.5" : "1"));
            s.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%.2f</text>%n",
                    x,
                    top + rows.size() * rowH + 14,
                    g));
        }
        int y = top;
        String lastWorkload = "";
        for (Row r : rows) {
            if (!r.workload().equals(lastWorkload) && !lastWorkload.isEmpty()) {
                s.append(String.format(
                        Locale.ROOT,
                        "<line x1=\"8\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#bbb\"/>%n",
                        y,
                        label + plot,
                        y));
            }
            lastWorkload = r.workload();
            String text = r.workload() + " " + r.db() + " · " + r.what()
                    + (r.baselineName().startsWith("serialised")
                            ? " (vs serialised)"
                            : r.baselineName().startsWith("hand-written") ? " (vs hand-written)" : "");
            if (text.length() > 98) {
                text = text.substring(0, 97) + "…";
            }
            s.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                    label - 6,
                    y + 12,
                    esc(text)));
            double ratio = Double.isNaN(r.ratio()) ? 0 : Math.min(r.ratio(), max);
            String color = r.db().equals(Target.Kind.SQLITE.label) ? DB_COLORS[0] : DB_COLORS[1];
            s.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>%n",
                    label,
                    y + 3,
                    ratio * scale,
                    rowH - 5,
                    color));
            s.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\">%.2f%s</text>%n",
                    label + ratio * scale + 4,
                    y + 12,
                    r.ratio(),
                    r.ratio() > max ? " →" : ""));
            if (r.target() != null) {
                double tx = label + r.target() * scale;
                s.append(String.format(
                        Locale.ROOT,
                        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d62728\" "
                                + "stroke-width=\"2.5\"/>%n",
                        tx,
                        y + 1,
                        tx,
                        y + rowH - 1));
            }
            y += rowH;
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static void legend(StringBuilder s, int x, int y) {
        s.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" fill=\"%s\"/>"
                        + "<text x=\"%d\" y=\"%d\">SQLite</text>%n",
                x,
                y - 9,
                DB_COLORS[0],
                x + 16,
                y));
        s.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" fill=\"%s\"/>"
                        + "<text x=\"%d\" y=\"%d\">PostgreSQL</text>%n",
                x + 70,
                y - 9,
                DB_COLORS[1],
                x + 86,
                y));
    }

    /** W8: µs per operation against the number of events stored, log-log, one panel per database. */
    static String growthChart(Results results) {
        List<String> dbs =
                results.growth().values().stream().map(Growth::db).distinct().toList();
        int panelW = 470;
        int panelH = 330;
        int width = Math.max(1, dbs.size()) * panelW + 20;
        int height = panelH + 90;
        StringBuilder s = new StringBuilder();
        s.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                        + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n",
                width,
                height,
                width,
                height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        s.append("<text x=\"10\" y=\"18\" font-size=\"14\" font-weight=\"bold\">W8: µs per operation as the history "
                + "grows (solid: Annals, dashed: raw JDBC; log scales)</text>\n");
        String[] colors = {"#1f77b4", "#2ca02c", "#9467bd"};
        double minV = Double.MAX_VALUE;
        double maxV = 0;
        long minN = Long.MAX_VALUE;
        long maxN = 0;
        for (Growth g : results.growth().values()) {
            for (Map.Entry<Long, double[]> e : g.bySize().entrySet()) {
                minN = Math.min(minN, e.getKey());
                maxN = Math.max(maxN, e.getKey());
                for (double v : e.getValue()) {
                    minV = Math.min(minV, v);
                    maxV = Math.max(maxV, v);
                }
            }
        }
        if (maxV == 0) {
            s.append("<text x=\"10\" y=\"50\">no W8 figures in this run</text>\n</svg>\n");
            return s.toString();
        }
        double lo = Math.floor(Math.log10(minV));
        double hi = Math.ceil(Math.log10(maxV));
        double nLo = Math.log10(minN);
        double nHi = Math.max(nLo + 1, Math.log10(maxN));
        for (int d = 0; d < dbs.size(); d++) {
            int ox = 10 + d * panelW + 50;
            int oy = 40;
            int w = panelW - 80;
            int h = panelH - 40;
            s.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>%n",
                    ox,
                    oy - 4,
                    esc(dbs.get(d))));
            s.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" " + "stroke=\"#999\"/>%n",
                    ox,
                    oy,
                    w,
                    h));
            for (double e = lo; e <= hi + 1e-9; e++) {
                double yy = oy + h - (e - lo) / (hi - lo) * h;
                s.append(String.format(
                        Locale.ROOT,
                        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
                                + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>%n",
                        ox,
                        yy,
                        ox + w,
                        yy,
                        ox - 4,
                        yy + 4,
                        Results.number(Math.pow(10, e))));
            }
            java.util.TreeSet<Long> sizes = new java.util.TreeSet<>();
            results.growth().values().forEach(g -> sizes.addAll(g.bySize().keySet()));
            {
                for (long n : sizes) {
                    double xx = ox + (Math.log10(n) - nLo) / (nHi - nLo) * w;
                    s.append(String.format(
                            Locale.ROOT,
                            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>"
                                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>%n",
                            xx,
                            oy,
                            xx,
                            oy + h,
                            xx,
                            oy + h + 14,
                            Results.count(n)));
                }
            }
            s.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">events " + "stored</text>%n",
                    ox + w / 2,
                    oy + h + 28));
            int op = 0;
            for (Growth g : results.growth().values()) {
                if (!g.db().equals(dbs.get(d))) {
                    continue;
                }
                String color = colors[op % colors.length];
                for (int side = 0; side < 2; side++) {
                    StringBuilder pts = new StringBuilder();
                    for (Map.Entry<Long, double[]> e : g.bySize().entrySet()) {
                        double xx = ox + (Math.log10(e.getKey()) - nLo) / (nHi - nLo) * w;
                        double yy = oy + h - (Math.log10(e.getValue()[side]) - lo) / (hi - lo) * h;
                        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", xx, yy));
                        s.append(String.format(
                                Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", xx, yy, color));
                    }
                    s.append(String.format(
                            Locale.ROOT,
                            "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" " + "stroke-width=\"2\"%s/>%n",
                            pts.toString().trim(),
                            color,
                            side == 1 ? " stroke-dasharray=\"5,4\"" : ""));
                }
                s.append(String.format(
                        Locale.ROOT,
                        "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"%s\"/>"
                                + "<text x=\"%d\" y=\"%d\">%s</text>%n",
                        ox,
                        oy + h + 40 + op * 14,
                        color,
                        ox + 16,
                        oy + h + 45 + op * 14,
                        esc(g.operation())));
                op++;
            }
        }
        s.append("</svg>\n");
        return s.toString();
    }
}
