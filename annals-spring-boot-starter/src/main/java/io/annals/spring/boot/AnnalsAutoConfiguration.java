package io.annals.spring.boot;

import io.annals.eventstore.EventStore;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.privacy.KeyWrapper;
import io.annals.eventstore.privacy.Vault;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.Projector;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The Annals beans: the event store, a command handler per aggregate bean, one projection runner
 * for the projector beans, and the lifecycle that starts and stops the runners with the context.
 * Each backs off when the application declares its own bean of that type.
 *
 * <p>Optional integrations are auto-configurations of their own, each a small class that runs
 * after this one when its library is present and contributes through the customizer interfaces
 * ({@link AnnalsStoreCustomizer}, {@link ProjectionRunnerCustomizer},
 * {@link CommandHandlerCustomizer}) or reads the beans made here: Actuator's health and info in
 * {@link AnnalsActuatorAutoConfiguration}.
 */
@AutoConfiguration(after = DataSourceAutoConfiguration.class)
@EnableConfigurationProperties(AnnalsProperties.class)
public class AnnalsAutoConfiguration {

    /** Creates the auto-configuration; Spring calls it. */
    public AnnalsAutoConfiguration() {}

    /**
     * The store: on {@code annals.url} when it is set, else on the application's DataSource when
     * there is one, else on the SQLite file {@code annals.db}; closed with the context (a
     * DataSource of the application stays open).
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(EventStore.class)
    public JdbcEventStore annalsEventStore(
            AnnalsProperties properties,
            ObjectProvider<DataSource> dataSource,
            ObjectProvider<AnnalsStoreCustomizer> customizers) {
        String url = properties.getUrl();
        DataSource applications = url == null ? dataSource.getIfUnique() : null;
        JdbcEventStore.Builder builder;
        if (applications != null) {
            builder = JdbcEventStore.builder(applications);
        } else {
            builder = JdbcEventStore.builder(url == null ? AnnalsProperties.DEFAULT_URL : url)
                    .maxPoolSize(properties.getPoolSize());
        }
        builder.tablePrefix(properties.getTablePrefix())
                .busyTimeout(properties.getBusyTimeout())
                .durability(properties.getDurability())
                .openMode(properties.getOpenMode())
                .notifyAppends(properties.isNotifyAppends());
        if (properties.getSchema() != null) {
            builder.schema(properties.getSchema());
        }
        customizers.orderedStream().forEach(c -> c.customize(builder));
        try {
            return builder.open();
        } catch (IllegalArgumentException e) {
            String where = url != null
                    ? "annals.url"
                    : applications != null ? "the application's DataSource" : AnnalsProperties.DEFAULT_URL;
            throw new IllegalArgumentException("cannot open the Annals store on " + where + ": " + e.getMessage(), e);
        }
    }

    /**
     * A vault for personal data in the store's subject keys, when the application declares its
     * wrapping key as one {@link KeyWrapper} bean (for example from an environment variable or a
     * KMS) and no vault of its own; {@code annals.privacy.*} sets the subject secret and the cache.
     */
    @Bean
    @ConditionalOnSingleCandidate(KeyWrapper.class)
    @ConditionalOnBean(JdbcEventStore.class)
    @ConditionalOnMissingBean(Vault.class)
    public Vault annalsVault(JdbcEventStore store, KeyWrapper wrapper, AnnalsProperties properties) {
        Vault.Builder vault = Vault.builder(store.subjectKeys(), wrapper)
                .cacheFor(properties.getPrivacy().getCacheFor());
        String secret = properties.getPrivacy().getSubjectSecret();
        if (secret != null) {
            vault.subjectSecret(AnnalsProperties.Privacy.decode(secret));
        }
        return vault.build();
    }

    /** Registers a command handler bean for every aggregate bean without one. */
    @Bean
    static CommandHandlerRegistrar annalsCommandHandlerRegistrar() {
        return new CommandHandlerRegistrar();
    }

    /** One runner for every {@link Projector} bean, in their order. */
    @Bean(destroyMethod = "close")
    @ConditionalOnBean(Projector.class)
    @ConditionalOnMissingBean(ProjectionRunner.class)
    public ProjectionRunner annalsProjectionRunner(
            EventStore store,
            AnnalsProperties properties,
            ObjectProvider<Projector> projectors,
            ObjectProvider<ProjectionRunnerCustomizer> customizers) {
        AnnalsProperties.Projections p = properties.getProjections();
        ProjectionRunner.Builder builder = ProjectionRunner.builder(store)
                .batchSize(p.getBatchSize())
                .pollInterval(p.getPollInterval())
                .wakeOnAppend(p.isWakeOnAppend())
                .readAhead(p.isReadAhead())
                .maxBackoff(p.getMaxBackoff());
        projectors.orderedStream().forEach(builder::add);
        customizers.orderedStream().forEach(c -> c.customize(builder));
        return builder.build();
    }

    /** Starts and stops every {@link ProjectionRunner} bean with the context. */
    @Bean
    @ConditionalOnMissingBean
    public ProjectionRunnerLifecycle annalsProjectionRunnerLifecycle(
            ObjectProvider<ProjectionRunner> runners, AnnalsProperties properties) {
        return new ProjectionRunnerLifecycle(
                runners, properties.getProjections().isAutoStartup());
    }
}
