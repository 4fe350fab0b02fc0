package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line of a copy, run in this JVM with its output captured. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CopyStoreTest {

    @TempDir
    Path dir;

    String from;
    String to;
    EventData placed = EventData.of("Placed", "{\"sku\":\"tea\"}");
    EventData viewed = EventData.of("Viewed", "{}");
    EventData updated = EventData.of("PriceUpdated", "{\"price\":3}");
    EventData paid = EventData.of("Paid", "{}");

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void fillTheSource() {
        from = "jdbc:sqlite:" + dir.resolve("source.db");
        to = "jdbc:sqlite:" + dir.resolve("target.db");
        try (JdbcEventStore source = JdbcEventStore.open(from)) {
            source.append("order-1", ExpectedVersion.noStream(), List.of(placed, viewed));
            source.append("order-1", ExpectedVersion.exactly(2), List.of(updated, paid));
        }
    }

    int run(Map<String, String> env, String... args) {
        return CopyStore.run(
                List.of(args),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                env);
    }

    int run(String... args) {
        return run(Map.of(), args);
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    List<RecordedEvent> target() {
        try (JdbcEventStore target = JdbcEventStore.open(to)) {
            return target.readAll(0, 100);
        }
    }

    /** Turns every event into its upper-case type; for {@code --transform}. */
    public static final class UpperCaseTypes implements EventTransform {
        @Override
        public List<EventData> apply(RecordedEvent e) {
            return List.of(
                    new EventData(e.eventId(), e.type().toUpperCase(java.util.Locale.ROOT), e.json(), e.metadata()));
        }
    }

    /** Not an {@link EventTransform}. */
    public static final class NotATransform {}

    @Nested
    class A_copy {

        @Test
        void drops_and_renames_in_the_order_given_and_prints_a_summary() {
            int status = run(
                    "--from",
                    from,
                    "--to",
                    to,
                    "--drop-type",
                    "Viewed",
                    "--rename-type",
                    "PriceUpdated=PriceChanged",
                    "--transform",
                    UpperCaseTypes.class.getName());

            assertThat(status).as(err()).isZero();
            assertThat(target())
                    .extracting(RecordedEvent::eventId, RecordedEvent::version, RecordedEvent::type)
                    .containsExactly(
                            tuple(placed.eventId(), 1L, "PLACED"),
                            tuple(updated.eventId(), 2L, "PRICECHANGED"),
                            tuple(paid.eventId(), 3L, "PAID"));
            assertThat(out()).startsWith("copied 4 events: 3 written, 1 dropped, in ");
            assertThat(out().lines()).hasSize(1);
            assertThat(err()).startsWith("\rcopying [").contains("4/4 events").endsWith(System.lineSeparator());
        }

        @Test
        void without_transforms_is_the_same_log() {
            assertThat(run("--from", from, "--to", to)).as(err()).isZero();

            assertThat(target())
                    .extracting(RecordedEvent::eventId, RecordedEvent::type)
                    .containsExactly(
                            tuple(placed.eventId(), "Placed"),
                            tuple(viewed.eventId(), "Viewed"),
                            tuple(updated.eventId(), "PriceUpdated"),
                            tuple(paid.eventId(), "Paid"));
        }

        @Test
        void into_a_store_that_holds_events_fails_in_one_line_without_a_stack_trace() {
            try (JdbcEventStore target = JdbcEventStore.open(to)) {
                target.append("other", ExpectedVersion.noStream(), List.of(EventData.of("E", "{}")));
            }

            int status = run("--from", from, "--to", to);

            assertThat(status).isEqualTo(1);
            assertThat(err()).startsWith("error: ").contains("holds 1 events");
            assertThat(err().lines()).hasSize(1);
            assertThat(out()).isEmpty();
            assertThat(target()).hasSize(1);
        }

        @Test
        void that_fails_prints_its_stack_trace_when_the_environment_asks() {
            run(
                    Map.of(CopyStore.STACK_TRACE_ENV, "1"),
                    "--from",
                    from,
                    "--to",
                    from.replace("jdbc:sqlite:", "jdbc:sqlite:file:"));

            assertThat(err())
                    .startsWith("error: ")
                    .contains("the target is the source")
                    .contains("\tat ");
        }

        @Test
        void that_fails_prints_its_stack_trace_when_the_flag_asks() {
            run("--stack-trace", "--from", from, "--to", from.replace("jdbc:sqlite:", "jdbc:sqlite:file:"));

            assertThat(err()).contains("the target is the source").contains("\tat ");
        }

        @Test
        void from_a_missing_database_fails_and_creates_nothing() {
            Path missing = dir.resolve("missing.db");

            int status = run("--from", "jdbc:sqlite:" + missing, "--to", to);

            assertThat(status).isEqualTo(1);
            assertThat(err()).startsWith("error: ").contains("no SQLite database");
            assertThat(missing).doesNotExist();
        }
    }

    @Nested
    class Bad_arguments_exit_with_2_and_the_usage {

        void assertUsage(String problem, String... args) {
            int status = run(args);

            assertThat(status).isEqualTo(2);
            assertThat(err()).contains(problem).contains("usage: CopyStore --from JDBC_URL --to JDBC_URL");
            assertThat(out()).isEmpty();
            assertThat(Files.exists(dir.resolve("target.db"))).isFalse();
        }

        @Test
        void none() {
            assertUsage("name the source with --from");
        }

        @Test
        void no_target() {
            assertUsage("name the source with --from and the target with --to", "--from", from);
        }

        @Test
        void an_unknown_option() {
            assertUsage("unknown option '--fast'", "--from", from, "--to", to, "--fast");
        }

        @Test
        void an_option_without_its_value() {
            assertUsage("--drop-type needs a value", "--from", from, "--to", to, "--drop-type");
        }

        @Test
        void a_rename_without_its_new_name() {
            assertUsage("--rename-type takes OLD=NEW", "--from", from, "--to", to, "--rename-type", "Old=");
        }

        @Test
        void an_unsupported_database() {
            assertUsage("unsupported JDBC URL", "--from", from, "--to", "jdbc:mysql://localhost/db");
        }

        @Test
        void the_same_url_twice() {
            assertUsage("name the same database", "--from", from, "--to", from);
        }

        @Test
        void a_transform_class_that_does_not_exist() {
            assertUsage("no class com.example.Nope", "--from", from, "--to", to, "--transform", "com.example.Nope");
        }

        @Test
        void a_transform_class_that_is_no_transform() {
            assertUsage("does not implement", "--from", from, "--to", to, "--transform", NotATransform.class.getName());
        }
    }

    @Test
    void help_prints_the_usage_and_exits_with_0() {
        assertThat(run("--help")).isZero();
        assertThat(out()).contains("usage: CopyStore");
    }
}
