package io.annals.spring.boot;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;

/**
 * Annals in {@code /actuator/info}: the store, and for each projection its state, checkpoint and
 * lag: how many events of the log it has not applied yet, counted up to {@value #LAG_LIMIT}
 * after the slowest projection's checkpoint ({@code lagAtLeast} is true when there were that many,
 * so that the lags are lower bounds). A projection held back by a
 * write in flight (PostgreSQL) also shows what holds it.
 */
public final class AnnalsInfoContributor implements InfoContributor {

    /** The largest lag counted: counting reads the events behind the slowest projection. */
    public static final int LAG_LIMIT = 1000;

    private final EventStore store;
    private final ObjectProvider<ProjectionRunner> runners;

    /**
     * @param store the store whose log the lags are counted in
     * @param runners the runners whose projections are reported
     */
    public AnnalsInfoContributor(EventStore store, ObjectProvider<ProjectionRunner> runners) {
        this.store = Objects.requireNonNull(store, "store");
        this.runners = Objects.requireNonNull(runners, "runners");
    }

    @Override
    public void contribute(Info.Builder builder) {
        List<ProjectionStatus> statuses =
                runners.orderedStream().flatMap(r -> r.statuses().stream()).toList();
        long slowest =
                statuses.stream().mapToLong(ProjectionStatus::checkpoint).min().orElse(Long.MAX_VALUE - 1);
        List<Long> ahead = store.readAll(slowest, LAG_LIMIT).stream()
                .map(RecordedEvent::position)
                .toList();
        boolean capped = ahead.size() == LAG_LIMIT;
        Map<String, Object> projections = new LinkedHashMap<>();
        for (ProjectionStatus s : statuses) {
            long lag = ahead.stream().filter(p -> p > s.checkpoint()).count();
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("state", s.state().name());
            detail.put("checkpoint", s.checkpoint());
            detail.put("lag", lag);
            detail.put("lagAtLeast", capped);
            s.heldBy().ifPresent(h -> detail.put("heldBy", h.description()));
            projections.put(s.name(), detail);
        }
        Map<String, Object> annals = new LinkedHashMap<>();
        annals.put("store", store.toString());
        annals.put("projections", projections);
        builder.withDetail("annals", annals);
    }
}
