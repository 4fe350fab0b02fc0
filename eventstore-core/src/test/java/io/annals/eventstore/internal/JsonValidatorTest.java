package io.annals.eventstore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class JsonValidatorTest {

    @Test
    void nesting_is_read_without_recursion_so_no_depth_overflows_the_stack() {
        String deep = "{\"a\":" + "[".repeat(500_000) + "]".repeat(500_000) + "}";

        assertThat(JsonValidator.checkObject(deep, 1_000_000)).isEmpty();
        assertThat(JsonValidator.checkObject(deep, 1_000)).get().asString().contains("nested deeper than 1000 levels");
    }

    @Test
    void depth_counts_objects_and_arrays_alike() {
        assertThat(JsonValidator.checkObject("{\"a\":[{\"b\":[]}]}", 4)).isEmpty();
        assertThat(JsonValidator.checkObject("{\"a\":[{\"b\":[]}]}", 3))
                .get()
                .asString()
                .contains("nested deeper than 3");
    }

    @Test
    void valid_documents_pass() {
        assertThat(JsonValidator.checkObject(
                        " { \"a\" : [ 1 , -2.5e3 , true , false , null , \"x\\n\\u00e9\" ] , "
                                + "\"b\" : { } , \"c\" : [ ] } ",
                        10))
                .isEmpty();
    }

    @Test
    void a_key_written_twice_is_refused_however_it_is_escaped() {
        assertThat(JsonValidator.checkObject("{\"a\":1,\"\\u0061\":2}", 10))
                .get()
                .asString()
                .contains("appears twice")
                .contains("after unescaping");
        assertThat(JsonValidator.checkObject("{\"\\/\":1,\"/\":2}", 10))
                .get()
                .asString()
                .contains("appears twice");
        assertThat(JsonValidator.checkObject("{\"\\n\":1,\"\\u000a\":2}", 10)).isPresent();
        assertThat(JsonValidator.checkObject("{\"a\":{\"a\":1},\"b\":{\"a\":2}}", 10))
                .as("the same key in two objects")
                .isEmpty();
        assertThat(JsonValidator.checkObject("{\"\\u00e9\":1,\"e\\u0301\":2}", 10))
                .as("keys are compared as written, not normalised")
                .isEmpty();
    }

    @Test
    void a_negative_zero_and_exponents_within_the_bound_are_plain_numbers() {
        for (String fine : new String[] {"-0", "-0.0", "1e999", "-1.5E-1000", "1.5E+2"}) {
            assertThat(JsonValidator.checkObject("{\"a\":" + fine + "}", 10))
                    .as(fine)
                    .isEmpty();
        }
        assertThat(JsonValidator.checkObject("{\"a\":1e1001}", 10))
                .get()
                .asString()
                .contains("exponent 1001");
    }
}
