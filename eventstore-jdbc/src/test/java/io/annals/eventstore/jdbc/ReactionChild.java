package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The process the two-runner tests kill with SIGKILL: {@code react URL} runs the process manager
 * {@code echo}, which answers each deposit to {@code acct-K} with one event in {@code echo-K}
 * carrying the deposit's id in its metadata (a fresh event id: a reaction stored twice shows).
 * Prints {@code STARTED} once it runs.
 */
final class ReactionChild {

    private ReactionChild() {}

    static final String CAUSE = "cause";

    static SqlProjection<Deposited> echo(JdbcEventStore store) {
        return new SqlProjection<>() {
            @Override
            public String name() {
                return "echo";
            }

            @Override
            public boolean appendsEvents() {
                return true;
            }

            @Override
            public void apply(Connection c, Envelope<Deposited> e) {
                String stream = e.recorded().streamId();
                if (!stream.startsWith("acct-")) {
                    return;
                }
                store.append(
                        "echo-" + stream.substring("acct-".length()),
                        ExpectedVersion.any(),
                        List.of(EventData.of(
                                "Deposited",
                                CODEC.toJson(e.event()),
                                Map.of(CAUSE, e.recorded().eventId().toString()))));
                try {
                    Thread.sleep(2); // spread the batches over time, so that kills land inside them
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void reset(Connection c) {}
        };
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        JdbcEventStore store = JdbcEventStore.open(args[1]);
        ProjectionRunner runner = ProjectionRunner.builder(store)
                .add(store.projectors().sql(echo(store), CODEC))
                .batchSize(10)
                .pollInterval(Duration.ofMillis(10))
                .maxBackoff(Duration.ofMillis(200))
                .build();
        runner.start();
        out.println("STARTED");
        Thread.sleep(Long.MAX_VALUE);
    }
}
