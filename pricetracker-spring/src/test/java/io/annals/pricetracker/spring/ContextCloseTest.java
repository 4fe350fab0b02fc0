package io.annals.pricetracker.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.pricetracker.domain.Product;
import io.annals.pricetracker.domain.ProductCommand;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import io.annals.pricetracker.domain.ProductEvent;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ContextCloseTest {

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void closing_the_context_stops_the_projections_and_closes_the_store() {
        ConfigurableApplicationContext app = new SpringApplicationBuilder(PriceTrackerApplication.class)
                .run("--server.port=0", "--annals.url=jdbc:sqlite:" + dir.resolve("close.db"));
        ProjectionRunner runner = app.getBean(ProjectionRunner.class);
        JdbcEventStore store = app.getBean(JdbcEventStore.class);
        CommandHandler<Product, ProductCommand, ProductEvent> products =
                app.getBean("productAggregateCommandHandler", CommandHandler.class);
        // A product's command loop from the starter, on the store of the context.
        assertThat(products.load("nothing-here").version()).isZero();
        assertThatThrownBy(() -> products.handle(new UpdateProduct("nothing-here", BigDecimal.ONE)))
                .hasMessageContaining("nothing-here");
        assertThat(runner.awaitPosition(0, Duration.ofSeconds(10))).isTrue();

        app.close();

        assertThat(runner.statuses()).extracting(ProjectionStatus::state).containsOnly(ProjectionStatus.State.STOPPED);
        assertThatThrownBy(() -> store.readAll(0, 1)).isInstanceOf(EventStoreException.class);
    }
}
