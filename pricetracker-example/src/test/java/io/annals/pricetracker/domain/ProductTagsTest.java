package io.annals.pricetracker.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import io.annals.eventstore.RecordedEvent;
import io.annals.pricetracker.PriceTracker;
import io.annals.pricetracker.domain.ProductEvent.PriceChanged;
import io.annals.pricetracker.domain.ProductEvent.ProductCreated;
import io.annals.pricetracker.domain.ProductEvent.ProductDeleted;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProductTagsTest {

    private static final BigDecimal PRICE = new BigDecimal("3.50");

    @Nested
    class Each_event {

        @Test
        void a_creation_is_about_its_product_and_its_name() {
            assertThat(ProductTags.of(new ProductCreated("tea", " Green Tea ", PRICE, "EUR")))
                    .containsExactlyInAnyOrder("product:tea", "name:green tea");
        }

        @Test
        void a_price_change_is_about_its_product() {
            assertThat(ProductTags.of(new PriceChanged("tea", PRICE, BigDecimal.TEN, new BigDecimal("6.50"), "EUR")))
                    .containsExactly("product:tea");
        }

        @Test
        void a_deletion_is_about_its_product_and_the_name_it_frees() {
            assertThat(ProductTags.of(new ProductDeleted("tea", "GREEN TEA")))
                    .containsExactlyInAnyOrder("product:tea", "name:green tea");
        }

        @Test
        void a_deletion_stored_without_the_name_is_about_its_product_only() {
            assertThat(ProductTags.of(new ProductDeleted("tea", null))).containsExactly("product:tea");
        }

        @Test
        void the_codec_stores_the_tags_with_each_event() {
            EventData data = PriceTracker.CODEC.encode(new ProductCreated("tea", "Green tea", PRICE, "EUR"));

            assertThat(data.tags()).containsExactlyInAnyOrder("product:tea", "name:green tea");
        }

        @Test
        void a_deletion_stored_before_it_recorded_the_name_still_reads() {
            RecordedEvent old = new RecordedEvent(
                    "product-kettle",
                    3,
                    40,
                    UUID.randomUUID(),
                    "ProductDeleted",
                    "{\"productId\":\"kettle\"}",
                    Map.of(),
                    Instant.EPOCH);

            assertThat(PriceTracker.CODEC.decode(old).event()).isEqualTo(new ProductDeleted("kettle", null));
        }
    }

    @Nested
    class Names {

        @ParameterizedTest
        @ValueSource(strings = {"Green tea", "green tea", "  GREEN TEA\t", "\u2003Green Tea\n"})
        void are_compared_after_trimming_in_lower_case(String name) {
            assertThat(ProductTags.normalise(name)).isEqualTo("green tea");
            assertThat(ProductTags.name(name)).isEqualTo("name:green tea");
        }

        @Test
        void keep_the_white_space_inside_them() {
            assertThat(ProductTags.name("green  tea")).isNotEqualTo(ProductTags.name("green tea"));
        }

        @Test
        void that_fit_a_tag_are_tagged_as_they_are_up_to_195_characters() {
            String longest = "n".repeat(ProductTags.MAX_TAG_LENGTH - "name:".length());

            assertThat(ProductTags.name(longest)).isEqualTo("name:" + longest);
            assertThat(ProductTags.name(longest + "n")).startsWith("name-sha256:");
        }

        @Test
        void that_cannot_be_tags_are_tagged_by_a_digest_one_per_name() {
            String longName = "n".repeat(200);
            String control = "tea\u0007";
            String loneSurrogate = "tea\ud800";

            assertThat(ProductTags.name(longName))
                    .isEqualTo(ProductTags.name(" " + longName.toUpperCase() + " "))
                    .matches("name-sha256:[0-9a-f]{64}");
            assertThat(ProductTags.name(control)).matches("name-sha256:[0-9a-f]{64}");
            assertThat(ProductTags.name(loneSurrogate))
                    .matches("name-sha256:[0-9a-f]{64}")
                    .isNotEqualTo(ProductTags.name("tea\ud801"));
            assertThat(ProductTags.name("tea \ud83c\udf75")).isEqualTo("name:tea \ud83c\udf75"); // a pair is fine
            // each is a valid tag
            EventData.of("T", "{}").withTags(ProductTags.name(longName), ProductTags.name(control));
        }
    }
}
