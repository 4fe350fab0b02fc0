package io.annals.spring.boot;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.command.CommandHandler;

/**
 * Changes the builder of each {@link CommandHandler} the starter creates for an {@link Aggregate}
 * bean (bounded retries, a clock, snapshots), before it is built. Every customizer bean is applied
 * to every such handler, in {@link org.springframework.core.annotation.Order} order; it tells them
 * apart by {@code aggregate}. A handler the application declares itself is left alone.
 */
@FunctionalInterface
public interface CommandHandlerCustomizer {

    /**
     * Changes {@code builder}, the builder of the handler of {@code aggregate}. Its type parameters
     * are the aggregate's: a customizer that sets typed options (snapshot settings) checks the
     * aggregate's class and casts.
     */
    void customize(Aggregate<?, ?, ?> aggregate, CommandHandler.Builder<?, ?, ?> builder);
}
