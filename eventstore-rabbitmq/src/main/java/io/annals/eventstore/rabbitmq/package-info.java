/**
 * Publishes the events of a JDBC store to RabbitMQ, at least once: {@link
 * io.annals.eventstore.rabbitmq.RabbitRelay}.
 */
@NullMarked
package io.annals.eventstore.rabbitmq;

import org.jspecify.annotations.NullMarked;
