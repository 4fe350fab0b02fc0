package io.annals.pricetracker.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local-invoke recipe of docs/lambda.md: the handlers on the sample events of the jar. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class LocalInvokeTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return LocalInvoke.run(
                List.of(args),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private List<JsonNode> answers() throws IOException {
        List<JsonNode> answers = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            answers.add(LambdaEvents.JSON.readTree(line));
        }
        return answers;
    }

    @Test
    void the_sample_events_create_change_and_read_your_write_without_a_projector_pass() throws IOException {
        String db = "jdbc:sqlite:" + dir.resolve("local.db");

        int status = run(
                "--db",
                db,
                "api",
                "events/create-product.json",
                "events/change-price.json",
                "events/get-product-at-least.json");

        assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
        List<JsonNode> answers = answers();
        assertThat(answers).extracting(a -> a.get("statusCode").intValue()).containsExactly(201, 200, 200);
        assertThat(answers.get(2).get("body").textValue())
                .isEqualTo("{\"productId\":\"green-tea\",\"name\":\"Green tea\",\"price\":3.75,\"version\":2}");

        out.reset();
        assertThat(run("--db", db, "projector", "scheduled")).isZero();
        assertThat(answers().get(0).get("projections"))
                .extracting(p -> p.get("checkpoint").longValue())
                .containsOnly(2L);
    }

    @Test
    void an_event_may_be_a_file() throws IOException {
        Path event = dir.resolve("event.json");
        Files.writeString(
                event,
                "{\"version\":\"2.0\",\"rawPath\":\"/products/nothing-here\","
                        + "\"requestContext\":{\"http\":{\"method\":\"GET\"}}}");

        assertThat(run("--db", "jdbc:sqlite:" + dir.resolve("local.db"), "api", event.toString()))
                .isZero();

        assertThat(answers().get(0).get("statusCode").intValue()).isEqualTo(404);
    }

    @Test
    void a_usage_error_or_a_missing_event_exits_with_2_and_writes_nothing() {
        assertThat(run("api")).isEqualTo(2);
        assertThat(run("lambda", "events/create-product.json")).isEqualTo(2);
        assertThat(run("--db", "jdbc:sqlite:" + dir.resolve("local.db"), "api", "events/no-such.json"))
                .isEqualTo(2);

        assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: LocalInvoke", "events/no-such.json");
        assertThat(out.size()).isZero();
        assertThat(dir.resolve("local.db")).doesNotExist();
    }
}
