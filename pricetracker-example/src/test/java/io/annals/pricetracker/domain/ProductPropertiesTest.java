package io.annals.pricetracker.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.command.CommandResult;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.DeleteProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import io.annals.pricetracker.domain.ProductEvent.PriceChanged;
import io.annals.pricetracker.domain.ProductEvent.ProductCreated;
import io.annals.pricetracker.domain.ProductEvent.ProductDeleted;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 12 of the reliability suite, for the domain: random sequences of commands, run through
 * the command loop on a store, keep the price tracker's invariants (the price stays positive,
 * nothing changes a deleted product, an id is created once) and agree with a two-line model of
 * the rules. Seeded: a failure names its seed and step.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProductPropertiesTest {

    @Test
    @Timeout(120)
    void random_command_sequences_keep_the_invariants() {
        for (long seed = 1; seed <= 300; seed++) {
            run(seed, 40);
        }
    }

    @Test
    @Tag("nightly")
    @Timeout(3600)
    void many_long_random_command_sequences_keep_the_invariants() {
        for (long seed = 1_000; seed < 6_000; seed++) {
            run(seed, 200);
        }
    }

    /** What the model knows of a product: its price, and whether it is deleted. */
    private record Known(BigDecimal price, boolean deleted) {}

    private static BigDecimal money(Random random, int maxUnits) {
        return BigDecimal.valueOf(random.nextInt(maxUnits * 100), 2);
    }

    private static void run(long seed, int steps) {
        Random random = new Random(seed);
        try (InMemoryEventStore store = new InMemoryEventStore()) {
            CommandHandler<Product, ProductCommand, ProductEvent> products = CommandHandler.builder(
                            new ProductAggregate(), store, PriceTracker.CODEC)
                    .build();
            Map<String, Known> model = new HashMap<>();
            for (int step = 0; step < steps; step++) {
                String where = "seed " + seed + ", step " + step;
                String id = "p" + random.nextInt(3);
                Known known = model.get(id);
                ProductCommand command;
                String expected; // null: accepted
                int kind = random.nextInt(10);
                if (kind < 2) {
                    BigDecimal price = money(random, 50).add(new BigDecimal("0.01"));
                    command = new CreateProduct(id, "name " + step, price);
                    expected = known == null ? null : ProductAggregate.ALREADY_EXISTS;
                } else if (kind < 9) {
                    BigDecimal variation = random.nextInt(8) == 0
                            ? BigDecimal.ZERO
                            : money(random, 30).subtract(BigDecimal.valueOf(15));
                    command = new UpdateProduct(id, variation);
                    expected = known == null
                            ? ProductAggregate.NOT_FOUND
                            : known.deleted()
                                    ? ProductAggregate.DELETED
                                    : known.price().add(variation).signum() <= 0
                                            ? ProductAggregate.PRICE_NOT_POSITIVE
                                            : null;
                } else {
                    command = new DeleteProduct(id);
                    expected = known == null
                            ? ProductAggregate.NOT_FOUND
                            : known.deleted() ? ProductAggregate.DELETED : null;
                }
                long before = store.currentVersion("product-" + id);
                try {
                    CommandResult<Product, ProductEvent> r = products.handle(command);
                    assertThat(expected)
                            .as("%s: %s was accepted", where, command)
                            .isNull();
                    Product p = r.state();
                    assertThat(p.price().signum())
                            .as("%s: the price stays positive", where)
                            .isPositive();
                    if (command instanceof CreateProduct c) {
                        model.put(id, new Known(c.price(), false));
                    } else if (command instanceof UpdateProduct u) {
                        model.put(id, new Known(known.price().add(u.variation()), false));
                        assertThat(r.events()).hasSize(u.variation().signum() == 0 ? 0 : 1);
                    } else {
                        model.put(id, new Known(known.price(), true));
                        assertThat(p.active()).isFalse();
                    }
                    assertThat(p.price())
                            .as(where)
                            .isEqualByComparingTo(model.get(id).price());
                } catch (CommandRejectedException rejected) {
                    assertThat(rejected.code()).as("%s: %s", where, command).isEqualTo(expected);
                    assertThat(store.currentVersion("product-" + id))
                            .as("%s: a rejection writes nothing", where)
                            .isEqualTo(before);
                }
            }
            for (String id : model.keySet()) {
                checkHistory(store, id, model.get(id));
            }
        }
    }

    /** The stored history itself: one creation first, prices chained and positive, nothing after a delete. */
    private static void checkHistory(InMemoryEventStore store, String id, Known known) {
        List<RecordedEvent> history = store.readStream("product-" + id, 1, 100_000);
        BigDecimal price = null;
        boolean deleted = false;
        for (int i = 0; i < history.size(); i++) {
            ProductEvent e = PriceTracker.CODEC.decode(history.get(i)).event();
            assertThat(deleted).as("an event after the delete: %s", e).isFalse();
            if (i == 0) {
                assertThat(e).isInstanceOf(ProductCreated.class);
                price = ((ProductCreated) e).price();
            } else if (e instanceof PriceChanged c) {
                assertThat(c.oldPrice()).isEqualByComparingTo(price);
                assertThat(c.newPrice()).isEqualByComparingTo(c.oldPrice().add(c.variation()));
                assertThat(c.variation().signum()).isNotZero();
                price = c.newPrice();
            } else {
                assertThat(e).isInstanceOf(ProductDeleted.class);
                deleted = true;
            }
            assertThat(price.signum()).isPositive();
        }
        assertThat(price).isEqualByComparingTo(known.price());
        assertThat(deleted).isEqualTo(known.deleted());
    }
}
