package io.annals.benchmarks;

import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.InMemoryProjector;
import io.annals.eventstore.projection.ProjectionRunner;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * W10's other process: a started projection runner (W10's keyed read model, in memory) on the
 * same database as the benchmark, which appends. It speaks one line at a time:
 *
 * <ul>
 *   <li>{@code follow on}: a new store and a started runner on it, with the store's machinery for
 *       hearing other processes on (SQLite's change check, PostgreSQL's {@code LISTEN}); {@code
 *       follow off}: the same with it off, the runner finding appends at its polls (every 100 ms).
 *       The store and runner followed until then are closed first. Answers {@code following}.
 *   <li>{@code at N}: answers {@code N} once the read model has applied position N, watched
 *       from outside the runner (not {@code awaitPosition}, which would bring the runner's read
 *       forward itself: what is timed is the runner hearing the append).
 *   <li>{@code ping}: answers {@code pong} at once, so that the pipes' own delay can be measured.
 * </ul>
 *
 * <p>It prints {@code ready} when it starts, and at the end of its input closes what it follows
 * and exits. Logs go to standard error. One process serves every round of a run, so that its
 * JIT is warm in all of them alike.
 *
 * <pre>java -cp benchmarks.jar io.annals.benchmarks.FollowerProcess --db JDBC_URL</pre>
 */
public final class FollowerProcess {

    private FollowerProcess() {}

    /** Runs until its input ends. */
    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !args[0].equals("--db")) {
            throw new IllegalArgumentException("usage: FollowerProcess --db JDBC_URL");
        }
        String db = args[1];
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        JdbcEventStore store = null;
        ProjectionRunner runner = null;
        Watched watched = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            out.println("ready");
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals("ping")) {
                    out.println("pong");
                } else if (line.startsWith("follow ")) {
                    close(runner, store);
                    runner = null;
                    store = null;
                    boolean wake = line.equals("follow on");
                    JdbcEventStore.Builder builder =
                            JdbcEventStore.builder(db).maxPoolSize(4).notifyAppends(wake);
                    if (!wake) {
                        builder.changeCheck(Duration.ZERO);
                    }
                    store = builder.open();
                    watched = new Watched(new InMemoryProjector<>(new Domain.Summaries(), Domain.CODEC));
                    runner = ProjectionRunner.builder(store)
                            .add(watched)
                            .pollInterval(Duration.ofMillis(100))
                            .build();
                    runner.start();
                    out.println("following");
                } else if (line.startsWith("at ") && watched != null) {
                    long position = Long.parseLong(line.substring(3).trim());
                    boolean applied = watched.awaitApplied(position, 30_000);
                    out.println(applied ? Long.toString(position) : "timeout " + position);
                } else {
                    out.println("unknown " + line);
                }
            }
        } finally {
            close(runner, store);
        }
    }

    private static void close(ProjectionRunner runner, JdbcEventStore store) {
        if (runner != null) {
            runner.close();
        }
        if (store != null) {
            store.close();
        }
    }
}
