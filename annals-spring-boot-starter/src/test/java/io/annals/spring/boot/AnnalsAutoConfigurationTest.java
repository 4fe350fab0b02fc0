package io.annals.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.Command;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.jdbc.JacksonEventCodec;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.InMemoryProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.projection.Projector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.ResolvableType;
import org.sqlite.SQLiteDataSource;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AnnalsAutoConfigurationTest {

    // --- a small domain: counters that go up -----------------------------------------------

    record Increment(String aggregateId) implements Command {}

    sealed interface CounterEvent extends Event permits Incremented {}

    record Incremented(int by) implements CounterEvent {}

    static final class Counters implements Aggregate<Integer, Increment, CounterEvent> {
        @Override
        public String category() {
            return "counter";
        }

        @Override
        public Integer initialState() {
            return 0;
        }

        @Override
        public List<CounterEvent> decide(Integer state, Increment command) {
            return List.of(new Incremented(1));
        }

        @Override
        public Integer evolve(Integer state, CounterEvent event) {
            return state + ((Incremented) event).by();
        }
    }

    static final EventCodec<CounterEvent> CODEC = JacksonEventCodec.builder(CounterEvent.class)
            .register("Incremented", Incremented.class)
            .build();

    /** Counts events per stream; fails on the stream {@code counter-poison}. */
    static class Totals implements Projection<CounterEvent, String, Integer> {
        @Override
        public String name() {
            return "totals";
        }

        @Override
        public String key(Envelope<CounterEvent> e) {
            return e.recorded().streamId();
        }

        @Override
        public Integer apply(@Nullable Integer current, Envelope<CounterEvent> e) {
            if (e.recorded().streamId().equals("counter-poison")) {
                throw new IllegalStateException("cannot count poison");
            }
            return (current == null ? 0 : current) + 1;
        }
    }

    static final ResolvableType HANDLER_TYPE = ResolvableType.forClassWithGenerics(
            CommandHandler.class, Integer.class, Increment.class, CounterEvent.class);

    @TempDir
    Path dir;

    private ApplicationContextRunner contexts() {
        return new ApplicationContextRunner()
                .withConfiguration(
                        AutoConfigurations.of(AnnalsAutoConfiguration.class, AnnalsActuatorAutoConfiguration.class));
    }

    private ApplicationContextRunner onFile() {
        return contexts().withPropertyValues("annals.url=jdbc:sqlite:" + dir.resolve("store.db"));
    }

    @Configuration(proxyBeanMethods = false)
    static class CountersConfiguration {
        @Bean
        Counters counters() {
            return new Counters();
        }

        @Bean
        EventCodec<CounterEvent> counterCodec() {
            return CODEC;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnHandlerConfiguration {
        @Bean
        CommandHandler<Integer, Increment, CounterEvent> ownHandler() {
            return CommandHandler.builder(new Counters(), new InMemoryEventStore(), CODEC)
                    .build();
        }
    }

    private ApplicationContextRunner withCounters() {
        return onFile().withUserConfiguration(CountersConfiguration.class);
    }

    @SuppressWarnings("unchecked")
    private static CommandHandler<Integer, Increment, CounterEvent> handler(AssertableApplicationContext context) {
        return (CommandHandler<Integer, Increment, CounterEvent>)
                context.getBeanProvider(HANDLER_TYPE).getObject();
    }

    @Nested
    class The_store {

        @Test
        void opens_on_annals_url_and_closes_with_the_context() {
            JdbcEventStore[] seen = new JdbcEventStore[1];
            onFile().run(context -> {
                assertThat(context).hasSingleBean(JdbcEventStore.class);
                seen[0] = context.getBean(JdbcEventStore.class);
                assertThat(seen[0].toString()).contains("store.db");
            });
            assertThatThrownBy(() -> seen[0].readAll(0, 1)).isInstanceOf(EventStoreException.class);
        }

        @Test
        void uses_the_application_s_DataSource_and_leaves_it_open() {
            SQLiteDataSource dataSource = new SQLiteDataSource();
            dataSource.setUrl("jdbc:sqlite:" + dir.resolve("app.db"));
            contexts().withBean(DataSource.class, () -> dataSource).run(context -> {
                assertThat(context.getBean(JdbcEventStore.class).dataSource()).isSameAs(dataSource);
            });
            try (JdbcEventStore again = JdbcEventStore.open(dataSource)) {
                assertThat(again.readAll(0, 1)).isEmpty();
            }
        }

        @Test
        void opens_on_annals_url_even_beside_a_DataSource() {
            SQLiteDataSource dataSource = new SQLiteDataSource();
            dataSource.setUrl("jdbc:sqlite:" + dir.resolve("app.db"));
            onFile().withBean(DataSource.class, () -> dataSource).run(context -> {
                JdbcEventStore store = context.getBean(JdbcEventStore.class);
                assertThat(store.dataSource()).isNotSameAs(dataSource);
                assertThat(store.toString()).contains("store.db");
            });
        }

        @Test
        void backs_off_when_the_application_declares_a_store() {
            InMemoryEventStore own = new InMemoryEventStore();
            onFile().withBean(EventStore.class, () -> own).run(context -> {
                assertThat(context.getBean(EventStore.class)).isSameAs(own);
            });
        }

        @Test
        void takes_options_from_the_properties_and_the_customizers() {
            onFile().withPropertyValues("annals.table-prefix=shop_")
                    .withBean(
                            AnnalsStoreCustomizer.class,
                            () -> b -> b.durability(io.annals.eventstore.jdbc.Durability.NORMAL))
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        assertThat(context.getBean(JdbcEventStore.class).toString())
                                .contains("shop_*");
                    });
        }
    }

    @Nested
    class Command_handlers {

        @Test
        void are_made_for_each_aggregate_bean_with_its_codec() {
            withCounters().run(context -> {
                CommandHandler<Integer, Increment, CounterEvent> counters = handler(context);
                counters.handle(new Increment("a"));
                counters.handle(new Increment("a"));
                assertThat(counters.load("a").state()).isEqualTo(2);
                assertThat(context.getBean(EventStore.class).readStream("counter-a", 1, 10))
                        .extracting(e -> e.type())
                        .containsExactly("Incremented", "Incremented");
            });
        }

        @Test
        void are_customized_by_the_customizer_beans() {
            int[] customized = new int[1];
            withCounters()
                    .withBean(CommandHandlerCustomizer.class, () -> (aggregate, builder) -> {
                        assertThat(aggregate).isInstanceOf(Counters.class);
                        builder.maxAttempts(3);
                        customized[0]++;
                    })
                    .run(context -> {
                        handler(context);
                        assertThat(customized[0]).isEqualTo(1);
                    });
        }

        @Test
        void back_off_when_the_application_declares_the_handler() {
            withCounters().withUserConfiguration(OwnHandlerConfiguration.class).run(context -> {
                assertThat(context.getBeanNamesForType(HANDLER_TYPE)).containsExactly("ownHandler");
            });
        }

        @Test
        void fail_with_a_message_naming_the_aggregate_when_its_codec_is_missing() {
            onFile().withBean(Counters.class).run(context -> {
                assertThatThrownBy(() -> handler(context))
                        .rootCause()
                        .hasMessageContaining("aggregate bean")
                        .hasMessageContaining("EventCodec<" + CounterEvent.class.getName() + ">")
                        .hasMessageContaining("JacksonEventCodec.builder(CounterEvent.class)");
            });
        }
    }

    @Nested
    class Projections {

        private ApplicationContextRunner withTotals() {
            return withCounters()
                    .withPropertyValues("annals.projections.poll-interval=10ms")
                    .withBean("totals", Projector.class, () -> new InMemoryProjector<>(new Totals(), CODEC));
        }

        @Test
        void run_while_the_context_runs_and_stop_when_it_closes() {
            ProjectionRunner[] seen = new ProjectionRunner[1];
            withTotals().run(context -> {
                seen[0] = context.getBean(ProjectionRunner.class);
                awaitState(seen[0], ProjectionStatus.State.RUNNING);
                long position = handler(context).handle(new Increment("a")).position();
                assertThat(seen[0].awaitPosition(position, Duration.ofSeconds(10)))
                        .isTrue();
            });
            assertThat(seen[0].status("totals").state()).isEqualTo(ProjectionStatus.State.STOPPED);
            assertThatThrownBy(seen[0]::start).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void finish_the_batch_under_way_before_the_context_closes() throws Exception {
            CountDownLatch applying = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Projection<CounterEvent, String, Integer> slow = new Totals() {
                @Override
                public Integer apply(@Nullable Integer current, Envelope<CounterEvent> e) {
                    applying.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException interrupted) {
                        throw new IllegalStateException(interrupted);
                    }
                    return super.apply(current, e);
                }
            };
            InMemoryProjector<CounterEvent, String, Integer> projector = new InMemoryProjector<>(slow, CODEC);
            withCounters()
                    .withPropertyValues("annals.projections.poll-interval=10ms")
                    .withBean("totals", Projector.class, () -> projector)
                    .run(context -> {
                        long position =
                                handler(context).handle(new Increment("a")).position();
                        assertThat(applying.await(30, TimeUnit.SECONDS)).isTrue();

                        CompletableFuture<Void> closing = CompletableFuture.runAsync(context::close);
                        Thread.sleep(200); // a close that did not wait would be over by now
                        assertThat(closing).isNotDone();

                        release.countDown();
                        closing.get(30, TimeUnit.SECONDS);
                        assertThat(projector.checkpoint()).isEqualTo(position);
                        assertThat(projector.get("counter-a")).contains(1);
                    });
        }

        @Test
        void wait_for_a_start_when_auto_startup_is_off() {
            withTotals()
                    .withPropertyValues("annals.projections.auto-startup=false")
                    .run(context -> {
                        assertThat(context.getBean(ProjectionRunner.class)
                                        .status("totals")
                                        .state())
                                .isEqualTo(ProjectionStatus.State.STOPPED);
                    });
        }

        @Test
        void are_not_run_without_projector_beans() {
            withCounters().run(context -> assertThat(context).doesNotHaveBean(ProjectionRunner.class));
        }

        @Test
        void use_the_application_s_runner_instead() {
            withTotals()
                    .withBean(
                            "ownRunner",
                            ProjectionRunner.class,
                            () -> ProjectionRunner.builder(new InMemoryEventStore())
                                    .add(new InMemoryProjector<>(new Totals(), CODEC))
                                    .build())
                    .run(context -> {
                        assertThat(context).hasSingleBean(ProjectionRunner.class);
                        // the lifecycle starts the application's runner too
                        awaitState(context.getBean(ProjectionRunner.class), ProjectionStatus.State.RUNNING);
                    });
        }

        @Test
        void show_in_health_and_info() {
            withTotals().run(context -> {
                long position = handler(context).handle(new Increment("a")).position();
                context.getBean(ProjectionRunner.class).awaitPosition(position, Duration.ofSeconds(10));

                Health health = context.getBean(AnnalsHealthIndicator.class).health();
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                assertThat(health.getDetails().get("projections").toString())
                        .contains("totals")
                        .contains("RUNNING");

                Info.Builder info = new Info.Builder();
                context.getBean(AnnalsInfoContributor.class).contribute(info);
                assertThat(projection(info.build(), "totals"))
                        .containsEntry("state", "RUNNING")
                        .containsEntry("checkpoint", position)
                        .containsEntry("lag", 0L);
            });
        }

        @Test
        void leave_health_and_info_out_when_turned_off_or_declared_by_the_application() {
            AnnalsHealthIndicator own = new AnnalsHealthIndicator(new InMemoryEventStore(), emptyProvider());
            withTotals()
                    .withPropertyValues("management.info.annals.enabled=false")
                    .withBean("annalsHealthIndicator", AnnalsHealthIndicator.class, () -> own)
                    .run(context -> {
                        assertThat(context).doesNotHaveBean(AnnalsInfoContributor.class);
                        assertThat(context.getBean(AnnalsHealthIndicator.class)).isSameAs(own);
                    });
        }

        private static ObjectProvider<ProjectionRunner> emptyProvider() {
            return new StaticListableBeanFactory().getBeanProvider(ProjectionRunner.class);
        }

        @Test
        void report_a_failing_projection_as_down_and_its_lag_in_info() {
            withTotals().run(context -> {
                handler(context).handle(new Increment("poison"));
                ProjectionRunner runner = context.getBean(ProjectionRunner.class);
                awaitState(runner, ProjectionStatus.State.FAILED);

                Health health = context.getBean(AnnalsHealthIndicator.class).health();
                assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                assertThat(health.getDetails().get("projections").toString()).contains("cannot count poison");

                Info.Builder info = new Info.Builder();
                context.getBean(AnnalsInfoContributor.class).contribute(info);
                assertThat(projection(info.build(), "totals"))
                        .containsEntry("state", "FAILED")
                        .containsEntry("lag", 1L);
            });
        }

        @SuppressWarnings("unchecked")
        private static Map<String, Object> projection(Info info, String name) {
            Map<String, Object> annals = (Map<String, Object>) info.getDetails().get("annals");
            return (Map<String, Object>) ((Map<String, Object>) annals.get("projections")).get(name);
        }

        private static void awaitState(ProjectionRunner runner, ProjectionStatus.State state)
                throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (runner.status("totals").state() != state && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(runner.status("totals").state()).isEqualTo(state);
        }
    }

    @Nested
    class Properties {

        @Test
        void bind_to_annals_properties() {
            onFile().withPropertyValues(
                            "annals.pool-size=3",
                            "annals.busy-timeout=2s",
                            "annals.durability=normal",
                            "annals.notify-appends=false",
                            "annals.projections.batch-size=7",
                            "annals.projections.poll-interval=250ms",
                            "annals.projections.wake-on-append=false",
                            "annals.projections.read-ahead=false",
                            "annals.projections.max-backoff=1m")
                    .run(context -> {
                        AnnalsProperties p = context.getBean(AnnalsProperties.class);
                        assertThat(p.getPoolSize()).isEqualTo(3);
                        assertThat(p.getBusyTimeout()).isEqualTo(Duration.ofSeconds(2));
                        assertThat(p.getDurability()).isEqualTo(io.annals.eventstore.jdbc.Durability.NORMAL);
                        assertThat(p.isNotifyAppends()).isFalse();
                        assertThat(p.getProjections().getBatchSize()).isEqualTo(7);
                        assertThat(p.getProjections().getPollInterval()).isEqualTo(Duration.ofMillis(250));
                        assertThat(p.getProjections().isWakeOnAppend()).isFalse();
                        assertThat(p.getProjections().isReadAhead()).isFalse();
                        assertThat(p.getProjections().getMaxBackoff()).isEqualTo(Duration.ofMinutes(1));
                    });
        }

        @Test
        void a_pool_size_below_one_fails_naming_the_property_and_the_rule() {
            assertFailure("annals.pool-size=0", "field 'poolSize'", "maxPoolSize cannot be less than 1");
        }

        @Test
        void a_table_prefix_that_is_not_an_identifier_fails_naming_the_rule() {
            assertFailure("annals.table-prefix=Shop-", "field 'tablePrefix'", "lower-case");
        }

        @Test
        void a_duration_that_is_not_one_fails_naming_the_property() {
            assertFailure("annals.busy-timeout=soon", "annals.busy-timeout", "soon");
        }

        @Test
        void a_poll_interval_of_zero_fails_naming_the_rule() {
            assertFailure("annals.projections.poll-interval=0s", "field 'projections.pollInterval'", "positive");
        }

        @Test
        void an_url_that_is_not_jdbc_fails_without_showing_a_password() {
            assertFailure("annals.url=postgres://db/x?password=secret", "annals.url", "unsupported JDBC URL");
            onFile().withPropertyValues("annals.url=postgres://db/x?password=secret")
                    .run(context ->
                            assertThat(messages(context.getStartupFailure())).doesNotContain("secret"));
        }

        private void assertFailure(String property, String name, String rule) {
            onFile().withPropertyValues(property).run(context -> {
                assertThat(context).hasFailed();
                assertThat(messages(context.getStartupFailure())).contains(name).contains(rule);
            });
        }

        private static String messages(Throwable failure) {
            StringBuilder all = new StringBuilder();
            for (Throwable t = failure; t != null; t = t.getCause()) {
                all.append(t.getMessage()).append('\n');
            }
            return all.toString();
        }
    }
}
