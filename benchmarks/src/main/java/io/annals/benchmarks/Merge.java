package io.annals.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --merge FILE}: takes the figures of the databases this run does not measure from an
 * earlier run's {@code results.json}, so that one report holds both databases when one of them
 * had to be measured again (the shared PostgreSQL server was restarted under a full run, say).
 */
final class Merge {

    private static final Pattern HISTORY = Pattern.compile("^(.*), history of ([0-9 ]+)(k|M)? events$");

    private Merge() {}

    /**
     * Adds the earlier figures of every workload and database this run did not measure
     * ({@code measured} holds "W1 SQLite"...; JDBC calls go with W1-W5).
     */
    static void into(Results results, Path file, Set<String> measured) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        String earlier = root.path("run").path("date").asText("?") + ", "
                + root.path("run").path("Annals").asText("?").replace(" (with uncommitted changes)", "");
        for (JsonNode r : root.path("rows")) {
            String db = r.path("database").asText();
            if (measured.contains(r.path("workload").asText() + " " + db)) {
                continue;
            }
            double annals = r.path("annals").asDouble();
            double baseline = r.path("baseline").asDouble();
            double ratio = r.path("ratio").asDouble();
            boolean higher = r.has("higherIsBetter")
                    ? r.path("higherIsBetter").asBoolean()
                    : Math.abs(ratio - annals / baseline) <= Math.abs(ratio - baseline / annals);
            Double target = r.path("target").isNumber() ? r.path("target").asDouble() : null;
            Results.Row row = new Results.Row(
                    r.path("workload").asText(),
                    db,
                    r.path("what").asText(),
                    r.path("unit").asText(),
                    annals,
                    r.path("annalsSpread").asDouble(),
                    r.path("baselineIs").asText(),
                    baseline,
                    r.path("baselineSpread").asDouble(),
                    higher,
                    target,
                    r.path("note").asText(),
                    r.path("source").asText(earlier));
            results.rows.add(row);
            if (!root.has("growth") && row.workload().equals("W8")) {
                Matcher m = HISTORY.matcher(row.what());
                if (m.matches()) {
                    long n = Long.parseLong(m.group(2).replace(" ", ""));
                    n *= "k".equals(m.group(3)) ? 1_000 : "M".equals(m.group(3)) ? 1_000_000 : 1;
                    results.growthPoints.add(new Results.GrowthPoint(db, m.group(1), n, annals, baseline));
                }
            }
        }
        for (JsonNode c : root.path("checks")) {
            if (!measured.contains(
                    c.path("workload").asText() + " " + c.path("db").asText())) {
                results.checks.add(new Results.Check(
                        c.path("workload").asText(),
                        c.path("db").asText(),
                        c.path("goal").asText(),
                        c.path("measured").asText(),
                        c.path("met").isBoolean() ? c.path("met").asBoolean() : null,
                        c.path("detail").asText()));
            }
        }
        for (JsonNode c : root.path("calls")) {
            if (!measured.contains("calls " + c.path("db").asText())) {
                Map<String, Double> per = new LinkedHashMap<>();
                JsonNode counts = c.path("perOperation");
                counts.fieldNames()
                        .forEachRemaining(k -> per.put(k, counts.path(k).asDouble()));
                results.calls.add(new Results.Calls(
                        c.path("db").asText(), c.path("operation").asText(), per));
            }
        }
        if (measured.isEmpty()) {
            root.path("notes").forEach(n -> results.notes.add(n.asText()));
        }
        for (JsonNode g : root.path("growth")) {
            if (!measured.contains("W8 " + g.path("db").asText())) {
                results.growthPoints.add(new Results.GrowthPoint(
                        g.path("db").asText(),
                        g.path("operation").asText(),
                        g.path("size").asLong(),
                        g.path("annalsMicros").asDouble(),
                        g.path("baselineMicros").asDouble()));
            }
        }
    }
}
