package io.annals.eventstore.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.Command;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.jdbc.JacksonEventCodec;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.projection.InMemoryProjector;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.ProjectionStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class MicrometerInstrumentationTest {

    // ---- a tiny domain: deposits into accounts, none over 100 ----

    record Deposit(String accountId, long amount) implements Command {
        @Override
        public String aggregateId() {
            return accountId;
        }
    }

    sealed interface AccountEvent extends Event permits Deposited {}

    record Deposited(long amount) implements AccountEvent {}

    static class Accounts implements Aggregate<Long, Deposit, AccountEvent> {
        @Override
        public String category() {
            return "account";
        }

        @Override
        public Long initialState() {
            return 0L;
        }

        @Override
        public List<AccountEvent> decide(Long balance, Deposit command) {
            if (command.amount() > 100) {
                throw new CommandRejectedException("too_much", "at most 100 at a time");
            }
            return List.of(new Deposited(command.amount()));
        }

        @Override
        public Long evolve(Long balance, AccountEvent event) {
            return balance + ((Deposited) event).amount();
        }
    }

    /** The balance of each account; fails on a deposit of 66. */
    static final class Balances implements Projection<AccountEvent, String, Long> {
        @Override
        public String name() {
            return "balances";
        }

        @Override
        public String key(Envelope<AccountEvent> e) {
            return e.recorded().streamId();
        }

        @Override
        public Long apply(@Nullable Long current, Envelope<AccountEvent> e) {
            long amount = ((Deposited) e.event()).amount();
            if (amount == 66) {
                throw new IllegalStateException("66 is not a deposit");
            }
            return (current == null ? 0 : current) + amount;
        }
    }

    private static final JacksonEventCodec<AccountEvent> CODEC = JacksonEventCodec.builder(AccountEvent.class)
            .register("Deposited", Deposited.class)
            .build();
    private static final Instant T0 = Instant.parse("2026-03-04T05:06:07Z");

    @TempDir
    Path dir;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final TestObservationRegistry observations = TestObservationRegistry.create();
    private @Nullable EventStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private EventStore sqlite(MicrometerInstrumentation instrumentation) {
        store = JdbcEventStore.builder("jdbc:sqlite:" + dir.resolve("events.db"))
                .clock(Clock.fixed(T0, ZoneOffset.UTC))
                .instrumentation(instrumentation)
                .open();
        return store;
    }

    private double count(String name, String... tags) {
        return meters.get(name).tags(tags).timer().count();
    }

    @Test
    void appends_and_commands_on_sqlite_are_counted_by_outcome() {
        EventStore sqlite = sqlite(MicrometerInstrumentation.of(meters));
        CommandHandler<Long, Deposit, AccountEvent> accounts =
                CommandHandler.builder(new Accounts(), sqlite, CODEC).build();

        accounts.handle(new Deposit("a1", 10));
        accounts.handle(new Deposit("a1", 20));
        assertThatThrownBy(() -> accounts.handle(new Deposit("a1", 500))).isInstanceOf(CommandRejectedException.class);
        assertThatThrownBy(() -> sqlite.append(
                "account-a1", ExpectedVersion.noStream(), List.of(EventData.of("Deposited", "{\"amount\":1}"))));
        sqlite.deleteStream("account-a9", ExpectedVersion.any());
        assertThatThrownBy(() -> sqlite.append(
                "account-a9", ExpectedVersion.any(), List.of(EventData.of("Deposited", "{\"amount\":1}"))));

        assertThat(count("annals.append", "store", "sqlite", "outcome", "ok")).isEqualTo(3);
        assertThat(count("annals.append", "store", "sqlite", "outcome", "wrong_expected_version"))
                .isEqualTo(1);
        assertThat(count("annals.append", "store", "sqlite", "outcome", "deleted_stream"))
                .isEqualTo(1);
        assertThat(meters.get("annals.append.events")
                        .tag("store", "sqlite")
                        .counter()
                        .count())
                .isEqualTo(2);
        assertThat(count("annals.command", "kind", "aggregate", "handler", "account", "outcome", "ok"))
                .isEqualTo(2);
        assertThat(count("annals.command", "kind", "aggregate", "handler", "account", "outcome", "rejected"))
                .isEqualTo(1);
        assertThat(meters.get("annals.append").timer().totalTime(TimeUnit.NANOSECONDS))
                .isPositive();
    }

    @Test
    void conflicts_and_retries_of_commands_are_counted() {
        InMemoryEventStore memory = new InMemoryEventStore(
                Clock.systemUTC(), AppendLimits.defaults(), MicrometerInstrumentation.of(meters));
        store = memory;
        // an aggregate whose first decision loses a race to another writer
        Accounts racing = new Accounts() {
            boolean raced;

            @Override
            public List<AccountEvent> decide(Long balance, Deposit command) {
                if (!raced) {
                    raced = true;
                    memory.append("account-a1", ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(1))));
                }
                return super.decide(balance, command);
            }
        };
        CommandHandler<Long, Deposit, AccountEvent> accounts =
                CommandHandler.builder(racing, memory, CODEC).build();

        assertThat(accounts.handle(new Deposit("a1", 5)).attempts()).isEqualTo(2);

        assertThat(meters.get("annals.command.conflicts")
                        .tags("kind", "aggregate", "handler", "account")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("annals.command.retries").counter().count()).isEqualTo(1);
        assertThat(count("annals.append", "store", "memory", "outcome", "wrong_expected_version"))
                .isEqualTo(1);
        assertThat(count("annals.append", "store", "memory", "outcome", "ok")).isEqualTo(2);
        assertThat(count("annals.command", "kind", "aggregate", "handler", "account", "outcome", "ok"))
                .isEqualTo(1);
    }

    @Test
    void projection_batches_and_lag_are_measured_on_sqlite() {
        EventStore sqlite = sqlite(MicrometerInstrumentation.of(meters));
        CommandHandler<Long, Deposit, AccountEvent> accounts =
                CommandHandler.builder(new Accounts(), sqlite, CODEC).build();
        accounts.handle(new Deposit("a1", 10));
        accounts.handle(new Deposit("a2", 20));
        accounts.handle(new Deposit("a3", 66)); // the projection stops here
        accounts.handle(new Deposit("a4", 40));

        List<ProjectionStatus> statuses;
        try (ProjectionRunner runner = ProjectionRunner.builder(sqlite)
                .add(new InMemoryProjector<>(new Balances(), CODEC))
                .batchSize(2)
                .clock(Clock.fixed(T0.plusSeconds(30), ZoneOffset.UTC))
                .build()) {
            statuses = runner.catchUp();
        }

        assertThat(statuses.get(0).checkpoint()).isEqualTo(2);
        assertThat(count("annals.projection.batch", "projection", "balances", "outcome", "ok"))
                .isEqualTo(1);
        assertThat(count("annals.projection.batch", "projection", "balances", "outcome", "error"))
                .isEqualTo(1);
        assertThat(meters.get("annals.projection.events").counter().count()).isEqualTo(2);
        assertThat(meters.get("annals.projection.lag.positions")
                        .tag("projection", "balances")
                        .gauge()
                        .value())
                .isEqualTo(2); // positions 3 and 4 wait
        assertThat(meters.get("annals.projection.lag").timeGauge().value(TimeUnit.SECONDS))
                .isEqualTo(30);
    }

    @Test
    void a_projection_that_caught_up_has_no_lag() {
        InMemoryEventStore memory = new InMemoryEventStore(
                Clock.systemUTC(), AppendLimits.defaults(), MicrometerInstrumentation.of(meters));
        store = memory;
        CommandHandler<Long, Deposit, AccountEvent> accounts =
                CommandHandler.builder(new Accounts(), memory, CODEC).build();
        accounts.handle(new Deposit("a1", 10));
        accounts.handle(new Deposit("a2", 20));
        accounts.handle(new Deposit("a3", 30));

        try (ProjectionRunner runner = ProjectionRunner.builder(memory)
                .add(new InMemoryProjector<>(new Balances(), CODEC))
                .batchSize(2)
                .build()) {
            runner.catchUp();
        }

        assertThat(count("annals.projection.batch", "projection", "balances", "outcome", "ok"))
                .isEqualTo(2);
        assertThat(meters.get("annals.projection.lag.positions").gauge().value())
                .isZero();
        assertThat(meters.get("annals.projection.lag").timeGauge().value(TimeUnit.SECONDS))
                .isZero();
    }

    @Test
    void observations_turned_into_timers_never_count_a_command_twice() {
        ObservationRegistry timed = ObservationRegistry.create();
        timed.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
        EventStore sqlite = sqlite(MicrometerInstrumentation.of(meters, timed));
        CommandHandler<Long, Deposit, AccountEvent> accounts =
                CommandHandler.builder(new Accounts(), sqlite, CODEC).build();

        accounts.handle(new Deposit("a1", 10));
        accounts.handle(new Deposit("a1", 5));
        try (ProjectionRunner runner = ProjectionRunner.builder(sqlite)
                .add(new InMemoryProjector<>(new Balances(), CODEC))
                .build()) {
            runner.catchUp();
        }

        assertThat(meters.find("annals.command").timers())
                .as("Annals' own timer, and no other of that name")
                .hasSize(1);
        assertThat(count("annals.command", "kind", "aggregate", "handler", "account", "outcome", "ok"))
                .isEqualTo(2);
        assertThat(meters.find("annals.projection.batch").timers()).hasSize(1);
        assertThat(meters.find("annals.handle").timers())
                .as("the observation's own timer")
                .isNotEmpty();
    }

    @Test
    void no_tag_holds_a_stream_id() {
        EventStore sqlite = sqlite(MicrometerInstrumentation.of(meters));
        CommandHandler.builder(new Accounts(), sqlite, CODEC).build().handle(new Deposit("secret-42", 1));

        assertThat(meters.getMeters())
                .allSatisfy(m -> assertThat(m.getId().getTags())
                        .noneMatch(t -> t.getValue().contains("secret-42")));
    }

    @Test
    void commands_appends_and_batches_are_observed_and_nested() {
        EventStore sqlite = sqlite(MicrometerInstrumentation.of(meters, observations));
        CommandHandler<Long, Deposit, AccountEvent> accounts =
                CommandHandler.builder(new Accounts(), sqlite, CODEC).build();

        accounts.handle(new Deposit("a1", 10));
        assertThatThrownBy(() -> accounts.handle(new Deposit("a1", 500))).isInstanceOf(CommandRejectedException.class);
        try (ProjectionRunner runner = ProjectionRunner.builder(sqlite)
                .add(new InMemoryProjector<>(new Balances(), CODEC))
                .build()) {
            runner.catchUp();
        }

        TestObservationRegistryAssert.assertThat(observations)
                .hasNumberOfObservationsWithNameEqualTo("annals.handle", 2)
                .hasNumberOfObservationsWithNameEqualTo("annals.store.append", 1)
                .hasNumberOfObservationsWithNameEqualTo("annals.project", 1)
                .hasObservationWithNameEqualTo("annals.store.append")
                .that()
                .hasContextualNameEqualTo("append")
                .hasLowCardinalityKeyValue("store", "sqlite")
                .hasLowCardinalityKeyValue("outcome", "ok")
                .hasParentObservationContextMatching(parent -> parent.getName().equals("annals.handle"))
                .hasBeenStarted()
                .hasBeenStopped();
        TestObservationRegistryAssert.assertThat(observations)
                .forAllObservationsWithNameEqualTo(
                        "annals.handle",
                        command -> command.hasLowCardinalityKeyValue("handler", "account")
                                .hasLowCardinalityKeyValue("kind", "aggregate")
                                .hasContextualNameEqualTo("handle account"))
                .hasObservationWithNameEqualTo("annals.project")
                .that()
                .hasContextualNameEqualTo("project balances")
                .hasLowCardinalityKeyValue("projection", "balances")
                .hasLowCardinalityKeyValue("outcome", "ok")
                .hasBeenStopped();
        assertThat(observations.getCurrentObservation())
                .as("every scope was closed")
                .isNull();
        // the metrics are there as well
        assertThat(count("annals.command", "kind", "aggregate", "handler", "account", "outcome", "rejected"))
                .isEqualTo(1);
    }

    @Test
    void instruments_are_registered_once_whatever_the_number_of_calls() {
        MeterRegistry registry = new SimpleMeterRegistry();
        InMemoryEventStore memory = new InMemoryEventStore(
                Clock.systemUTC(), AppendLimits.defaults(), MicrometerInstrumentation.of(registry));
        store = memory;
        for (int i = 0; i < 50; i++) {
            memory.append("s-" + i, ExpectedVersion.any(), List.of(EventData.of("E", "{}")));
        }
        assertThat(registry.getMeters()).hasSize(2); // annals.append{ok}, annals.append.events
        assertThat(registry.get("annals.append").timer().count()).isEqualTo(50);
        assertThat(Duration.ofNanos((long) registry.get("annals.append").timer().max(TimeUnit.NANOSECONDS)))
                .isPositive();
    }
}
