/**
 * An outbox relay from an Annals JDBC store to RabbitMQ ({@code io.annals.eventstore.rabbitmq}):
 * {@code RabbitRelay} publishes the global log, or the events of some types, to an exchange with
 * publisher confirms, at least once.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"
}) // amqp-client names its module in its manifest
module io.annals.eventstore.rabbitmq {
    requires transitive io.annals.eventstore.jdbc;
    requires transitive com.rabbitmq.client;
    // @Nullable in signatures: needed to compile this module, by no one else and never at run time.
    requires static org.jspecify;

    exports io.annals.eventstore.rabbitmq;
}
