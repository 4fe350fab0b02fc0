/**
 * Spring Boot auto-configuration for Annals ({@code annals-spring-boot-starter}):
 * {@link io.annals.spring.boot.AnnalsAutoConfiguration} (the store, command handlers, the
 * projection runner and its lifecycle), {@link io.annals.spring.boot.AnnalsActuatorAutoConfiguration}
 * (health and info), the {@code annals.*} properties ({@link io.annals.spring.boot.AnnalsProperties})
 * and the customizer interfaces through which the application, and later integrations, change
 * what is built. See {@code docs/spring-boot.md}.
 */
@NullMarked
package io.annals.spring.boot;

import org.jspecify.annotations.NullMarked;
