package io.annals.pricetracker.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The article's processing Lambda: brings the read models (product view, price history, monthly
 * statistics) up to date with the log, one {@link ProjectionRunner#catchUp() catch-up pass} per
 * invocation, for a scheduled trigger (EventBridge {@code rate(1 minute)}). The triggering event
 * is not read.
 *
 * <p>Handler string: {@code io.annals.pricetracker.lambda.ProjectorHandler}; same store and
 * environment variable as {@link ApiGatewayHandler}. Each batch commits its read-model rows and
 * checkpoint together, so a pass cut short by the function's timeout loses nothing and the next
 * invocation goes on from there. Two passes at once (a slow pass overlapping the next tick) are
 * safe: on PostgreSQL a projection leased by one is skipped by the other ({@code STANDBY}).
 *
 * <p>Writes a summary:
 * {@code {"projections": [{"name", "state", "checkpoint", "lastError"}, ...]}}. A projection
 * that fails on an event is reported there ({@code "state": "FAILED"}) and logged, and does not
 * stop the others; the invocation still succeeds, since retrying it at once would fail the same
 * way. Only a store that cannot be opened makes the invocation fail.
 */
public final class ProjectorHandler implements RequestStreamHandler {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<ProjectionRunner> runner;

    /** The handler the Lambda runtime creates: the container's shared tracker, opened on first use. */
    public ProjectorHandler() {
        LambdaEnvironment.prepareForSnapshot();
        this.runner = () -> LambdaEnvironment.tracker().projections();
    }

    /**
     * A handler on a given runner, for tests and for embedding.
     *
     * @param runner the projections to run; never {@linkplain ProjectionRunner#start() started}
     * @throws NullPointerException if {@code runner} is null
     */
    public ProjectorHandler(ProjectionRunner runner) {
        Objects.requireNonNull(runner, "runner");
        this.runner = () -> runner;
    }

    /**
     * Runs one catch-up pass and writes the summary.
     *
     * @param input the triggering event, not read
     * @param output where the summary goes (UTF-8 JSON)
     * @param context the invocation, for its logger; may be null
     * @throws IOException if the summary cannot be written
     * @throws io.annals.eventstore.EventStoreException if the store cannot be opened
     * @throws IllegalStateException if the runner was started (it runs in the background then)
     */
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        List<ProjectionStatus> statuses = runner.get().catchUp();
        ObjectNode summary = JSON.createObjectNode();
        ArrayNode projections = summary.putArray("projections");
        for (ProjectionStatus s : statuses) {
            ObjectNode p = projections.addObject();
            p.put("name", s.name());
            p.put("state", s.state().name());
            p.put("checkpoint", s.checkpoint());
            p.put("lastError", s.lastError().orElse(null));
            if (s.state() == ProjectionStatus.State.FAILED) {
                LambdaEnvironment.log(
                        context,
                        "projection " + s.name() + " failed at checkpoint " + s.checkpoint() + ": "
                                + s.lastError().orElseThrow());
            }
        }
        output.write(JSON.writeValueAsBytes(summary));
        output.flush();
    }
}
