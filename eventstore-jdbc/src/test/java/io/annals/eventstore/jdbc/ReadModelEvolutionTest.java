package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rows of a keyed read model outlive the record that wrote them: a component added with a
 * default reads the old rows as they are; a component removed or changed asks for a rebuild.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ReadModelEvolutionTest {

    @TempDir
    Path dir;

    /** The row as first written. */
    record Sum(long sum) {}

    /** A component added since. */
    record SumInCurrency(long sum, String currency) {}

    /** A component removed since. */
    record Nothing() {}

    /** A component changed since: another type. */
    record SumAsText(List<String> sum) {}

    /** One projection name, whatever the row's record, summing the deposits of each account. */
    static <V> Projection<Deposited, String, V> sums(BiFunction<V, Long, V> add) {
        return new Projection<>() {
            @Override
            public String name() {
                return "sums";
            }

            @Override
            public String key(Envelope<Deposited> e) {
                return e.recorded().streamId();
            }

            @Override
            public V apply(V current, Envelope<Deposited> e) {
                return add.apply(current, e.event().amount());
            }
        };
    }

    private static SumInCurrency add(SumInCurrency s, long n) {
        return s == null ? new SumInCurrency(n, "EUR") : new SumInCurrency(s.sum() + n, s.currency());
    }

    private JdbcEventStore storeWithOldRows() {
        JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:" + dir.resolve("rows.db"));
        store.append("acct-1", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(5))));
        KeyedProjector<String, Sum> old = store.projectors()
                .keyed(
                        sums((Sum s, Long n) -> new Sum((s == null ? 0 : s.sum()) + n)),
                        CODEC,
                        JacksonStateCodec.of(Sum.class));
        try (ProjectionRunner runner = ProjectionRunner.builder(store).add(old).build()) {
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
        }
        store.append("acct-1", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(2))));
        return store;
    }

    @Test
    void an_added_component_with_a_default_reads_old_rows_without_a_rebuild() {
        try (JdbcEventStore store = storeWithOldRows()) {
            KeyedProjector<String, SumInCurrency> now = store.projectors()
                    .keyed(
                            sums(ReadModelEvolutionTest::add),
                            CODEC,
                            JacksonStateCodec.of(SumInCurrency.class).withDefault("currency", "EUR"));

            assertThat(now.get("acct-1")).contains(new SumInCurrency(5, "EUR"));
            try (ProjectionRunner runner =
                    ProjectionRunner.builder(store).add(now).build()) {
                assertThat(runner.catchUp().get(0).lastError()).isEmpty();
            }
            assertThat(now.get("acct-1")).contains(new SumInCurrency(7, "EUR"));
        }
    }

    @Test
    void an_added_component_without_a_default_asks_for_a_rebuild() {
        try (JdbcEventStore store = storeWithOldRows()) {
            KeyedProjector<String, SumInCurrency> now = store.projectors()
                    .keyed(sums(ReadModelEvolutionTest::add), CODEC, JacksonStateCodec.of(SumInCurrency.class));

            try (ProjectionRunner runner =
                    ProjectionRunner.builder(store).add(now).build()) {
                ProjectionStatus status = runner.catchUp().get(0);
                assertThat(status.lastError())
                        .hasValueSatisfying(
                                m -> assertThat(m).contains("currency").contains("needs a rebuild"));
                runner.rebuild("sums", p -> {});
            }
            assertThat(now.get("acct-1"))
                    .hasValueSatisfying(s -> assertThat(s.sum()).isEqualTo(7));
        }
    }

    @Test
    void a_removed_component_asks_for_a_rebuild() {
        try (JdbcEventStore store = storeWithOldRows()) {
            KeyedProjector<String, Nothing> now = store.projectors()
                    .keyed(sums((Nothing s, Long n) -> new Nothing()), CODEC, JacksonStateCodec.of(Nothing.class));

            assertThatThrownBy(() -> now.get("acct-1"))
                    .hasMessageContaining("cannot read row 'acct-1' of read model sums")
                    .hasMessageContaining("it holds 'sum', which Nothing no longer has")
                    .hasMessageContaining("needs a rebuild")
                    .hasMessageContaining("runner.rebuild(\"sums\", listener)");
        }
    }

    @Test
    void a_changed_component_asks_for_a_rebuild_even_with_a_default() {
        try (JdbcEventStore store = storeWithOldRows()) {
            KeyedProjector<String, SumAsText> now = store.projectors()
                    .keyed(
                            sums((SumAsText s, Long n) -> s),
                            CODEC,
                            JacksonStateCodec.of(SumAsText.class).withDefault("sum", List.of()));

            assertThatThrownBy(() -> now.get("acct-1")).hasMessageContaining("needs a rebuild");
        }
    }

    @Test
    void a_default_must_name_a_component_and_fit_its_type() {
        assertThatThrownBy(() -> JacksonStateCodec.of(SumInCurrency.class).withDefault("curency", "EUR"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SumInCurrency has no component 'curency' (it has [sum, currency])");
        assertThatThrownBy(() -> JacksonStateCodec.of(SumInCurrency.class).withDefault("sum", "many"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a long");
        assertThatThrownBy(() -> JacksonStateCodec.of(SumInCurrency.class).withDefault("currency", 42))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the default 42 of 'currency' is not a java.lang.String");
        assertThat(JacksonStateCodec.of(SumInCurrency.class)
                        .withDefault("sum", 0)
                        .deserialize("{\"currency\":\"EUR\"}"))
                .as("an int default for a long component")
                .isEqualTo(new SumInCurrency(0, "EUR"));
        assertThatThrownBy(() -> JacksonStateCodec.of(BigDecimal.class).withDefault("scale", 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not one");
    }

    @Test
    void a_truncated_state_is_still_refused_where_no_default_applies() {
        JacksonStateCodec<SumInCurrency> codec =
                JacksonStateCodec.of(SumInCurrency.class).withDefault("currency", "EUR");

        assertThat(codec.deserialize("{\"sum\":3}")).isEqualTo(new SumInCurrency(3, "EUR"));
        assertThatThrownBy(() -> codec.deserialize("{\"currency\":\"USD\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sum");
        assertThat(codec.serialize(new SumInCurrency(3, "USD"))).isEqualTo("{\"sum\":3,\"currency\":\"USD\"}");
    }
}
