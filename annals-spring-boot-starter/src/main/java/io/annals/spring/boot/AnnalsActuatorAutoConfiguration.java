package io.annals.spring.boot;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.projection.ProjectionRunner;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.autoconfigure.info.ConditionalOnEnabledInfoContributor;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Actuator's view of Annals, when the application has Actuator: the health indicator
 * {@code annals} (store reachable, projections not failing) and the info contributor
 * {@code annals} (the store, each projection's state, checkpoint and lag). Turned off with
 * {@code management.health.annals.enabled=false} and {@code management.info.annals.enabled=false}.
 */
@AutoConfiguration(after = AnnalsAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(EventStore.class)
public class AnnalsActuatorAutoConfiguration {

    /** Creates the auto-configuration; Spring calls it. */
    public AnnalsActuatorAutoConfiguration() {}

    /** The health indicator {@code annals}. */
    @Bean
    @ConditionalOnMissingBean(name = "annalsHealthIndicator")
    @ConditionalOnEnabledHealthIndicator("annals")
    public AnnalsHealthIndicator annalsHealthIndicator(EventStore store, ObjectProvider<ProjectionRunner> runners) {
        return new AnnalsHealthIndicator(store, runners);
    }

    /** The info contributor {@code annals}. */
    @Bean
    @ConditionalOnMissingBean(name = "annalsInfoContributor")
    @ConditionalOnEnabledInfoContributor("annals")
    public AnnalsInfoContributor annalsInfoContributor(EventStore store, ObjectProvider<ProjectionRunner> runners) {
        return new AnnalsInfoContributor(store, runners);
    }
}
