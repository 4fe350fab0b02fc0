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
        assertThat(JsonValidator.checkObject("{\"a\":[{\"b\":[]}]}", 3)).get().asString().contains("nested deeper than 3");
    }

    @Test
    void valid_documents_pass() {
        assertThat(JsonValidator.checkObject(" { \"a\" : [ 1 , -2.5e3 , true , false , null , \"x\\n\\u00e9\" ] , "
                + "\"b\" : { } , \"c\" : [ ] } ", 10)).isEmpty();
    }
}
