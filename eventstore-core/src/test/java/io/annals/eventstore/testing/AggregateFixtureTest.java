package io.annals.eventstore.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.Command;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Event;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The fixture must fail a test whenever what it asserts does not hold. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AggregateFixtureTest {

    // ---- a tiny domain: a lamp that can be switched on once, then off ----

    enum Lamp {
        NEW,
        ON,
        OFF
    }

    sealed interface LampCommand extends Command permits SwitchOn, SwitchOff, Misbehave {
        @Override
        default String aggregateId() {
            return "lamp";
        }
    }

    record SwitchOn(int brightness) implements LampCommand {}

    record SwitchOff() implements LampCommand {}

    /** A command the aggregate handles wrongly, to see the fixture catch it. */
    record Misbehave(boolean returnNull) implements LampCommand {}

    sealed interface LampEvent extends Event permits SwitchedOn, Dimmed, SwitchedOff {}

    record SwitchedOn() implements LampEvent {}

    record Dimmed(int brightness) implements LampEvent {}

    record SwitchedOff() implements LampEvent {}

    static final class LampAggregate implements Aggregate<Lamp, LampCommand, LampEvent> {
        @Override
        public String category() {
            return "lamp";
        }

        @Override
        public Lamp initialState() {
            return Lamp.NEW;
        }

        @Override
        public List<LampEvent> decide(Lamp state, LampCommand command) {
            if (command instanceof SwitchOn on) {
                if (state != Lamp.NEW) {
                    throw new CommandRejectedException("already_used", "a lamp is switched on once");
                }
                return List.of(new SwitchedOn(), new Dimmed(on.brightness()));
            }
            if (command instanceof SwitchOff) {
                if (state == Lamp.NEW) {
                    throw new CommandRejectedException("not_on", "the lamp was never on");
                }
                return state == Lamp.OFF ? List.of() : List.of(new SwitchedOff());
            }
            if (((Misbehave) command).returnNull()) {
                return null;
            }
            throw new IllegalStateException("a bug in decide");
        }

        @Override
        public Lamp evolve(Lamp state, LampEvent event) {
            if (event instanceof SwitchedOn) {
                return Lamp.ON;
            }
            if (event instanceof SwitchedOff) {
                return Lamp.OFF;
            }
            return state;
        }
    }

    private static AggregateFixture<Lamp, LampCommand, LampEvent> lamp() {
        return AggregateFixture.of(new LampAggregate());
    }

    @Nested
    class When_the_outcome_matches {

        @Test
        void every_assertion_passes() {
            lamp().when(new SwitchOn(70))
                    .thenEvents(new SwitchedOn(), new Dimmed(70))
                    .thenState(Lamp.ON)
                    .thenState(state -> assertThat(state).isEqualTo(Lamp.ON));
            lamp().given(new SwitchedOn())
                    .when(new SwitchOn(70))
                    .thenRejected("already_used")
                    .withMessageContaining("once");
            lamp().given(new SwitchedOn(), new SwitchedOff())
                    .when(new SwitchOff())
                    .thenNothing()
                    .thenState(Lamp.OFF);
        }

        @Test
        void given_events_add_up_across_calls() {
            lamp().given(new SwitchedOn())
                    .given(List.of(new SwitchedOff()))
                    .when(new SwitchOff())
                    .thenNothing();
        }
    }

    @Nested
    class thenEvents_fails {

        @Test
        void when_an_event_differs() {
            assertThatThrownBy(() -> lamp().when(new SwitchOn(70)).thenEvents(new SwitchedOn(), new Dimmed(50)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("Dimmed[brightness=50]")
                    .hasMessageContaining("Dimmed[brightness=70]");
        }

        @Test
        void when_an_event_is_missing() {
            assertThatThrownBy(() -> lamp().when(new SwitchOn(70)).thenEvents(new SwitchedOn()))
                    .isInstanceOf(AssertionError.class);
        }

        @Test
        void when_there_is_an_extra_event() {
            assertThatThrownBy(() -> lamp().when(new SwitchOn(70))
                            .thenEvents(new SwitchedOn(), new Dimmed(70), new SwitchedOff()))
                    .isInstanceOf(AssertionError.class);
        }

        @Test
        void when_the_events_come_in_another_order() {
            assertThatThrownBy(() -> lamp().when(new SwitchOn(70)).thenEvents(new Dimmed(70), new SwitchedOn()))
                    .isInstanceOf(AssertionError.class);
        }

        @Test
        void when_the_command_was_rejected() {
            assertThatThrownBy(() -> lamp().when(new SwitchOff()).thenEvents(new SwitchedOff()))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("not_on")
                    .hasCauseInstanceOf(CommandRejectedException.class);
        }
    }

    @Nested
    class thenRejected_fails {

        @Test
        void when_the_command_was_accepted() {
            assertThatThrownBy(() -> lamp().when(new SwitchOn(70)).thenRejected("already_used"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("already_used");
        }

        @Test
        void when_the_command_decided_nothing() {
            assertThatThrownBy(() -> lamp().given(new SwitchedOn(), new SwitchedOff())
                            .when(new SwitchOff())
                            .thenRejected("not_on"))
                    .isInstanceOf(AssertionError.class);
        }

        @Test
        void when_the_code_is_another() {
            assertThatThrownBy(() -> lamp().when(new SwitchOff()).thenRejected("already_used"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("already_used")
                    .hasMessageContaining("not_on");
        }
    }

    @Nested
    class withMessageContaining_fails {

        @Test
        void when_the_message_does_not_contain_the_text() {
            assertThatThrownBy(() ->
                            lamp().when(new SwitchOff()).thenRejected("not_on").withMessageContaining("exploded"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("never on");
        }

        @Test
        void when_the_command_was_accepted() {
            assertThatThrownBy(() -> lamp().when(new SwitchOn(70)).withMessageContaining("once"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("accepted");
        }
    }

    @Nested
    class thenNothing_fails {

        @Test
        void when_events_were_decided() {
            assertThatThrownBy(() ->
                            lamp().given(new SwitchedOn()).when(new SwitchOff()).thenNothing())
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("SwitchedOff");
        }

        @Test
        void when_the_command_was_rejected() {
            assertThatThrownBy(() -> lamp().when(new SwitchOff()).thenNothing()).isInstanceOf(AssertionError.class);
        }
    }

    @Nested
    class thenState_fails {

        @Test
        void when_the_state_after_the_new_events_is_another() {
            assertThatThrownBy(() -> lamp().when(new SwitchOn(70)).thenState(Lamp.OFF))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("OFF")
                    .hasMessageContaining("ON");
        }

        @Test
        void when_the_given_state_is_expected_instead_of_the_state_after() {
            assertThatThrownBy(() ->
                            lamp().given(new SwitchedOn()).when(new SwitchOff()).thenState(Lamp.ON))
                    .isInstanceOf(AssertionError.class);
        }

        @Test
        void when_the_command_was_rejected() {
            assertThatThrownBy(() -> lamp().when(new SwitchOff()).thenState(Lamp.NEW))
                    .isInstanceOf(AssertionError.class);
        }

        @Test
        void when_a_check_of_its_own_fails() {
            assertThatThrownBy(() -> lamp().when(new SwitchOn(70))
                            .thenState(state -> assertThat(state).isEqualTo(Lamp.OFF)))
                    .isInstanceOf(AssertionError.class);
        }
    }

    @Nested
    class A_misbehaving_aggregate {

        @Test
        void returning_null_from_decide_fails_the_test() {
            assertThatThrownBy(() -> lamp().when(new Misbehave(true)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("empty list");
        }

        @Test
        void throwing_anything_but_a_rejection_is_not_taken_for_a_rejection() {
            assertThatThrownBy(() -> lamp().when(new Misbehave(false)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("a bug in decide");
        }
    }
}
