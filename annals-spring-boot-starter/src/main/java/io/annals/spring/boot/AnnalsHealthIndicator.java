package io.annals.spring.boot;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * The health of Annals ({@code /actuator/health/annals}): DOWN when the store cannot be read, or
 * when a projection is {@code FAILED} (it retries, but its read model falls behind until an event
 * it cannot apply is fixed); UP otherwise. The details give each projection's state, checkpoint,
 * failures in a row and last error. A projection in {@code STANDBY} is healthy: another instance
 * runs it.
 */
public final class AnnalsHealthIndicator extends AbstractHealthIndicator {

    private final EventStore store;
    private final ObjectProvider<ProjectionRunner> runners;

    /**
     * @param store the store to read
     * @param runners the runners whose projections are reported
     */
    public AnnalsHealthIndicator(EventStore store, ObjectProvider<ProjectionRunner> runners) {
        super("the Annals store cannot be read");
        this.store = Objects.requireNonNull(store, "store");
        this.runners = Objects.requireNonNull(runners, "runners");
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        store.readAll(Long.MAX_VALUE - 1, 1); // a round trip that reads nothing; throws if unreachable
        Map<String, Object> projections = new LinkedHashMap<>();
        boolean failed = false;
        for (ProjectionRunner runner : runners.orderedStream().toList()) {
            for (ProjectionStatus s : runner.statuses()) {
                Map<String, Object> detail = new LinkedHashMap<>();
                detail.put("state", s.state().name());
                detail.put("checkpoint", s.checkpoint());
                if (s.failures() > 0) {
                    detail.put("failures", s.failures());
                }
                s.lastError().ifPresent(e -> detail.put("lastError", e));
                projections.put(s.name(), detail);
                failed |= s.state() == ProjectionStatus.State.FAILED;
            }
        }
        (failed ? builder.down() : builder.up()).withDetail("store", store.toString());
        if (!projections.isEmpty()) {
            builder.withDetail("projections", projections);
        }
    }
}
