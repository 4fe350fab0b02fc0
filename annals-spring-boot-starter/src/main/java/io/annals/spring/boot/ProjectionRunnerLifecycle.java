package io.annals.spring.boot;

import io.annals.eventstore.projection.ProjectionRunner;
import java.util.List;
import java.util.Objects;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;

/**
 * Starts every {@link ProjectionRunner} bean of the context when the context starts, and closes
 * them when it stops: each projection finishes the batch it is applying, commits it with its
 * checkpoint and lets go of its lease, so that another instance can take over at once.
 *
 * <p>Its phase puts it inside the web server's: the runners start before the server takes
 * requests and stop after a graceful shutdown has let the requests under way finish (a read that
 * waits for a position needs the runners). A closed runner cannot start again: a context that is
 * stopped and started again (rare outside tests) gets its runners back only by a refresh.
 */
public final class ProjectionRunnerLifecycle implements SmartLifecycle {

    /**
     * The phase: below the web server's ({@code SmartLifecycle.DEFAULT_PHASE - 2048}) and its
     * graceful shutdown's ({@code DEFAULT_PHASE - 1024}), so started before them and stopped after.
     */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private final ObjectProvider<ProjectionRunner> runners;
    private final boolean autoStartup;
    private volatile boolean running;

    /**
     * @param runners the runners to start and stop
     * @param autoStartup whether they start with the context ({@code annals.projections.auto-startup})
     */
    public ProjectionRunnerLifecycle(ObjectProvider<ProjectionRunner> runners, boolean autoStartup) {
        this.runners = Objects.requireNonNull(runners, "runners");
        this.autoStartup = autoStartup;
    }

    @Override
    public void start() {
        List<ProjectionRunner> all = runners.orderedStream().toList();
        all.forEach(ProjectionRunner::start);
        running = true;
    }

    /** Closes the runners, each after the batch it is applying (10 seconds at most each). */
    @Override
    public void stop() {
        running = false;
        runners.orderedStream().forEach(ProjectionRunner::close);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public boolean isAutoStartup() {
        return autoStartup;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
