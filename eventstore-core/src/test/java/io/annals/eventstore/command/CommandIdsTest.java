package io.annals.eventstore.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Correlation;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.command.CommandHandlerTest.Add;
import io.annals.eventstore.command.CommandHandlerTest.Added;
import io.annals.eventstore.command.CommandHandlerTest.AddedCodec;
import io.annals.eventstore.command.CommandHandlerTest.Counter;
import io.annals.eventstore.command.CommandHandlerTest.CounterAggregate;
import io.annals.eventstore.command.CommandHandlerTest.CounterStateCodec;
import io.annals.eventstore.snapshot.InMemorySnapshotStore;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CommandIdsTest {

    private static final String STREAM = "counter-c1";
    private final InMemoryEventStore store = new InMemoryEventStore();

    private CommandHandler.Builder<Counter, Add, Added> builder(CounterAggregate aggregate) {
        return CommandHandler.builder(aggregate, store, new AddedCodec());
    }

    private List<RecordedEvent> stream() {
        return store.readStream(STREAM, 1, 100);
    }

    @Nested
    class Correlation_and_causation {

        @Test
        void a_command_without_ids_stamps_one_new_id_as_both_correlation_and_causation() {
            CommandHandler<Counter, Add, Added> handler =
                    builder(new CounterAggregate()).build();

            handler.handle(new Add("c1", 1), Map.of("user", "ada"));
            handler.handle(new Add("c1", 2));

            List<RecordedEvent> events = stream();
            Map<String, String> first = events.get(0).metadata();
            assertThat(first).containsEntry("user", "ada").doesNotContainKey(Correlation.COMMAND_ID);
            assertThat(first.get(Correlation.CORRELATION_ID)).isEqualTo(first.get(Correlation.CAUSATION_ID));
            assertThat(UUID.fromString(first.get(Correlation.CORRELATION_ID))).isNotNull();
            assertThat(events.get(1).metadata().get(Correlation.CORRELATION_ID))
                    .as("each command starts a conversation of its own")
                    .isNotEqualTo(first.get(Correlation.CORRELATION_ID));
        }

        @Test
        void given_ids_are_stored_and_the_command_id_is_the_cause() {
            CommandHandler<Counter, Add, Added> handler =
                    builder(new CounterAggregate()).build();

            handler.handle(
                    new Add("c1", 1), Map.of(Correlation.COMMAND_ID, "cmd-1", Correlation.CORRELATION_ID, "trace-9"));

            assertThat(stream().get(0).metadata())
                    .containsEntry(Correlation.COMMAND_ID, "cmd-1")
                    .containsEntry(Correlation.CORRELATION_ID, "trace-9")
                    .containsEntry(Correlation.CAUSATION_ID, "cmd-1");
        }

        @Test
        void a_command_sent_in_answer_to_an_event_carries_its_correlation_and_names_it_as_the_cause() {
            CommandHandler<Counter, Add, Added> handler =
                    builder(new CounterAggregate()).build();
            handler.handle(new Add("c1", 1), Map.of(Correlation.CORRELATION_ID, "trace-9"));
            RecordedEvent cause = stream().get(0);

            handler.handle(new Add("c2", 5), Correlation.causedBy(cause));

            Map<String, String> answer =
                    store.readStream("counter-c2", 1, 1).get(0).metadata();
            assertThat(answer)
                    .containsEntry(Correlation.CORRELATION_ID, "trace-9")
                    .containsEntry(Correlation.CAUSATION_ID, cause.eventId().toString());
        }

        @Test
        void other_reserved_keys_and_bad_ids_are_refused_and_nothing_is_written() {
            CommandHandler<Counter, Add, Added> handler =
                    builder(new CounterAggregate()).build();

            assertThatIllegalArgumentException()
                    .isThrownBy(() -> handler.handle(new Add("c1", 1), Map.of("$schemaVersion", "7")))
                    .withMessageContaining("'$schemaVersion' begins with $")
                    .withMessageContaining(Correlation.CORRELATION_ID);
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> handler.handle(new Add("c1", 1), Map.of(Correlation.CORRELATION_ID, " ")))
                    .withMessageContaining("metadata $correlationId must not be blank");
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> handler.handle(new Add("c1", 1), Map.of(Correlation.COMMAND_ID, "a\nb")))
                    .withMessageContaining("control characters");
            assertThat(store.countEvents()).isZero();
        }

        @Test
        void a_codec_still_refuses_reserved_keys_in_user_metadata() {
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> new AddedCodec().encode(new Added(1), Map.of(Correlation.CORRELATION_ID, "x")))
                    .withMessageContaining("reserved for the library");
        }
    }

    @Nested
    class Event_ids_from_command_ids {

        private final Map<String, String> cmd1 = Map.of(Correlation.COMMAND_ID, "cmd-1");

        @Test
        void the_same_command_handled_twice_is_stored_once_and_answered_with_the_original_result() {
            CommandHandler<Counter, Add, Added> handler =
                    builder(new CounterAggregate()).eventIdsFromCommandId(true).build();
            CommandResult<Counter, Added> first = handler.handle(new Add("c1", 3), cmd1);
            handler.handle(new Add("c1", 4)); // another command since: the stream moved on

            CommandResult<Counter, Added> again = handler.handle(new Add("c1", 3), cmd1);

            assertThat(stream()).extracting(RecordedEvent::version).containsExactly(1L, 2L);
            assertThat(first.repeated()).isFalse();
            assertThat(again.repeated()).isTrue();
            assertThat(again.version()).isEqualTo(first.version());
            assertThat(again.position()).isEqualTo(first.position());
            assertThat(again.events()).isEqualTo(first.events());
            assertThat(again.state()).isEqualTo(first.state());
        }

        @Test
        void a_repeat_that_would_now_be_rejected_gets_the_original_result() {
            CommandHandler<Counter, Add, Added> handler =
                    builder(new CounterAggregate(5)).eventIdsFromCommandId(true).build();
            CommandResult<Counter, Added> first = handler.handle(new Add("c1", 5), cmd1);

            CommandResult<Counter, Added> again = handler.handle(new Add("c1", 5), cmd1);

            assertThat(again.repeated()).isTrue();
            assertThat(again.position()).isEqualTo(first.position());
            assertThat(again.state()).isEqualTo(new Counter(5));
            assertThat(store.countEvents()).isOne();
            assertThatThrownBy(() -> handler.handle(new Add("c1", 5), Map.of(Correlation.COMMAND_ID, "cmd-2")))
                    .isInstanceOf(CommandRejectedException.class);
        }

        @Test
        void a_repeat_is_recognised_behind_a_snapshot() {
            CommandHandler<Counter, Add, Added> handler = builder(new CounterAggregate())
                    .eventIdsFromCommandId(true)
                    .snapshots(new SnapshotSettings<>(
                            new InMemorySnapshotStore(), new CounterStateCodec(), 1, SnapshotPolicy.everyEvents(1)))
                    .build();
            CommandResult<Counter, Added> first = handler.handle(new Add("c1", 3), cmd1);
            handler.handle(new Add("c1", 4));
            handler.handle(new Add("c1", 5));

            CommandResult<Counter, Added> again = handler.handle(new Add("c1", 3), cmd1);

            assertThat(again.repeated()).isTrue();
            assertThat(again.version()).isEqualTo(first.version());
            assertThat(again.state()).isEqualTo(new Counter(3));
            assertThat(store.countEvents()).isEqualTo(3);
        }

        @Test
        void another_command_id_stores_new_events() {
            CommandHandler<Counter, Add, Added> handler =
                    builder(new CounterAggregate()).eventIdsFromCommandId(true).build();
            CommandResult<Counter, Added> first = handler.handle(new Add("c1", 3), cmd1);

            CommandResult<Counter, Added> other =
                    handler.handle(new Add("c1", 3), Map.of(Correlation.COMMAND_ID, "cmd-2"));

            assertThat(other.repeated()).isFalse();
            assertThat(other.version()).isEqualTo(first.version() + 1);
            assertThat(stream()).hasSize(2);
            assertThat(stream().get(0).eventId()).isNotEqualTo(stream().get(1).eventId());
        }

        @Test
        void the_ids_are_name_based_uuids_of_the_command_id_and_the_index() {
            CommandHandler<Counter, Add, Added> handler =
                    builder(new CounterAggregate()).eventIdsFromCommandId(true).build();
            handler.handle(new Add("c1", 3), cmd1);

            UUID id = stream().get(0).eventId();
            assertThat(id.version()).isEqualTo(5);
            assertThat(id.variant()).isEqualTo(2);
            // a retry from another process derives the same id: the store recognises the append
            EventData same = new EventData(id, "Added", "{\"amount\":3}", Map.of());
            assertThat(store.append(STREAM, ExpectedVersion.noStream(), List.of(same))
                            .version())
                    .isOne();
            assertThat(store.countEvents()).isOne();
        }

        @Test
        void without_the_option_the_same_command_id_is_stored_twice() {
            CommandHandler<Counter, Add, Added> handler =
                    builder(new CounterAggregate()).build();
            handler.handle(new Add("c1", 3), cmd1);
            CommandResult<Counter, Added> again = handler.handle(new Add("c1", 3), cmd1);

            assertThat(again.repeated()).isFalse();
            assertThat(store.countEvents()).isEqualTo(2);
        }
    }
}
