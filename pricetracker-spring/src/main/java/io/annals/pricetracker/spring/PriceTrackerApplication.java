package io.annals.pricetracker.spring;

import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.decision.DecisionHandler;
import io.annals.eventstore.jdbc.JacksonStateCodec;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projector;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.domain.ProductAggregate;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCreation;
import io.annals.pricetracker.domain.ProductEvent;
import io.annals.pricetracker.readmodel.MonthlyStats;
import io.annals.pricetracker.readmodel.PriceHistory;
import io.annals.pricetracker.readmodel.ProductView;
import io.annals.spring.boot.CommandHandlerCustomizer;
import java.sql.SQLException;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * The price tracker's HTTP API on Spring MVC ({@link ProductController}), beside the JDK-server
 * version of {@code pricetracker-example}, whose domain, codec and read models it uses. The Annals
 * starter opens the store ({@code annals.*} in {@code application.properties}), makes the
 * products' {@code CommandHandler} from the aggregate bean and its codec bean, and runs the
 * projector beans declared here with the application.
 */
@SpringBootApplication
public class PriceTrackerApplication {

    /** Creates the configuration; Spring calls it. */
    public PriceTrackerApplication() {}

    /** Starts the application: {@code java -jar pricetracker-spring.jar [--annals.url=...]}. */
    public static void main(String[] args) {
        SpringApplication.run(PriceTrackerApplication.class, args);
    }

    /** How product events are stored: the example's codec, with its explicit type registry. */
    @Bean
    EventCodec<ProductEvent> productCodec() {
        return PriceTracker.CODEC;
    }

    /** The products; the starter makes their {@code CommandHandler<Product, ProductCommand, ProductEvent>}. */
    @Bean
    ProductAggregate productAggregate() {
        return new ProductAggregate();
    }

    /** Many clients may change one product's price at once: more attempts than the default. */
    @Bean
    CommandHandlerCustomizer productRetries() {
        return (aggregate, builder) -> builder.maxAttempts(50);
    }

    /** Creations: a decision across streams (an id is created once, a name held once). */
    @Bean
    DecisionHandler<CreateProduct, ProductEvent> productCreations(EventStore store, EventCodec<ProductEvent> codec) {
        return DecisionHandler.builder(ProductCreation.DECISION, store, codec).build();
    }

    /** The read model of {@code GET /products/{id}}; the starter's runner keeps it. */
    @Bean
    KeyedProjector<String, ProductView> productViews(JdbcEventStore store, EventCodec<ProductEvent> codec) {
        // rows stored before the currency existed were all in euros
        return store.projectors()
                .keyed(
                        new ProductView.Projector(),
                        codec,
                        JacksonStateCodec.of(ProductView.class).withDefault("currency", "EUR"));
    }

    /** The read model of {@code GET /products/{id}/history}. */
    @Bean
    Projector priceHistory(JdbcEventStore store, EventCodec<ProductEvent> codec) throws SQLException {
        PriceHistory.createTable(store.dataSource());
        return store.projectors().sql(new PriceHistory(), codec);
    }

    /** The read model of {@code GET /stats/monthly}. */
    @Bean
    Projector monthlyStats(JdbcEventStore store, EventCodec<ProductEvent> codec) throws SQLException {
        MonthlyStats.createTable(store.dataSource());
        return store.projectors().sql(new MonthlyStats(), codec);
    }
}
