package io.annals.spring.boot;

import io.annals.eventstore.micrometer.MicrometerInstrumentation;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * Metrics and traces of Annals through Micrometer, when the application has
 * {@code io.annals:eventstore-micrometer} and a {@link MeterRegistry} (Actuator makes one): the
 * auto-configured store reports to {@link MicrometerInstrumentation#of(MeterRegistry,
 * ObservationRegistry)}, with the application's {@link ObservationRegistry} when there is one, and
 * the command handlers and projection runners built on it report through it too. Turned off with
 * {@code annals.metrics.enabled=false}.
 */
@AutoConfiguration(
        afterName = {
            "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
            "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration",
            "org.springframework.boot.actuate.autoconfigure.observation.ObservationAutoConfiguration"
        })
@ConditionalOnClass({MicrometerInstrumentation.class, MeterRegistry.class})
@ConditionalOnBean(MeterRegistry.class)
@ConditionalOnProperty(prefix = "annals.metrics", name = "enabled", matchIfMissing = true)
public class AnnalsMicrometerAutoConfiguration {

    /** Creates the auto-configuration; Spring calls it. */
    public AnnalsMicrometerAutoConfiguration() {}

    /** Sets the store's instrumentation to Micrometer. */
    @Bean
    @ConditionalOnMissingBean(name = "annalsMicrometerCustomizer")
    public AnnalsStoreCustomizer annalsMicrometerCustomizer(
            MeterRegistry meters, ObjectProvider<ObservationRegistry> observations) {
        ObservationRegistry registry = observations.getIfAvailable(() -> ObservationRegistry.NOOP);
        MicrometerInstrumentation instrumentation = MicrometerInstrumentation.of(meters, registry);
        return builder -> builder.instrumentation(instrumentation);
    }
}
