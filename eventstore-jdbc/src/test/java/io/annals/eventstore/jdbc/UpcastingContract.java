package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.Command;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.command.CommandResult;
import io.annals.eventstore.projection.KeyedProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.snapshot.InMemorySnapshotStore;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * Events stored by older code, read by today's: every store carries an event's schema version
 * with it, and every reader (the command loop with and without snapshots, projections and their
 * rebuilds, a plain {@code readStream} with the codec) sees the current shape of every old event,
 * while the stored bytes never change.
 *
 * <p>The history of the account events: version 1 stored {@code {"acct","amount"}} under the name
 * {@code MoneyDeposited}; version 2 renamed the field to {@code account} and the type to
 * {@code Deposited}; version 3 added a {@code currency}. {@code StatementPrinted} was retired.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class UpcastingContract extends ClosingTest {

    /** A fresh, empty store. */
    abstract EventStore newStore();

    /** A keyed projector on {@code store} with rows of {@code Balance}. */
    abstract KeyedProjector<String, Balance> keyed(EventStore store, Projection<Money, String, Balance> projection);

    sealed interface Money extends Event permits Deposited, Withdrawn {
        String account();

        BigDecimal amount();
    }

    /** At schema version 3. */
    record Deposited(String account, BigDecimal amount, String currency) implements Money {}

    /** At schema version 1: never changed. */
    record Withdrawn(String account, BigDecimal amount) implements Money {}

    record Balance(BigDecimal total, String currency, int events) {}

    static final List<String> UPCASTS = Collections.synchronizedList(new ArrayList<>());

    static final JacksonEventCodec<Money> CODEC = JacksonEventCodec.builder(Money.class)
            .register("Deposited", Deposited.class, 3)
            .register("Withdrawn", Withdrawn.class)
            .upcast("Deposited", 1, v1 -> {
                UPCASTS.add("1->2");
                v1.set("account", v1.remove("acct"));
                return v1;
            })
            .upcast("Deposited", 2, v2 -> {
                UPCASTS.add("2->3");
                return v2.put("currency", "EUR");
            })
            .alias("MoneyDeposited", "Deposited")
            .retire("StatementPrinted")
            .build();

    /** What version 1 wrote. */
    static EventData v1(String account, int amount) {
        return EventData.of("MoneyDeposited", "{\"acct\":\"" + account + "\",\"amount\":" + amount + "}");
    }

    /** What version 2 wrote. */
    static EventData v2(String account, int amount) {
        return new EventData(
                UUID.randomUUID(),
                "Deposited",
                "{\"account\":\"" + account + "\",\"amount\":" + amount + "}",
                Map.of(EventCodec.SCHEMA_VERSION_KEY, "2"));
    }

    static EventData withdrawal(String account, int amount) {
        return EventData.of("Withdrawn", "{\"account\":\"" + account + "\",\"amount\":" + amount + "}");
    }

    static EventData statement(String account) {
        return EventData.of("StatementPrinted", "{\"account\":\"" + account + "\",\"pages\":2}");
    }

    record Deposit(String aggregateId, BigDecimal amount, String currency) implements Command {}

    /** The state is the balance; a deposit in another currency than the last one is refused. */
    static final class Account implements Aggregate<Balance, Deposit, Money> {
        @Override
        public String category() {
            return "account";
        }

        @Override
        public Balance initialState() {
            return new Balance(BigDecimal.ZERO, "none", 0);
        }

        @Override
        public List<Money> decide(Balance state, Deposit command) {
            return List.of(new Deposited(command.aggregateId(), command.amount(), command.currency()));
        }

        @Override
        public Balance evolve(Balance state, Money event) {
            if (event instanceof Deposited d) {
                return new Balance(state.total().add(d.amount()), d.currency(), state.events() + 1);
            }
            return new Balance(state.total().subtract(event.amount()), state.currency(), state.events() + 1);
        }
    }

    static final class Balances implements Projection<Money, String, Balance> {
        @Override
        public String name() {
            return "balances";
        }

        @Override
        public String key(Envelope<Money> e) {
            return e.event().account();
        }

        @Override
        public Balance apply(Balance current, Envelope<Money> e) {
            return new Account().evolve(current == null ? new Account().initialState() : current, e.event());
        }
    }

    /** An account whose history holds every version and name, a retired event among them. */
    private EventStore storeWithHistory() {
        EventStore store = closeLater(newStore());
        store.append("account-a", ExpectedVersion.noStream(), List.of(v1("a", 10), statement("a"), v2("a", 5)));
        store.append("account-a", ExpectedVersion.exactly(3), List.of(withdrawal("a", 3)));
        store.append("account-b", ExpectedVersion.noStream(), List.of(v2("b", 7)));
        return store;
    }

    private static List<RecordedEvent> readAll(EventStore store) {
        return store.readAll(0, 10_000);
    }

    @Test
    void an_aggregate_folds_events_of_every_stored_version_and_name_and_skips_retired_ones() {
        EventStore store = storeWithHistory();
        CommandHandler<Balance, Deposit, Money> accounts =
                CommandHandler.builder(new Account(), store, CODEC).build();

        assertThat(accounts.load("a").state()).isEqualTo(new Balance(new BigDecimal("12"), "EUR", 3));
        assertThat(accounts.load("a").version()).isEqualTo(4);
    }

    @Test
    void a_new_event_is_written_at_its_class_s_version_and_an_old_one_is_never_rewritten() {
        EventStore store = storeWithHistory();
        List<String> before = readAll(store).stream().map(RecordedEvent::json).toList();
        CommandHandler<Balance, Deposit, Money> accounts =
                CommandHandler.builder(new Account(), store, CODEC).build();

        CommandResult<Balance, Money> result =
                accounts.handle(new Deposit("a", new BigDecimal("1.50"), "USD"), Map.of("user", "ann"));

        assertThat(result.state()).isEqualTo(new Balance(new BigDecimal("13.50"), "USD", 4));
        RecordedEvent written = store.readStream("account-a", 5, 10).get(0);
        assertThat(written.type()).isEqualTo("Deposited");
        assertThat(written.metadata())
                .containsEntry(EventCodec.SCHEMA_VERSION_KEY, "3")
                .containsEntry("user", "ann");
        assertThat(written.json()).isEqualTo("{\"account\":\"a\",\"amount\":1.50,\"currency\":\"USD\"}");
        assertThat(readAll(store).stream().limit(before.size()).map(RecordedEvent::json))
                .containsExactlyElementsOf(before);
    }

    @Test
    void an_event_at_the_current_version_is_read_without_upcasting() {
        EventStore store = closeLater(newStore());
        CommandHandler<Balance, Deposit, Money> accounts =
                CommandHandler.builder(new Account(), store, CODEC).build();
        accounts.handle(new Deposit("c", BigDecimal.ONE, "EUR"));
        UPCASTS.clear();

        accounts.load("c");

        assertThat(UPCASTS).isEmpty();
    }

    @Test
    void an_upcast_amount_keeps_its_scale() {
        EventStore store = closeLater(newStore());
        store.append(
                "account-z",
                ExpectedVersion.noStream(),
                List.of(EventData.of("MoneyDeposited", "{\"acct\":\"z\",\"amount\":10.50}")));

        Deposited read = (Deposited)
                CODEC.decode(store.readStream("account-z", 1, 1).get(0)).event();

        assertThat(read.amount()).isEqualTo(new BigDecimal("10.50")); // equals compares the scale too
    }

    @Test
    void upcasters_run_in_order_from_the_stored_version() {
        EventStore store = storeWithHistory();
        UPCASTS.clear();

        List<Envelope<Money>> decoded = store.readStream("account-a", 1, 10).stream()
                .filter(r -> !CODEC.isRetired(r.type()))
                .map(CODEC::decode)
                .toList();

        assertThat(UPCASTS).containsExactly("1->2", "2->3", "2->3");
        assertThat(decoded.stream().map(Envelope::event))
                .containsExactly(
                        new Deposited("a", new BigDecimal("10"), "EUR"),
                        new Deposited("a", new BigDecimal("5"), "EUR"),
                        new Withdrawn("a", new BigDecimal("3")));
    }

    @Test
    void a_snapshot_taken_after_old_events_stays_valid_and_the_events_after_it_are_upcast() {
        EventStore store = storeWithHistory();
        InMemorySnapshotStore snapshots = new InMemorySnapshotStore();
        CommandHandler<Balance, Deposit, Money> accounts = CommandHandler.builder(new Account(), store, CODEC)
                .snapshots(new SnapshotSettings<>(
                        snapshots, JacksonStateCodec.of(Balance.class), 1, SnapshotPolicy.everyEvents(1)))
                .build();
        accounts.handle(new Deposit("a", BigDecimal.ONE, "EUR"));
        store.append("account-a", ExpectedVersion.exactly(5), List.of(v1("a", 100)));

        assertThat(snapshots.load("account-a"))
                .hasValueSatisfying(s -> assertThat(s.version()).isEqualTo(5));
        assertThat(accounts.load("a").state()).isEqualTo(new Balance(new BigDecimal("113"), "EUR", 5));
    }

    @Test
    void a_projection_and_its_rebuild_see_the_current_shape_of_every_old_event() {
        EventStore store = storeWithHistory();
        KeyedProjector<String, Balance> balances = keyed(store, new Balances());
        try (ProjectionRunner runner =
                ProjectionRunner.builder(store).add(balances).build()) {
            assertThat(runner.catchUp().get(0).lastError()).isEmpty();
            assertThat(balances.get("a")).contains(new Balance(new BigDecimal("12"), "EUR", 3));
            assertThat(balances.get("b")).contains(new Balance(new BigDecimal("7"), "EUR", 1));

            runner.rebuild("balances", p -> {});

            assertThat(balances.get("a")).contains(new Balance(new BigDecimal("12"), "EUR", 3));
            assertThat(runner.status("balances").checkpoint())
                    .isEqualTo(readAll(store).get(readAll(store).size() - 1).position());
        }
    }

    @Test
    void retired_events_stay_in_the_log() {
        EventStore store = storeWithHistory();

        assertThat(readAll(store).stream().map(RecordedEvent::type)).contains("StatementPrinted");
        assertThatThrownBy(
                        () -> CODEC.decode(store.readStream("account-a", 2, 1).get(0)))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("retired");
    }

    @Test
    void an_unknown_type_fails_an_aggregate_s_load_naming_the_event() {
        EventStore store = closeLater(newStore());
        store.append("account-x", ExpectedVersion.noStream(), List.of(v2("x", 1), EventData.of("Frozen", "{}")));
        long position = store.readStream("account-x", 2, 1).get(0).position();
        CommandHandler<Balance, Deposit, Money> accounts =
                CommandHandler.builder(new Account(), store, CODEC).build();

        assertThatThrownBy(() -> accounts.load("x"))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("unknown event type 'Frozen'")
                .hasMessageContaining("in stream account-x at version 2 (position " + position + ")");
    }

    @Test
    void an_event_written_by_newer_code_fails_naming_its_version() {
        EventStore store = closeLater(newStore());
        store.append(
                "account-n",
                ExpectedVersion.noStream(),
                List.of(new EventData(
                        UUID.randomUUID(),
                        "Deposited",
                        "{\"account\":\"n\",\"amount\":1,\"currency\":\"EUR\",\"fee\":0}",
                        Map.of(EventCodec.SCHEMA_VERSION_KEY, "4"))));
        CommandHandler<Balance, Deposit, Money> accounts =
                CommandHandler.builder(new Account(), store, CODEC).build();

        assertThatThrownBy(() -> accounts.load("n"))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("schema version 4, newer than version 3")
                .hasMessageContaining("account-n at version 1");
    }

    @Test
    void a_schema_version_that_is_not_a_positive_number_fails_naming_it() {
        EventStore store = closeLater(newStore());
        store.append(
                "account-m",
                ExpectedVersion.noStream(),
                List.of(new EventData(
                        UUID.randomUUID(), "Deposited", "{}", Map.of(EventCodec.SCHEMA_VERSION_KEY, "two"))));

        assertThatThrownBy(
                        () -> CODEC.decode(store.readStream("account-m", 1, 1).get(0)))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("$schemaVersion must be a positive whole number in plain digits, was 'two'");
    }

    @Test
    void a_failing_upcaster_fails_the_read_naming_the_step_and_the_event() {
        JacksonEventCodec<Money> strict = JacksonEventCodec.builder(Money.class)
                .register("Deposited", Deposited.class, 2)
                .register("Withdrawn", Withdrawn.class)
                .upcast("Deposited", 1, v1 -> {
                    throw new IllegalStateException("no acct in " + v1);
                })
                .build();
        EventStore store = closeLater(newStore());
        store.append("account-f", ExpectedVersion.noStream(), List.of(EventData.of("Deposited", "{\"x\":1}")));

        assertThatThrownBy(
                        () -> strict.decode(store.readStream("account-f", 1, 1).get(0)))
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("account-f at version 1")
                .hasMessageContaining("the upcaster of Deposited from version 1 failed")
                .hasMessageContaining("no acct in {\"x\":1}");
    }
}
