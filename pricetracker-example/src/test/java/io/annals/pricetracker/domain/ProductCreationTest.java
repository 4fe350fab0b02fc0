package io.annals.pricetracker.domain;

import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.decision.DecidedEvent;
import io.annals.eventstore.testing.DecisionFixture;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductEvent.PriceChanged;
import io.annals.pricetracker.domain.ProductEvent.ProductCreated;
import io.annals.pricetracker.domain.ProductEvent.ProductDeleted;
import java.math.BigDecimal;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProductCreationTest {

    private static final BigDecimal PRICE = new BigDecimal("3.50");
    private static final ProductCreated TEA = new ProductCreated("tea", "Green tea", PRICE, "EUR");

    private static DecisionFixture<CreateProduct, ProductEvent> fixture() {
        return DecisionFixture.of(ProductCreation.DECISION, PriceTracker.CODEC);
    }

    @Nested
    class A_new_id_and_a_free_name {

        @Test
        void create_the_product_in_a_new_stream() {
            fixture()
                    .given(new ProductCreated("mug", "Mug", PRICE, "EUR"))
                    .when(new CreateProduct("tea", "Green tea", PRICE))
                    .thenDecided(DecidedEvent.to("product-tea", TEA).expecting(ExpectedVersion.noStream()));
        }

        @Test
        void a_name_freed_by_a_deletion_can_be_used_again() {
            fixture()
                    .given(TEA, new ProductDeleted("tea", "Green tea"))
                    .when(new CreateProduct("tea-2", "green TEA", PRICE))
                    .thenEvents(new ProductCreated("tea-2", "green TEA", PRICE, "EUR"));
        }

        @Test
        void a_name_freed_and_taken_again_is_taken() {
            fixture()
                    .given(TEA, new ProductDeleted("tea", "Green tea"))
                    .given(new ProductCreated("tea-2", "Green tea", PRICE, "EUR"))
                    .when(new CreateProduct("tea-3", "Green tea", PRICE))
                    .thenRejected(ProductCreation.NAME_TAKEN)
                    .withMessageContaining("tea-2");
        }
    }

    @Nested
    class A_name_held_by_another_product {

        @ParameterizedTest
        @ValueSource(strings = {"Green tea", "green tea", "GREEN TEA", "  Green tea ", "\tgreen Tea\n"})
        void is_taken_whatever_its_case_and_the_white_space_around_it(String name) {
            fixture()
                    .given(TEA)
                    .when(new CreateProduct("tea-2", name, PRICE))
                    .thenRejected("name-taken")
                    .withMessageContaining("taken by product tea");
        }

        @Test
        void is_taken_after_its_price_changes() {
            fixture()
                    .given(TEA, new PriceChanged("tea", PRICE, BigDecimal.TEN, new BigDecimal("6.50"), "EUR"))
                    .when(new CreateProduct("tea-2", "Green tea", PRICE))
                    .thenRejected("name-taken");
        }

        @Test
        void is_not_taken_by_another_name() {
            fixture()
                    .given(TEA)
                    .when(new CreateProduct("tea-2", "Green teas", PRICE))
                    .thenEvents(new ProductCreated("tea-2", "Green teas", PRICE, "EUR"));
        }
    }

    @Nested
    class An_id_already_created {

        @Test
        void is_rejected() {
            fixture()
                    .given(TEA)
                    .when(new CreateProduct("tea", "Black tea", PRICE))
                    .thenRejected(ProductAggregate.ALREADY_EXISTS)
                    .withMessageContaining("already exists");
        }

        @Test
        void is_rejected_even_when_deleted() {
            fixture()
                    .given(TEA, new ProductDeleted("tea", "Green tea"))
                    .when(new CreateProduct("tea", "Green tea", PRICE))
                    .thenRejected(ProductAggregate.ALREADY_EXISTS)
                    .withMessageContaining("never created twice");
        }

        @Test
        void is_rejected_when_only_its_later_events_carry_tags() {
            // a price change tagged after an upgrade, its creation stored before tags existed
            fixture()
                    .given(new PriceChanged("tea", PRICE, BigDecimal.TEN, new BigDecimal("6.50"), "EUR"))
                    .when(new CreateProduct("tea", "Green tea", PRICE))
                    .thenRejected(ProductAggregate.ALREADY_EXISTS);
        }

        @Test
        void is_rejected_before_its_name_is_looked_at() {
            fixture()
                    .given(TEA)
                    .when(new CreateProduct("tea", "Green tea", PRICE))
                    .thenRejected(ProductAggregate.ALREADY_EXISTS);
        }
    }
}
