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
    void a_negative_zero_is_refused_in_every_spelling() {
        for (String zero : new String[] {"-0", "-0.0", "-0e5", "-0.000E-3", "-0E+0"}) {
            assertThat(JsonValidator.checkObject("{\"a\":" + zero + "}", 10))
                    .as(zero)
                    .get()
                    .asString()
                    .contains("negative zero");
        }
        for (String fine : new String[] {"0", "0.0", "-0.1", "-1e-5", "0e7"}) {
            assertThat(JsonValidator.checkObject("{\"a\":" + fine + "}", 10))
                    .as(fine)
                    .isEmpty();
        }
    }

    @Test
    void numbers_are_measured_as_they_are_printed_without_an_exponent() {
        assertThat(JsonValidator.checkObject("{\"a\":1e999}", 10, 1 << 20)).isEmpty();
        assertThat(JsonValidator.checkObject("{\"a\":1.5e999}", 10, 1 << 20))
                .as("1,000 digits")
                .isEmpty();
        assertThat(JsonValidator.checkObject("{\"a\":1.5e1000}", 10, 1 << 20))
                .as("1,001 digits")
                .get()
                .asString()
                .contains("once written without an exponent");
        assertThat(JsonValidator.checkObject("{\"a\":-1.5e999}", 10, 1 << 20))
                .as("and a sign")
                .get()
                .asString()
                .contains("once written without an exponent");
        assertThat(JsonValidator.checkObject("{\"a\":1e-998}", 10, 1 << 20))
                .as("0. and 998 digits")
                .isEmpty();
        assertThat(JsonValidator.checkObject("{\"a\":1e-999}", 10, 1 << 20))
                .as("0. and 999 digits")
                .get()
                .asString()
                .contains("once written without an exponent");
        assertThat(JsonValidator.checkObject("{\"a\":123.456e1}", 10, 1 << 20)).isEmpty();
    }

    @Test
    void a_payload_whose_numbers_would_print_over_the_limit_is_refused() {
        StringBuilder many = new StringBuilder("{\"a\":[1e999");
        for (int i = 1; i < 1_100; i++) {
            many.append(",1e999");
        }
        String payload = many.append("]}").toString(); // 6.6 KB in, 1.1 MB out

        assertThat(JsonValidator.checkObject(payload, 10, 1 << 20))
                .get()
                .asString()
                .contains("without exponents")
                .contains("over the limit of 1048576");
        assertThat(JsonValidator.checkObject(payload, 10, 2 << 20)).isEmpty();
    }
}
