package io.annals.pricetracker.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.testing.AggregateFixture;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.DeleteProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
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
class ProductAggregateTest {

    private static final String ID = "tea-42";
    private static final ProductCreated CREATED = new ProductCreated(ID, "Green tea", money("3.50"), "EUR");
    private static final ProductDeleted DELETED = new ProductDeleted(ID, "Green tea");

    private static BigDecimal money(String amount) {
        return new BigDecimal(amount);
    }

    private static AggregateFixture<Product, ProductCommand, ProductEvent> fixture() {
        return AggregateFixture.of(new ProductAggregate());
    }

    @Test
    void products_live_in_the_product_category() {
        ProductAggregate aggregate = new ProductAggregate();

        assertThat(aggregate.category()).isEqualTo("product");
        assertThat(aggregate.streamId(ID)).isEqualTo("product-tea-42");
        assertThat(aggregate.initialState()).isEqualTo(Product.NONE);
        assertThat(Product.NONE.exists()).isFalse();
    }

    @Nested
    class Creating_a_product {

        @Test
        void a_new_id_is_created_and_becomes_active() {
            fixture()
                    .when(new CreateProduct(ID, "Green tea", money("3.50")))
                    .thenEvents(CREATED)
                    .thenState(new Product(ID, "Green tea", money("3.50"), "EUR", Product.Status.ACTIVE));
        }

        @Test
        void an_existing_id_is_rejected() {
            fixture()
                    .given(CREATED)
                    .when(new CreateProduct(ID, "Black tea", money("4.00")))
                    .thenRejected("already_exists")
                    .withMessageContaining(ID);
        }

        @Test
        void a_deleted_id_is_rejected_because_an_id_is_created_once() {
            fixture()
                    .given(CREATED, DELETED)
                    .when(new CreateProduct(ID, "Green tea", money("3.50")))
                    .thenRejected("already_exists")
                    .withMessageContaining("deleted");
        }
    }

    @Nested
    class Changing_the_price {

        @Test
        void a_positive_variation_raises_the_price() {
            fixture()
                    .given(CREATED)
                    .when(new UpdateProduct(ID, money("0.75")))
                    .thenEvents(new PriceChanged(ID, money("3.50"), money("4.25"), money("0.75"), "EUR"))
                    .thenState(p -> {
                        assertThat(p.price()).isEqualByComparingTo("4.25");
                        assertThat(p.active()).isTrue();
                    });
        }

        @Test
        void a_negative_variation_lowers_the_price() {
            fixture()
                    .given(CREATED)
                    .when(new UpdateProduct(ID, money("-3.49")))
                    .thenEvents(new PriceChanged(ID, money("3.50"), money("0.01"), money("-3.49"), "EUR"));
        }

        @Test
        void changes_accumulate_from_the_current_price() {
            fixture()
                    .given(
                            CREATED,
                            new PriceChanged(ID, money("3.50"), money("4.00"), money("0.50"), "EUR"),
                            new PriceChanged(ID, money("4.00"), money("2.10"), money("-1.90"), "EUR"))
                    .when(new UpdateProduct(ID, money("0.15")))
                    .thenEvents(new PriceChanged(ID, money("2.10"), money("2.25"), money("0.15"), "EUR"));
        }

        @Test
        void money_is_exact_where_a_double_would_drift() {
            // 0.1 + 0.2 is 0.30000000000000004 in double arithmetic.
            fixture()
                    .given(new ProductCreated(ID, "Green tea", money("0.1"), "EUR"))
                    .when(new UpdateProduct(ID, money("0.2")))
                    .thenEvents(new PriceChanged(ID, money("0.1"), money("0.3"), money("0.2"), "EUR"));
        }

        @Test
        void a_zero_variation_is_accepted_and_changes_nothing() {
            fixture()
                    .given(CREATED)
                    .when(new UpdateProduct(ID, money("0.00")))
                    .thenNothing()
                    .thenState(new Product(ID, "Green tea", money("3.50"), "EUR", Product.Status.ACTIVE));
        }

        @Test
        void a_variation_that_makes_the_price_zero_is_rejected() {
            fixture()
                    .given(CREATED)
                    .when(new UpdateProduct(ID, money("-3.50")))
                    .thenRejected("price_not_positive")
                    .withMessageContaining("current price 3.50")
                    .withMessageContaining("variation -3.50");
        }

        @Test
        void a_variation_that_makes_the_price_negative_is_rejected() {
            fixture()
                    .given(CREATED)
                    .when(new UpdateProduct(ID, money("-4")))
                    .thenRejected("price_not_positive")
                    .withMessageContaining("current price 3.50")
                    .withMessageContaining("variation -4");
        }

        @Test
        void a_product_that_was_never_created_is_not_found() {
            fixture()
                    .when(new UpdateProduct(ID, money("1.00")))
                    .thenRejected("not_found")
                    .withMessageContaining(ID);
        }

        @Test
        void a_deleted_product_is_rejected() {
            fixture()
                    .given(CREATED, DELETED)
                    .when(new UpdateProduct(ID, money("1.00")))
                    .thenRejected("deleted");
        }

        @Test
        void a_zero_variation_on_a_deleted_product_is_still_rejected() {
            fixture()
                    .given(CREATED, DELETED)
                    .when(new UpdateProduct(ID, BigDecimal.ZERO))
                    .thenRejected("deleted");
        }

        @Test
        void a_zero_variation_on_an_unknown_product_is_still_not_found() {
            fixture().when(new UpdateProduct(ID, BigDecimal.ZERO)).thenRejected("not_found");
        }
    }

    @Nested
    class Deleting_a_product {

        @Test
        void the_deletion_carries_the_name_it_frees() {
            fixture()
                    .given(new ProductCreated(ID, " Green Tea", money("3.50"), "EUR"))
                    .when(new DeleteProduct(ID))
                    .thenEvents(new ProductDeleted(ID, " Green Tea"));
        }

        @Test
        void an_active_product_is_deleted_and_keeps_its_last_name_and_price() {
            fixture()
                    .given(CREATED, new PriceChanged(ID, money("3.50"), money("5.00"), money("1.50"), "EUR"))
                    .when(new DeleteProduct(ID))
                    .thenEvents(DELETED)
                    .thenState(new Product(ID, "Green tea", money("5.00"), "EUR", Product.Status.DELETED));
        }

        @Test
        void a_product_that_was_never_created_is_not_found() {
            fixture().when(new DeleteProduct(ID)).thenRejected("not_found");
        }

        @Test
        void a_deleted_product_cannot_be_deleted_again() {
            fixture().given(CREATED, DELETED).when(new DeleteProduct(ID)).thenRejected("deleted");
        }
    }

    @Nested
    class Folding_the_history {

        private final ProductAggregate aggregate = new ProductAggregate();

        @Test
        void gives_the_state_after_each_event() {
            Product created = aggregate.evolve(Product.NONE, CREATED);
            Product changed = aggregate.evolve(
                    created, new PriceChanged(ID, money("3.50"), money("3.20"), money("-0.30"), "EUR"));
            Product deleted = aggregate.evolve(changed, DELETED);

            assertThat(created).isEqualTo(new Product(ID, "Green tea", money("3.50"), "EUR", Product.Status.ACTIVE));
            assertThat(changed.price()).isEqualByComparingTo("3.20");
            assertThat(changed.active()).isTrue();
            assertThat(deleted.status()).isEqualTo(Product.Status.DELETED);
            assertThat(deleted.exists()).isTrue();
            assertThat(deleted.active()).isFalse();
        }

        @Test
        void reads_a_deletion_stored_before_deletions_recorded_the_name() {
            Product deleted = aggregate.evolve(aggregate.evolve(Product.NONE, CREATED), new ProductDeleted(ID, null));

            assertThat(deleted).isEqualTo(new Product(ID, "Green tea", money("3.50"), "EUR", Product.Status.DELETED));
        }

        @Test
        void refuses_a_history_that_decide_could_not_have_written() {
            assertThatThrownBy(() -> aggregate.evolve(Product.NONE, DELETED))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("never created");
            assertThatThrownBy(() -> aggregate.evolve(aggregate.evolve(Product.NONE, CREATED), CREATED))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already created");
        }

        @Test
        void refuses_a_command_for_another_product_than_the_state() {
            Product other =
                    aggregate.evolve(Product.NONE, new ProductCreated("coffee-1", "Coffee", money("9.00"), "EUR"));

            assertThatThrownBy(() -> aggregate.decide(other, new DeleteProduct(ID)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("coffee-1");
        }
    }

    @Nested
    class Commands_check_their_fields {

        @ParameterizedTest
        @ValueSource(strings = {"42", "tea-42", "A.b_c-9", "x"})
        void a_product_id_of_letters_digits_dots_underscores_and_dashes_is_accepted(String id) {
            assertThat(new DeleteProduct(id).productId()).isEqualTo(id);
            assertThat(new DeleteProduct(id).aggregateId()).isEqualTo(id);
        }

        @Test
        void a_product_id_of_64_characters_is_accepted() {
            String id = "a".repeat(64);

            assertThat(new DeleteProduct(id).productId()).hasSize(64);
        }

        @ParameterizedTest
        @ValueSource(strings = {"", " ", "   "})
        void a_blank_product_id_is_rejected(String id) {
            assertThatThrownBy(() -> new CreateProduct(id, "Tea", money("1")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("productId")
                    .hasMessageContaining("blank");
        }

        @ParameterizedTest
        @ValueSource(strings = {"tea 42", " tea", "tea\t42", "-tea", ".tea", "tea/42", "thé"})
        void a_product_id_with_a_space_or_another_character_is_rejected(String id) {
            assertThatThrownBy(() -> new UpdateProduct(id, money("1")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("productId");
        }

        @Test
        void a_product_id_of_65_characters_is_rejected() {
            String id = "a".repeat(65);

            assertThatThrownBy(() -> new DeleteProduct(id))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("productId")
                    .hasMessageContaining("64");
        }

        @Test
        void a_null_field_is_rejected_by_name() {
            assertThatNullPointerException()
                    .isThrownBy(() -> new DeleteProduct(null))
                    .withMessage("productId");
            assertThatNullPointerException()
                    .isThrownBy(() -> new CreateProduct(ID, null, money("1")))
                    .withMessage("name");
            assertThatNullPointerException()
                    .isThrownBy(() -> new CreateProduct(ID, "Tea", null))
                    .withMessage("price");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", " ", "\t\n"})
        void a_blank_name_is_rejected(String name) {
            assertThatThrownBy(() -> new CreateProduct(ID, name, money("1")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("name");
        }

        @Test
        void a_name_of_200_characters_is_accepted_but_not_201() {
            assertThat(new CreateProduct(ID, "n".repeat(200), money("1")).name())
                    .hasSize(200);
            assertThatThrownBy(() -> new CreateProduct(ID, "n".repeat(201), money("1")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("name")
                    .hasMessageContaining("200");
        }

        @ParameterizedTest
        @ValueSource(strings = {"0", "0.00", "-0.01", "-5"})
        void a_zero_or_negative_price_is_rejected(String price) {
            assertThatThrownBy(() -> new CreateProduct(ID, "Tea", money(price)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("price")
                    .hasMessageContaining("positive");
        }

        @Test
        void a_null_variation_is_rejected() {
            assertThatNullPointerException()
                    .isThrownBy(() -> new UpdateProduct(ID, null))
                    .withMessage("variation");
        }

        @ParameterizedTest
        @ValueSource(strings = {"0", "-0.00", "12.5", "-3"})
        void any_variation_including_zero_is_a_valid_command(String variation) {
            assertThat(new UpdateProduct(ID, money(variation)).variation()).isEqualByComparingTo(variation);
        }
    }
}
