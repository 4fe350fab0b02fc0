package io.annals.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.micrometer.MicrometerInstrumentation;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The Micrometer binding: on when a registry is there, off when asked or when the module is absent. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AnnalsMicrometerAutoConfigurationTest {

    @TempDir
    Path dir;

    private ApplicationContextRunner contexts() {
        return new ApplicationContextRunner()
                .withConfiguration(
                        AutoConfigurations.of(AnnalsAutoConfiguration.class, AnnalsMicrometerAutoConfiguration.class))
                .withPropertyValues("annals.url=jdbc:sqlite:" + dir.resolve("metrics.db"));
    }

    private static double appends(MeterRegistry meters) {
        var timer = meters.find("annals.append").tag("outcome", "ok").timer();
        return timer == null ? 0 : timer.count();
    }

    @Test
    void the_store_reports_its_appends_to_the_applications_registry() {
        contexts().withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
            assertThat(context).hasBean("annalsMicrometerCustomizer");
            EventStore store = context.getBean(EventStore.class);
            store.append("s-1", ExpectedVersion.noStream(), List.of(EventData.of("Happened", "{}")));
            store.append("s-2", ExpectedVersion.noStream(), List.of(EventData.of("Happened", "{}")));

            assertThat(appends(context.getBean(MeterRegistry.class))).isEqualTo(2);
        });
    }

    @Test
    void without_a_registry_nothing_is_bound() {
        contexts().run(context -> assertThat(context).doesNotHaveBean("annalsMicrometerCustomizer"));
    }

    @Test
    void the_property_turns_it_off() {
        contexts()
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withPropertyValues("annals.metrics.enabled=false")
                .run(context -> {
                    assertThat(context).doesNotHaveBean("annalsMicrometerCustomizer");
                    context.getBean(EventStore.class)
                            .append("s-1", ExpectedVersion.noStream(), List.of(EventData.of("Happened", "{}")));
                    assertThat(appends(context.getBean(MeterRegistry.class))).isZero();
                });
    }

    @Test
    void without_the_module_on_the_classpath_nothing_is_bound() {
        contexts()
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withClassLoader(new FilteredClassLoader(MicrometerInstrumentation.class))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean("annalsMicrometerCustomizer");
                });
    }
}
