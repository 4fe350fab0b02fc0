package io.annals.spring.boot;

import io.annals.eventstore.projection.ProjectionRunner;

/**
 * Changes the builder of the auto-configured {@link ProjectionRunner} after the
 * {@code annals.projections.*} properties and the projector beans were applied, before it is
 * built. Every customizer bean is applied, in {@link org.springframework.core.annotation.Order}
 * order.
 */
@FunctionalInterface
public interface ProjectionRunnerCustomizer {

    /** Changes {@code builder}. */
    void customize(ProjectionRunner.Builder builder);
}
