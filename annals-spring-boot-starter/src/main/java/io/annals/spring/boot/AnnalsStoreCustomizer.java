package io.annals.spring.boot;

import io.annals.eventstore.jdbc.JdbcEventStore;

/**
 * Changes the builder of the auto-configured {@link JdbcEventStore} after the {@code annals.*}
 * properties were applied and before the store opens: options that have no property (a clock,
 * append limits) or that depend on other beans. Every customizer bean is applied, in
 * {@link org.springframework.core.annotation.Order} order.
 */
@FunctionalInterface
public interface AnnalsStoreCustomizer {

    /** Changes {@code builder}. */
    void customize(JdbcEventStore.Builder builder);
}
