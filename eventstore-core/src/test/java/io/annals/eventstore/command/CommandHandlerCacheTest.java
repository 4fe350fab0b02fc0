package io.annals.eventstore.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.InMemoryEventStore;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamDeletedException;
import io.annals.eventstore.command.CommandHandlerTest.Add;
import io.annals.eventstore.command.CommandHandlerTest.AddedCodec;
import io.annals.eventstore.command.CommandHandlerTest.Counter;
import io.annals.eventstore.command.CommandHandlerTest.CounterAggregate;
import io.annals.eventstore.command.CommandHandlerTest.ObservedStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link CommandHandler.Builder#cacheAggregates}: commands decided on kept states read nothing,
 * and every answer is the one a handler without the cache gives, whatever other writers did.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CommandHandlerCacheTest {

    private static final String STREAM = "counter-c1";
    private static final AddedCodec CODEC = new AddedCodec();

    private final InMemoryEventStore memory = new InMemoryEventStore();
    private final ObservedStore store = new ObservedStore(memory);

    private CommandHandler<Counter, Add, CommandHandlerTest.Added> handler(CounterAggregate aggregate, int cached) {
        return CommandHandler.builder(aggregate, store, CODEC)
                .cacheAggregates(cached)
                .build();
    }

    /** Another writer: one event of {@code amount} on the counter's stream, whatever its version. */
    private void otherWriterAdds(long amount) {
        memory.append(STREAM, ExpectedVersion.any(), List.of(EventData.of("Added", "{\"amount\":" + amount + "}")));
    }

    @Test
    void a_command_on_a_kept_state_reads_nothing() {
        var counters = handler(new CounterAggregate(), 10);
        counters.handle(new Add("c1", 1));
        int reads = store.readFromVersions.size();

        var r = counters.handle(new Add("c1", 2));

        assertThat(store.readFromVersions).hasSize(reads);
        assertThat(r.state().total()).isEqualTo(3);
        assertThat(r.version()).isEqualTo(2);
        assertThat(store.appendExpectations).containsExactly(ExpectedVersion.exactly(0), ExpectedVersion.exactly(1));
    }

    @Test
    void without_the_cache_every_command_reads() {
        var counters = handler(new CounterAggregate(), 0);
        counters.handle(new Add("c1", 1));
        int reads = store.readFromVersions.size();

        counters.handle(new Add("c1", 2));

        assertThat(store.readFromVersions).hasSizeGreaterThan(reads);
    }

    @Test
    void a_state_made_stale_by_another_writer_is_found_out_by_the_append_and_reloaded() {
        var counters = handler(new CounterAggregate(), 10);
        counters.handle(new Add("c1", 1));
        otherWriterAdds(10);

        var r = counters.handle(new Add("c1", 2));

        assertThat(r.state().total()).isEqualTo(13);
        assertThat(r.version()).isEqualTo(3);
        assertThat(r.attempts()).isEqualTo(1); // a stale state is not a conflict of the command's
        assertThat(store.appendExpectations).endsWith(ExpectedVersion.exactly(1), ExpectedVersion.exactly(2));
        assertThat(memory.readStream(STREAM, 1, 10))
                .extracting(RecordedEvent::json)
                .containsExactly("{\"amount\":1}", "{\"amount\":10}", "{\"amount\":2}");
    }

    @Test
    void a_command_accepted_on_a_stale_state_is_decided_again_and_rejected() {
        CounterAggregate limited = new CounterAggregate(10);
        var counters = handler(limited, 10);
        counters.handle(new Add("c1", 9));
        otherWriterAdds(1); // total 10: the kept state (9) would accept 1 more, the stored one not

        assertThatThrownBy(() -> counters.handle(new Add("c1", 1)))
                .isInstanceOf(CommandRejectedException.class)
                .hasMessageContaining("would exceed 10");
        assertThat(memory.currentVersion(STREAM)).isEqualTo(2);
    }

    @Test
    void a_command_rejected_on_a_stale_state_is_accepted_when_the_stored_state_allows_it() {
        // a kept state that says more than the store (as one would after a write that rolled
        // back): the rejection it gives is checked against the stored state
        CounterAggregate limited = new CounterAggregate(10);
        var counters = handler(limited, 10);
        counters.handle(new Add("c1", 1));
        counters.cache().put(new AggregateState<>(STREAM, new Counter(10), 1));

        var r = counters.handle(new Add("c1", 5));

        assertThat(r.state().total()).isEqualTo(6);
        assertThat(r.version()).isEqualTo(2);
        assertThat(limited.decisions.get()).isEqualTo(3); // 1, then rejected on the kept state, then accepted
    }

    @Test
    void nothing_to_do_on_a_kept_state_is_checked_on_a_fresh_load_first() {
        CounterAggregate aggregate = new CounterAggregate();
        var counters = handler(aggregate, 10);
        counters.handle(new Add("c1", 1));
        int decisions = aggregate.decisions.get();

        var r = counters.handle(new Add("c1", 0));

        assertThat(r.events()).isEmpty();
        assertThat(r.version()).isEqualTo(1);
        assertThat(aggregate.decisions.get() - decisions).isEqualTo(2);
    }

    @Test
    void the_least_recently_used_state_goes_first() {
        var counters = handler(new CounterAggregate(), 2);
        counters.handle(new Add("a", 1));
        counters.handle(new Add("b", 1));
        counters.handle(new Add("a", 1));
        counters.handle(new Add("c", 1)); // b goes
        int reads = store.readFromVersions.size();

        counters.handle(new Add("a", 1));
        counters.handle(new Add("c", 1));
        assertThat(store.readFromVersions).hasSize(reads);

        counters.handle(new Add("b", 1));
        assertThat(store.readFromVersions).hasSizeGreaterThan(reads);
        assertThat(counters.cache().size()).isEqualTo(2);
    }

    @Test
    void a_deleted_stream_is_forgotten_and_its_error_given() {
        var counters = handler(new CounterAggregate(), 10);
        counters.handle(new Add("c1", 1));
        memory.deleteStream(STREAM, ExpectedVersion.any());

        assertThatThrownBy(() -> counters.handle(new Add("c1", 1))).isInstanceOf(StreamDeletedException.class);
        assertThat(counters.cache().get(STREAM)).isNull();
    }

    @Test
    @Timeout(60)
    void two_handlers_with_caches_on_one_aggregate_lose_no_command() throws Exception {
        var first = handler(new CounterAggregate(), 10);
        var second = handler(new CounterAggregate(), 10);
        int perThread = 300;
        CyclicBarrier start = new CyclicBarrier(4);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            var counters = t % 2 == 0 ? first : second;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        counters.handle(new Add("c1", 1));
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(failures).isEmpty();
        assertThat(memory.currentVersion(STREAM)).isEqualTo(4 * perThread);
        assertThat(first.load("c1").state().total()).isEqualTo(4 * perThread);
    }

    @Test
    void a_negative_size_is_refused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> CommandHandler.builder(new CounterAggregate(), store, CODEC)
                        .cacheAggregates(-1))
                .withMessageContaining("cacheAggregates must be 0 or more, was -1");
    }
}
